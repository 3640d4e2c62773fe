/**
 * The step every scoring route shares: validate and score the instances,
 * report them to the monitor, or reject the request with every bad field.
 *
 * @module
 */
import { invalidInput } from "../errors.ts";
import type { Instances } from "../payloads/predict_request.ts";
import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
import type { Monitor } from "../telemetry/monitor.ts";

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
  const result = model.predict(instances.records, instances.path);
  if (!result.ok) throw invalidInput(result.errors);
  monitor.predicted(model, result.value);
  return result.value;
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
