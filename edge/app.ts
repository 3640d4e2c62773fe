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
import { errorHandler, notFoundHandler } from "./middleware/errors.ts";
import { guarded } from "./middleware/guard.ts";
import { withRequestMetrics } from "./middleware/request_metrics.ts";
import { requireModel } from "./middleware/require_model.ts";
import {
  MODEL_NAME_HEADER,
  MODEL_VERSION_HEADER,
  REQUEST_ID_HEADER,
  withRequestIdentity,
} from "./middleware/request_id.ts";
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
import { v2Live, v2Ready, v2ServerMetadata } from "./routes/v2_health.ts";
import { v2InferHandler } from "./routes/v2_infer.ts";
import { v2ModelMetadata, v2ModelReady } from "./routes/v2_models.ts";
import type { Challenger } from "./serving/challenger.ts";
import type { ModelHolder } from "./serving/model_holder.ts";
import type { PredictionIds } from "./serving/prediction_id.ts";
import type { ReplayGuard } from "./serving/replay_guard.ts";
import type { StatusBoard } from "./status/public_status.ts";
import type { Monitor } from "./telemetry/monitor.ts";

/** The settings the app itself reads. */
export type AppConfig = Pick<
  EdgeConfig,
  | "maxBatch"
  | "maxBodyBytes"
  | "bodyTimeoutMs"
  | "loadWaitMs"
  | "apiKeys"
  | "corsOrigins"
  | "accessLog"
>;

/** The stateful parts the routes share. */
export interface AppDeps {
  holder: ModelHolder;
  /** A second model beside the champion (shadow or split), or null. */
  challenger: Challenger | null;
  monitor: Monitor;
  /** Issues and verifies signed prediction ids. */
  ids: PredictionIds;
  /** Remembers judged ids (KV, or this process's memory). */
  replay: Promise<ReplayGuard>;
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
  "/v2/models/:name/infer",
  "/v2/models/:name/versions/:version/infer",
]);

/**
 * Builds the app.
 *
 * @example
 * ```ts
 * import type { AppDeps } from "./app.ts";
 * import { DEFAULTS } from "./config.ts";
 *
 * declare const deps: Omit<AppDeps, "challenger">; // holder, monitor, ids, replay, scrape, board, instanceId
 * const app = createApp(DEFAULTS, { ...deps, challenger: null });
 * const res = await app.request("/healthz"); // 200
 * ```
 */
export function createApp(config: AppConfig, deps: AppDeps): Hono<EdgeEnv> {
  const { holder, challenger, monitor, ids, replay } = deps;
  const app = new Hono<EdgeEnv>();

  if (config.accessLog) app.use(accessLog(holder));
  if (config.corsOrigins.length > 0) {
    app.use(cors({
      origin: config.corsOrigins.includes("*") ? "*" : [...config.corsOrigins],
      allowMethods: ["GET", "POST", "OPTIONS"],
      // X-Client-Id: split mode keeps a client on one model by it.
      allowHeaders: ["Content-Type", "Authorization", REQUEST_ID_HEADER, "X-Client-Id"],
      exposeHeaders: [REQUEST_ID_HEADER, MODEL_NAME_HEADER, MODEL_VERSION_HEADER],
      maxAge: 600,
    }));
  }
  app.onError(errorHandler(monitor, holder));
  app.notFound(notFoundHandler(holder));

  const auth = apiKeyAuth<EdgeEnv>(config.apiKeys);
  // Last in every chain: it may wait for a loading model, which a request
  // the cheap checks refuse should not.
  const ready = requireModel(holder, config.loadWaitMs);
  const json = requireContentType<EdgeEnv>("application/json");
  const jsonOrCsv = requireContentType<EdgeEnv>("application/json", "text/csv");
  const { maxBatch } = config;
  const body = new BodyReader({ maxBytes: config.maxBodyBytes, timeoutMs: config.bodyTimeoutMs });

  app.post(
    "/v1/predict",
    guarded(auth, json, ready)(predictHandler({ monitor, ids, maxBatch, body, challenger })),
  );
  app.post(
    "/invocations",
    guarded(auth, jsonOrCsv, ready)(invocationsHandler({ monitor, maxBatch, body, challenger })),
  );
  app.post(
    "/v1/feedback",
    guarded(auth, json, ready)(feedbackHandler({ monitor, ids, replay, body, challenger })),
  );
  app.get("/v1/model", guarded(ready)(modelHandler(challenger)));
  app.get("/v1/status", publicStatusHandler(deps.board));
  // This instance's operator numbers: behind the API key when keys are set.
  app.get("/v1/ops", guarded(auth)(opsHandler(holder, monitor, deps.instanceId)));

  // The Open Inference Protocol (V2): KServe's, Triton's and MLServer's REST dialect.
  const infer = guarded(auth, json, ready)(v2InferHandler({ monitor, maxBatch, body, challenger }));
  app.post("/v2/models/:name/infer", infer);
  app.post("/v2/models/:name/versions/:version/infer", infer);
  const metadata = guarded(ready)(v2ModelMetadata(challenger));
  app.get("/v2/models/:name", metadata);
  app.get("/v2/models/:name/versions/:version", metadata);
  app.get("/v2/models/:name/ready", v2ModelReady(holder, challenger));
  app.get("/v2/models/:name/versions/:version/ready", v2ModelReady(holder, challenger));
  app.get("/v2/health/live", v2Live);
  app.get("/v2/health/ready", v2Ready(holder));
  app.get("/v2", v2ServerMetadata);

  app.get("/healthz", healthz);
  app.get("/readyz", readyz(holder, challenger));
  // MLflow's scoring server probes, for clients that check them.
  app.get("/ping", readyz(holder, challenger));
  app.get("/health", readyz(holder, challenger));
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
  // Outermost, so the id exists before anything (metrics included) runs.
  return withRequestIdentity(withRequestMetrics(app, monitor, { liveRoutes: LIVE_ROUTES }), holder);
}
