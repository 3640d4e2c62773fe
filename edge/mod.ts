/**
 * Edge inference: a Hono app that serves a trained forest bundle, validates
 * requests against the model's schema, and measures itself (OpenTelemetry
 * metrics on `/metrics`, a live status page on `/`).
 *
 * Run it with `deno task serve`, or embed it:
 *
 * @example
 * ```ts
 * import { configFromEnv, createEdge } from "./mod.ts";
 *
 * const edge = createEdge(configFromEnv((k) => Deno.env.get(k)));
 * Deno.serve(edge.app.fetch);
 * await edge.load();
 * ```
 *
 * @module
 */
export { type AppConfig, type AppDeps, createApp, LIVE_ROUTES } from "./app.ts";
export {
  type ChallengerConfig,
  type ChallengerMode,
  configFromEnv,
  DEFAULT_MODEL_PATH,
  DEFAULTS,
  type EdgeConfig,
  type EnvReader,
  type ModelSource,
} from "./config.ts";
export { createEdge, type Edge } from "./edge.ts";
export type { EdgeEnv } from "./env.ts";
export { ApiError, type ErrorBody, type ErrorCode, type FieldError } from "./errors.ts";
export { serve } from "./main.ts";
export { Challenger, checkChallenger, type ModelRole } from "./serving/challenger.ts";
export { loadBundle, type LoadBundleOptions } from "./serving/load_bundle.ts";
export { ModelHolder, type ModelState } from "./serving/model_holder.ts";
export { type BatchPrediction, ServingModel } from "./serving/serving_model.ts";
export { createMeters, type Meters } from "./telemetry/meters.ts";
export { Monitor } from "./telemetry/monitor.ts";
/** The samples a feature needs in the drift window before its PSI is reported. */
export { DRIFT_MIN_SAMPLES, DRIFT_MIN_SAMPLES_PER_BIN } from "./telemetry/drift.ts";
