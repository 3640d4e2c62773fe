/**
 * The Hono app: routes and the guards each one needs, in the order a request
 * meets them, with request metrics around the whole. Pure wiring — every
 * behaviour lives in the module it is imported from.
 *
 * Each route is a single handler (see `middleware/guard.ts` for why); only
 * the opt-in access log and CORS are Hono middleware.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { EdgeConfig } from "./config.ts";
import type { EdgeEnv } from "./env.ts";
import { accessLog } from "./middleware/access_log.ts";
import { apiKeyAuth } from "./middleware/api_key.ts";
import { requireContentType } from "./middleware/content_type.ts";
import { errorHandler, notFound } from "./middleware/errors.ts";
import { guarded } from "./middleware/guard.ts";
import { withRequestMetrics } from "./middleware/request_metrics.ts";
import { requireModel } from "./middleware/require_model.ts";
import { feedbackHandler } from "./routes/feedback.ts";
import { healthz, readyz } from "./routes/health.ts";
import { invocationsHandler } from "./routes/invocations.ts";
import { metricsHandler } from "./routes/metrics.ts";
import { modelHandler } from "./routes/model.ts";
import {
  docsHandler,
  openApiHandler,
  opsPage,
  publicStatusHandler,
  statusPage,
} from "./routes/pages.ts";
import { BodyReader } from "./payloads/body.ts";
import { predictHandler } from "./routes/predict.ts";
import { opsHandler } from "./routes/ops.ts";
import type { ModelHolder } from "./serving/model_holder.ts";
import type { PredictionLog } from "./serving/prediction_log.ts";
import type { StatusBoard } from "./status/public_status.ts";
import type { Monitor } from "./telemetry/monitor.ts";

/** The settings the app itself reads. */
export type AppConfig = Pick<
  EdgeConfig,
  "maxBatch" | "maxBodyBytes" | "bodyTimeoutMs" | "apiKeys" | "corsOrigins" | "accessLog"
>;

/** The stateful parts the routes share. */
export interface AppDeps {
  holder: ModelHolder;
  monitor: Monitor;
  log: PredictionLog;
  /** Renders all metrics as Prometheus text. */
  scrape: () => Promise<string>;
  /** The public status page's data. */
  board: StatusBoard;
  /** This process's id (its OTLP `service.instance.id`). */
  instanceId: string;
}

/** Routes whose traffic the status page shows (probes and pages are not traffic). */
export const LIVE_ROUTES: ReadonlySet<string> = new Set([
  "/v1/predict",
  "/invocations",
  "/v1/feedback",
]);

/**
 * Builds the app.
 *
 * @example
 * ```ts
 * import { configFromEnv } from "./config.ts";
 *
 * declare const deps: AppDeps; // holder, monitor, log, scrape, board, instanceId
 * const app = createApp(configFromEnv((name) => Deno.env.get(name)), deps);
 * const res = await app.request("/healthz"); // 200
 * ```
 */
export function createApp(config: AppConfig, deps: AppDeps): Hono<EdgeEnv> {
  const { holder, monitor, log } = deps;
  const app = new Hono<EdgeEnv>();

  if (config.accessLog) app.use(accessLog());
  if (config.corsOrigins.length > 0) {
    app.use(cors({
      origin: config.corsOrigins.includes("*") ? "*" : [...config.corsOrigins],
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization"],
      maxAge: 600,
    }));
  }
  app.onError(errorHandler(monitor));
  app.notFound(notFound);

  const auth = apiKeyAuth<EdgeEnv>(config.apiKeys);
  const ready = requireModel(holder);
  const json = requireContentType<EdgeEnv>("application/json");
  const jsonOrCsv = requireContentType<EdgeEnv>("application/json", "text/csv");
  const { maxBatch } = config;
  const body = new BodyReader({ maxBytes: config.maxBodyBytes, timeoutMs: config.bodyTimeoutMs });

  app.post(
    "/v1/predict",
    guarded(auth, ready, json)(predictHandler({ monitor, log, maxBatch, body })),
  );
  app.post(
    "/invocations",
    guarded(auth, ready, jsonOrCsv)(invocationsHandler({ monitor, maxBatch, body })),
  );
  app.post(
    "/v1/feedback",
    guarded(auth, ready, json)(feedbackHandler({ monitor, log, body })),
  );
  app.get("/v1/model", guarded(ready)(modelHandler));
  app.get("/v1/status", publicStatusHandler(deps.board));
  // This instance's operator numbers: behind the API key when keys are set.
  app.get("/v1/ops", guarded(auth)(opsHandler(holder, monitor, deps.instanceId)));

  app.get("/healthz", healthz);
  app.get("/readyz", readyz(holder));
  // MLflow's scoring server probes, for clients that check them.
  app.get("/ping", readyz(holder));
  app.get("/health", readyz(holder));
  app.get("/metrics", metricsHandler(deps.scrape));

  const spec = {
    maxBatch,
    maxBodyBytes: config.maxBodyBytes,
    auth: config.apiKeys.length > 0,
  };
  app.get("/openapi.json", openApiHandler(holder, spec));
  app.get("/docs", docsHandler(holder, spec));
  app.get("/", statusPage);
  app.get("/ops", opsPage);
  return withRequestMetrics(app, monitor, { liveRoutes: LIVE_ROUTES });
}
