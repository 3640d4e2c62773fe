/**
 * `POST /v1/predict`: the edge's own scoring API. One instance in, one
 * prediction out; `{"instances": [...]}` in, `{"predictions": [...]}` out.
 * Every prediction carries an id that `/v1/feedback` accepts later.
 *
 * @module
 */
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { answer } from "../middleware/request_id.ts";
import type { BodyReader } from "../payloads/body.ts";
import { parsePredictBody } from "../payloads/predict_request.ts";
import type { Challenger } from "../serving/challenger.ts";
import type { Answer, PredictionIds } from "../serving/prediction_id.ts";
import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { type BatchAnswers, labelsOf, pickModels, score, shadowScore } from "./_score.ts";
import { PredictionJson } from "./prediction_json.ts";

export type { PredictionBody } from "./prediction_json.ts";

/** Dependencies of the predict route. */
export interface PredictDeps {
  monitor: Monitor;
  /** Signs each prediction's id. */
  ids: PredictionIds;
  maxBatch: number;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
  /** A second model beside the champion, or null. */
  challenger: Challenger | null;
}

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
 * import { createPredictionIds } from "../serving/prediction_id.ts";
 *
 * declare const monitor: Monitor;
 * const secrets = ["0123456789abcdef0123456789abcdef"];
 * const ttlMs = 7 * 86_400_000;
 * const app = new Hono<EdgeEnv>();
 * const body = new BodyReader({ maxBytes: 1 << 20, timeoutMs: 10_000 });
 * const deps = { monitor, ids: createPredictionIds({ secrets, ttlMs }), maxBatch: 1000, body, challenger: null };
 * app.post("/v1/predict", guarded(requireModel(holder))(predictHandler(deps)));
 * ```
 */
export function predictHandler(deps: PredictDeps): Handler<EdgeEnv> {
  const writers = new WeakMap<ServingModel, PredictionJson>();
  return async function predict(c) {
    const instances = parsePredictBody(await deps.body.json(c), deps.maxBatch);
    const { answer: model, shadow } = pickModels(c, deps.challenger);
    const batch = score(model, instances, deps.monitor);
    // The shadow scores before the answer goes out: its labels are signed into
    // the prediction ids, so feedback judges it too.
    const shadowed = shadow && shadowScore(shadow, instances, deps.monitor);
    const ids = deps.ids.issue(
      model.name,
      answersOf(model, batch, shadowed),
      c.get("client"),
    );
    let json = writers.get(model);
    if (!json) writers.set(model, json = new PredictionJson(model));
    const body = instances.batch ? json.batch(batch, ids) : json.single(batch, ids);
    return answer(c, body, model);
  };
}

/**
 * Each instance's answers, as its prediction id records them: the model's
 * answer, which the client gets, then a shadow model's when one scored the
 * same instances.
 *
 * @example
 * ```ts
 * import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
 *
 * declare const model: ServingModel;
 * declare const challenger: ServingModel;
 * declare const batch: BatchPrediction;
 * answersOf(model, batch); // [[{ version: "7", label: "no" }], ...]
 * answersOf(model, batch, { model: challenger, labels: ["yes"] }); // [[{ version: "7", label: "no" }, { version: "8", label: "yes" }]]
 * ```
 */
export function answersOf(
  model: ServingModel,
  batch: BatchPrediction,
  shadowed?: BatchAnswers,
): Answer[][] {
  const labels = labelsOf(model, batch);
  const out = new Array<Answer[]>(labels.length);
  for (let i = 0; i < labels.length; i++) {
    out[i] = [{ version: model.version, label: labels[i] }];
    if (shadowed) out[i].push({ version: shadowed.model.version, label: shadowed.labels[i] });
  }
  return out;
}
