/**
 * `POST /v1/feedback`: ground truth arriving after the fact. Each label is
 * compared with what the model predicted and feeds live accuracy.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { ApiError, invalidInput } from "../errors.ts";
import { parseFeedbackBody } from "../payloads/feedback_request.ts";
import { fieldPath } from "../payloads/field_path.ts";
import type { BodyReader } from "../payloads/body.ts";
import type { PredictionLog, Recall } from "../serving/prediction_log.ts";
import type { Monitor } from "../telemetry/monitor.ts";

/** Dependencies of the feedback route. */
export interface FeedbackDeps {
  monitor: Monitor;
  log: PredictionLog;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
}

/**
 * The handler (guard it with `requireModel`, and with `apiKeyAuth` so the
 * client is known).
 *
 * Feedback counts once: by id, each prediction once (and, with API keys,
 * only from the key that asked for it); by features, the same features and
 * label once while they are in the live-accuracy window.
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
 * declare const deps: FeedbackDeps; // monitor, log, body
 * const app = new Hono<EdgeEnv>();
 * app.post("/v1/feedback", guarded(requireModel(holder))(feedbackHandler(deps)));
 * ```
 */
export function feedbackHandler(deps: FeedbackDeps): Handler<EdgeEnv> {
  return async function feedback(c) {
    const model = c.get("model");
    const fb = parseFeedbackBody(await deps.body.json(c), model.classes);
    let predicted: string;
    let key: number | undefined;
    let lagSeconds: number | undefined;
    if (fb.kind === "prediction") {
      const recall = deps.log.recall(fb.predictionId, c.get("client"));
      if (!recall.found) throw REFUSED[recall.reason]();
      predicted = recall.label;
      lagSeconds = (Date.now() - recall.at) / 1000;
    } else {
      // Scored here but not reported as a prediction: it is not live traffic.
      const result = model.predict(
        [fb.features],
        (_i, field) => (field === undefined ? "features" : fieldPath("features", field)),
      );
      if (!result.ok) throw invalidInput(result.errors);
      predicted = model.classes[result.value.classIndex[0]];
      key = feedbackKey(result.value.encoded, fb.actual);
    }
    const correct = predicted === fb.actual;
    if (!deps.monitor.feedback(correct, key, lagSeconds)) {
      throw new ApiError(
        409,
        "FEEDBACK_ALREADY_RECORDED",
        "the same features and label were already recorded in the live-accuracy window",
      );
    }
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

/** Why feedback for an id is refused, as the answer the client gets. */
const REFUSED: Record<Extract<Recall, { found: false }>["reason"], () => ApiError> = {
  unknown: () =>
    new ApiError(
      404,
      "UNKNOWN_PREDICTION_ID",
      "unknown prediction_id: it was never issued here or is too old to remember",
    ),
  already_recorded: () =>
    new ApiError(
      409,
      "FEEDBACK_ALREADY_RECORDED",
      "feedback for this prediction_id was already recorded",
    ),
  other_client: () =>
    new ApiError(
      403,
      "FORBIDDEN_PREDICTION_ID",
      "this prediction_id was issued to another API key; send feedback with the key that asked",
    ),
};

/**
 * Identifies feedback by what the model saw (the encoded features, so `"9"`
 * and `9`, key order and unused fields make no difference) and the label:
 * 48 bits of SHA-256, so accidental collisions within a window are
 * negligible and crafted ones impractical.
 */
function feedbackKey(encoded: readonly number[], actual: string): number {
  const hash = createHash("sha256");
  hash.update(new Uint8Array(Float64Array.from(encoded).buffer));
  hash.update(actual);
  return hash.digest().readUIntBE(0, 6);
}
