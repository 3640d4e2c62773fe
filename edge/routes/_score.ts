/**
 * The step every scoring route shares: pick the model that answers (the
 * champion, or a split-mode challenger), validate and score the instances,
 * report them to the monitor, or reject the request with every bad field;
 * and let a shadow challenger score them too, without ever failing the
 * request.
 *
 * @module
 */
import type { Context } from "hono";
import type { EdgeEnv } from "../env.ts";
import { invalidInput } from "../errors.ts";
import type { Instances } from "../payloads/predict_request.ts";
import type { Challenger, Pick } from "../serving/challenger.ts";
import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
import type { Monitor } from "../telemetry/monitor.ts";

/** One model's answers for a batch, in instance order. */
export interface BatchAnswers {
  model: ServingModel;
  labels: readonly string[];
}

/**
 * Who answers this request and who shadows it, with `answeredBy` set for
 * the response headers. Split mode keeps a client on one model: its API
 * key's identity, else its `X-Client-Id`; requests with neither are drawn
 * one by one.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { Challenger } from "../serving/challenger.ts";
 *
 * declare const c: Context<EdgeEnv>;
 * declare const challenger: Challenger | null;
 * const { answer, shadow } = pickModels(c, challenger);
 * ```
 */
export function pickModels(c: Context<EdgeEnv>, challenger: Challenger | null): Pick {
  const champion = c.get("model");
  const pick = challenger === null
    ? { answer: champion, shadow: undefined }
    : challenger.pick(champion, c.get("client") ?? c.req.header("x-client-id"));
  c.set("answeredBy", pick.answer);
  return pick;
}

/**
 * Scores `instances` with `model` and records the batch in `monitor`.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { parsePredictBody } from "../payloads/predict_request.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const c: Context<EdgeEnv>;
 * declare const monitor: Monitor;
 * const body = { instances: [{ tenure: 3, Contract: "Month-to-month" }] };
 * const batch = score(c.get("model"), parsePredictBody(body, 1000), monitor);
 * ```
 */
export function score(
  model: ServingModel,
  instances: Instances,
  monitor: Monitor,
): BatchPrediction {
  const timed = monitor.timesScoring;
  const t0 = timed ? performance.now() : 0;
  const result = model.predict(instances.records, instances.path);
  if (!result.ok) throw invalidInput(result.errors);
  monitor.predicted(model, result.value, timed ? (performance.now() - t0) / 1000 : 0);
  return result.value;
}

/**
 * Scores `instances` with a shadow model, recorded as that model's and never
 * as traffic. Returns its answers, or undefined if it could not score them
 * (counted as `challenger_failed`): the client's request never fails
 * because of the shadow.
 *
 * @example
 * ```ts
 * import type { Instances } from "../payloads/predict_request.ts";
 * import type { ServingModel } from "../serving/serving_model.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const challenger: ServingModel;
 * declare const instances: Instances;
 * declare const monitor: Monitor;
 * const shadowed = shadowScore(challenger, instances, monitor); // { model, labels } or undefined
 * ```
 */
export function shadowScore(
  model: ServingModel,
  instances: Instances,
  monitor: Monitor,
): BatchAnswers | undefined {
  try {
    const t0 = performance.now();
    const result = model.predict(instances.records, instances.path);
    if (result.ok) {
      monitor.predicted(model, result.value, (performance.now() - t0) / 1000, false);
      return { model, labels: labelsOf(model, result.value) };
    }
  } catch {
    // Counted below, like a refusal: the champion's answer stands.
  }
  monitor.rejected("challenger_failed");
  return undefined;
}

/**
 * Predicted labels, in instance order.
 *
 * @example
 * ```ts
 * import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
 *
 * declare const model: ServingModel;
 * declare const batch: BatchPrediction;
 * labelsOf(model, batch); // ["No", "Yes", "No"]
 * ```
 */
export function labelsOf(model: ServingModel, batch: BatchPrediction): string[] {
  const labels = new Array<string>(batch.n);
  for (let i = 0; i < batch.n; i++) labels[i] = model.classes[batch.classIndex[i]];
  return labels;
}
