/**
 * `POST /v1/feedback`: ground truth arriving after the fact. Each label is
 * compared with what the model predicted and feeds live accuracy.
 *
 * @module
 */
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { ApiError, invalidInput } from "../errors.ts";
import { parseFeedbackBody } from "../payloads/feedback_request.ts";
import { fieldPath } from "../payloads/field_path.ts";
import type { BodyReader } from "../payloads/body.ts";
import type { PredictionLog } from "../serving/prediction_log.ts";
import type { Monitor } from "../telemetry/monitor.ts";

/** Dependencies of the feedback route. */
export interface FeedbackDeps {
  monitor: Monitor;
  log: PredictionLog;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
}

/**
 * The handler (guard it with `requireModel`).
 *
 * @example
 * ```ts
 * app.post("/v1/feedback", guarded(requireModel(holder))(feedbackHandler({ monitor, log, body })));
 * ```
 */
export function feedbackHandler(deps: FeedbackDeps): Handler<EdgeEnv> {
  return async function feedback(c) {
    const model = c.get("model");
    const fb = parseFeedbackBody(await deps.body.json(c), model.classes);
    let predicted: string;
    if (fb.kind === "prediction") {
      const recall = deps.log.recall(fb.predictionId);
      if (!recall.found) {
        throw recall.reason === "unknown"
          ? new ApiError(
            404,
            "UNKNOWN_PREDICTION_ID",
            "unknown prediction_id: it was never issued here or is too old to remember",
          )
          : new ApiError(
            409,
            "FEEDBACK_ALREADY_RECORDED",
            "feedback for this prediction_id was already recorded",
          );
      }
      predicted = recall.label;
    } else {
      // Scored here but not reported as a prediction: it is not live traffic.
      const result = model.predict(
        [fb.features],
        (_i, field) => (field === undefined ? "features" : fieldPath("features", field)),
      );
      if (!result.ok) throw invalidInput(result.errors);
      predicted = model.classes[result.value.classIndex[0]];
    }
    const correct = predicted === fb.actual;
    deps.monitor.feedback(correct);
    const acc = deps.monitor.accuracy();
    return c.json({
      ...(fb.kind === "prediction" ? { prediction_id: fb.predictionId } : {}),
      predicted,
      actual: fb.actual,
      correct,
      live_accuracy: { accuracy: acc.accuracy, n: acc.n, window: acc.window },
    });
  };
}
