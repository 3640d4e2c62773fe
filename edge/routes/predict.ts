/**
 * `POST /v1/predict`: the edge's own scoring API. One instance in, one
 * prediction out; `{"instances": [...]}` in, `{"predictions": [...]}` out.
 * Every prediction carries an id that `/v1/feedback` accepts later.
 *
 * @module
 */
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import type { BodyReader } from "../payloads/body.ts";
import { parsePredictBody } from "../payloads/predict_request.ts";
import type { PredictionLog } from "../serving/prediction_log.ts";
import type { ServingModel } from "../serving/serving_model.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { labelsOf, score } from "./_score.ts";
import { PredictionJson } from "./prediction_json.ts";

export type { PredictionBody } from "./prediction_json.ts";

/** Dependencies of the predict route. */
export interface PredictDeps {
  monitor: Monitor;
  log: PredictionLog;
  maxBatch: number;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
}

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * The handler (guard it with `requireModel`, which sets the `model` variable).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import { guarded } from "../middleware/guard.ts";
 * import { requireModel } from "../middleware/require_model.ts";
 *
 * declare const holder: ModelHolder;
 * import { BodyReader } from "../payloads/body.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 * import type { PredictionLog } from "../serving/prediction_log.ts";
 *
 * declare const monitor: Monitor;
 * declare const log: PredictionLog;
 * const app = new Hono<EdgeEnv>();
 * const body = new BodyReader({ maxBytes: 1 << 20, timeoutMs: 10_000 });
 * const deps = { monitor, log, maxBatch: 1000, body };
 * app.post("/v1/predict", guarded(requireModel(holder))(predictHandler(deps)));
 * ```
 */
export function predictHandler(deps: PredictDeps): Handler<EdgeEnv> {
  const writers = new WeakMap<ServingModel, PredictionJson>();
  return async function predict(c) {
    const model = c.get("model");
    const instances = parsePredictBody(await deps.body.json(c), deps.maxBatch);
    const batch = score(model, instances, deps.monitor);
    const ids = deps.log.record(labelsOf(model, batch), c.get("client"));
    let json = writers.get(model);
    if (!json) writers.set(model, json = new PredictionJson(model));
    const body = instances.batch ? json.batch(batch, ids) : json.single(batch, ids);
    return c.body(body, 200, JSON_HEADERS);
  };
}
