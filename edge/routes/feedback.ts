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
import type { IdProblem, PredictionIds } from "../serving/prediction_id.ts";
import type { ReplayGuard } from "../serving/replay_guard.ts";
import type { Monitor } from "../telemetry/monitor.ts";

/** Dependencies of the feedback route. */
export interface FeedbackDeps {
  monitor: Monitor;
  /** Verifies signed prediction ids. */
  ids: Promise<PredictionIds>;
  /** Remembers judged ids, so each counts once. */
  replay: Promise<ReplayGuard>;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
}

/**
 * The handler (guard it with `requireModel`, and with `apiKeyAuth` so the
 * client is known).
 *
 * Feedback counts once: by id, each prediction once (and, with API keys,
 * only from the key that asked for it) — checked from the signed id alone,
 * so any instance holding the secret accepts it, and remembered in the
 * replay store; by features, the same features and label once while they
 * are in the live-accuracy window.
 *
 * @example
 * ```ts
 * app.post("/v1/feedback", guarded(requireModel(holder))(feedbackHandler({ monitor, ids, replay, body })));
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
      const verified = await (await deps.ids).verify(fb.predictionId);
      if (!verified.ok) throw REFUSED[verified.problem]();
      const { claims } = verified;
      if (claims.client !== c.get("client")) throw FORBIDDEN();
      if (claims.model !== model.name) {
        throw new ApiError(
          404,
          "UNKNOWN_PREDICTION_ID",
          `this prediction_id was issued by model ${JSON.stringify(claims.model)}, ` +
            `not by the model served here (${JSON.stringify(model.name)})`,
        );
      }
      if (!await claim(deps.replay, claims.nonce, verified.expiresAt)) throw ALREADY_RECORDED();
      // The answer the client got; a shadow model's answers (answers[1..]) are
      // counted per model by the monitor once it keeps per-model series.
      predicted = claims.answers[0].label;
      lagSeconds = Math.max(0, Date.now() - claims.issuedAt) / 1000;
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
const REFUSED: Record<IdProblem, () => ApiError> = {
  malformed: () =>
    new ApiError(404, "UNKNOWN_PREDICTION_ID", "unknown prediction_id: not an id this edge issues"),
  forged: () =>
    new ApiError(
      404,
      "UNKNOWN_PREDICTION_ID",
      "unknown prediction_id: its signature does not match (altered, or signed with a " +
        "secret no longer in PREDICTION_ID_SECRETS)",
    ),
  expired: () =>
    new ApiError(
      410,
      "PREDICTION_ID_EXPIRED",
      "this prediction_id has expired (ids are accepted for PREDICTION_ID_TTL after the prediction)",
    ),
};

/**
 * Claims a nonce in the replay store; a store that cannot be opened or
 * written is a 503 naming it (the feedback may be sent again), never a 500.
 */
async function claim(
  replay: Promise<ReplayGuard>,
  nonce: string,
  expiresAt: number,
): Promise<boolean> {
  try {
    return await (await replay).claim(nonce, expiresAt);
  } catch (e) {
    throw new ApiError(
      503,
      "FEEDBACK_STORE_UNAVAILABLE",
      "feedback by prediction_id is unavailable: the replay store (FEEDBACK_KV_PATH or Deno " +
        `KV) failed: ${e instanceof Error ? e.message : String(e)}; send it again later`,
    );
  }
}

const ALREADY_RECORDED = () =>
  new ApiError(
    409,
    "FEEDBACK_ALREADY_RECORDED",
    "feedback for this prediction_id was already recorded",
  );

const FORBIDDEN = () =>
  new ApiError(
    403,
    "FORBIDDEN_PREDICTION_ID",
    "this prediction_id was issued to another API key; send feedback with the key that asked",
  );

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
