/**
 * `POST /v1/feedback`: ground truth arriving after the fact. Each label is
 * compared with what the model predicted and feeds live accuracy.
 *
 * @module
 */
import type { Handler } from "hono";
import { sha256 } from "../../lib/sha256.ts";
import type { EdgeEnv } from "../env.ts";
import { ApiError, invalidInput } from "../errors.ts";
import { parseFeedbackBody } from "../payloads/feedback_request.ts";
import { fieldPath } from "../payloads/field_path.ts";
import type { BodyReader } from "../payloads/body.ts";
import type { Challenger } from "../serving/challenger.ts";
import type { IdProblem, PredictionClaims, PredictionIds } from "../serving/prediction_id.ts";
import type { ReplayGuard } from "../serving/replay_guard.ts";
import type { ServingModel } from "../serving/serving_model.ts";
import type { Monitor } from "../telemetry/monitor.ts";

/** Dependencies of the feedback route. */
export interface FeedbackDeps {
  monitor: Monitor;
  /** Verifies signed prediction ids. */
  ids: PredictionIds;
  /** Remembers judged ids, so each counts once. */
  replay: Promise<ReplayGuard>;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
  /** A second model beside the champion, or null. */
  challenger: Challenger | null;
}

/** One model's answer for a prediction; `model` undefined once it is no longer served. */
interface Judged {
  model: ServingModel | undefined;
  label: string;
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
 * Each answer given for the prediction counts for its own model: the one the
 * client got, and a shadow challenger's (both signed into the id). Feedback
 * by features is scored by every loaded model (champion first) and counts
 * for each.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { guarded } from "../middleware/guard.ts";
 * import { requireModel } from "../middleware/require_model.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import type { FeedbackDeps } from "./feedback.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * declare const deps: Omit<FeedbackDeps, "challenger">; // monitor, ids, replay, body
 * app.post("/v1/feedback", guarded(requireModel(holder))(feedbackHandler({ ...deps, challenger: null })));
 * ```
 */
export function feedbackHandler(deps: FeedbackDeps): Handler<EdgeEnv> {
  return async function feedback(c) {
    const model = c.get("model");
    const fb = parseFeedbackBody(await deps.body.json(c), model.classes);
    let answers: Judged[];
    let key: number | undefined;
    let lagSeconds: number | undefined;
    if (fb.kind === "prediction") {
      const verified = deps.ids.verify(fb.predictionId);
      if (!verified.ok) throw REFUSED[verified.problem]();
      const { claims } = verified;
      if (claims.client !== c.get("client")) throw FORBIDDEN();
      const challenger = deps.challenger?.model;
      if (claims.model !== model.name && claims.model !== challenger?.name) {
        throw new ApiError(
          404,
          "UNKNOWN_PREDICTION_ID",
          `this prediction_id was issued by model ${JSON.stringify(claims.model)}, ` +
            `not by the model served here (${JSON.stringify(model.name)})`,
        );
      }
      if (!await claim(deps.replay, claims.nonce, verified.expiresAt)) throw ALREADY_RECORDED();
      answers = servedAnswers(claims, model, challenger);
      lagSeconds = Math.max(0, Date.now() - claims.issuedAt) / 1000;
    } else {
      // Scored here but not reported as a prediction: it is not live traffic.
      const models: ServingModel[] = [model];
      const challenger = deps.challenger?.model;
      if (challenger) models.push(challenger);
      answers = models.map((m) => {
        const result = m.predict(
          [fb.features],
          (_i, field) => (field === undefined ? "features" : fieldPath("features", field)),
        );
        if (!result.ok) throw invalidInput(result.errors);
        if (m === model) key = feedbackKey(result.value.encoded, fb.actual);
        return { model: m, label: m.classes[result.value.classIndex[0]] };
      });
    }
    const predicted = answers[0].label;
    const correct = predicted === fb.actual;
    if (!deps.monitor.feedback(answers, fb.actual, key, lagSeconds)) {
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
      ...(answers.length > 1
        ? {
          answers: answers.map((a) => ({
            model: a.model
              ? {
                name: a.model.name,
                version: a.model.version,
                role: deps.monitor.stats(a.model).role,
              }
              : null,
            predicted: a.label,
            correct: a.label === fb.actual,
          })),
        }
        : {}),
    });
  };
}

/**
 * The signed answers, each matched to the served model that gave it (the
 * client's by name and version, a shadow's by version). An answer whose
 * model is no longer served still counts in live accuracy when it is the
 * client's, but no longer for any model's series.
 */
function servedAnswers(
  claims: PredictionClaims,
  champion: ServingModel,
  challenger: ServingModel | undefined,
): Judged[] {
  const served = challenger ? [champion, challenger] : [champion];
  // The id names the model whose answer the client got; a shadow's answer
  // comes from the other served model, whatever its name.
  const first = served.find((m) =>
    m.name === claims.model && m.version === claims.answers[0].version
  );
  return claims.answers.map((a, i) => ({
    model: i === 0 ? first : served.find((m) => m !== first && m.version === a.version),
    label: a.label,
  }));
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
  const label = new TextEncoder().encode(actual);
  const bytes = new Uint8Array(encoded.length * 8 + label.length);
  bytes.set(new Uint8Array(Float64Array.from(encoded).buffer));
  bytes.set(label, encoded.length * 8);
  const d = sha256(bytes);
  return d[0] * 2 ** 40 + d[1] * 2 ** 32 + ((d[2] << 24) >>> 0) + (d[3] << 16) + (d[4] << 8) + d[5];
}
