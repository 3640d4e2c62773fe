/**
 * The model registry's side of mlops: which run to promote, the gate it
 * must pass, moving an alias (promotion, rollback, and promotion from live
 * feedback), and exporting the version the alias names as the edge bundle.
 *
 * - {@link promote}: the best run of the latest sweep (or a given run)
 *   becomes a new version and takes the alias if it beats the champion's
 *   holdout metric ({@link decide}).
 * - {@link rollback}: the alias goes back to an existing version.
 * - {@link exportEdgeBundle}: the bundle, stamped with name, version and
 *   promotion time, where the edge reads it.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { promote, rollback } from "./mod.ts";
 *
 * const store = openStore("./mlruns");
 * const r = await promote({ store, out: "edge/model", minDelta: 0.001 });
 * if (r.status === "promoted") console.log(`version ${r.version}`, r.bundle.checksum);
 * await rollback({ store, model: "churn", version: "1", out: "edge/model" });
 * ```
 *
 * @module
 */
export {
  promote,
  type PromoteOptions,
  type PromoteOutcome,
  type PromoteResult,
} from "./promote.ts";
export {
  rollback,
  type RollbackOptions,
  type RollbackOutcome,
  type RollbackResult,
} from "./rollback.ts";
export { checkMinDelta, decide, type Gate, GATE_EPSILON, type GateInput } from "./gate.ts";
export { bestRun, hasModel, latestSweepExperiment, metricOf } from "./candidates.ts";
export {
  DEFAULT_EDGE_DIR,
  edgeDirFor,
  exportEdgeBundle,
  fetchBundle,
  fetchVersionBundle,
} from "./edge_bundle.ts";
export { defaultModelName, metricTag, PROMOTE_TAGS } from "./tags.ts";
export { type AliasOutcome, CONFLICT_EXIT_CODE } from "./_registry.ts";
export { registerModelVersion } from "../mlflow/registry.ts";
export {
  decideLive,
  DEFAULT_PROMETHEUS_URL,
  type FeedbackCount,
  feedbackQuery,
  fmtConfidence,
  LIVE_DEFAULTS,
  type LiveComparison,
  type LiveGate,
  type LiveGateOptions,
  type LiveModel,
  type LiveOptions,
  type LiveOutcome,
  type LiveResult,
  promoteLive,
  readFeedback,
} from "./live.ts";
