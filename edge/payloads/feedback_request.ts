/**
 * The `/v1/feedback` body: the true label for an earlier prediction,
 * `{"prediction_id": "...", "actual": "Yes"}`, or for features scored on
 * the spot, `{"features": {...}, "actual": "Yes"}`.
 *
 * @module
 */
import { type FieldError, invalidInput } from "../errors.ts";

/** A validated feedback request; `actual` is one of the model's classes. */
export type Feedback =
  | { kind: "prediction"; predictionId: string; actual: string }
  | { kind: "features"; features: Record<string, unknown>; actual: string };

/** Longest prediction id accepted; ours are a few hundred characters (prediction_id.ts). */
const MAX_ID_LENGTH = 4096;

/**
 * Checks the envelope and the label against `classes`.
 *
 * @example
 * ```ts
 * parseFeedbackBody({ prediction_id: "a1-0", actual: "Yes" }, ["No", "Yes"]);
 * // { kind: "prediction", predictionId: "a1-0", actual: "Yes" }
 * ```
 */
export function parseFeedbackBody(body: unknown, classes: readonly string[]): Feedback {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidInput([{
      path: "",
      message:
        'expected {"prediction_id": ..., "actual": ...} or {"features": {...}, "actual": ...}',
    }]);
  }
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const actual = labelOf(b.actual);
  if (b.actual === undefined) errors.push({ path: "actual", message: "missing field" });
  else if (actual === null || !classes.includes(actual)) {
    errors.push({ path: "actual", message: `must be one of: ${classes.join(", ")}` });
  }
  const hasId = Object.hasOwn(b, "prediction_id");
  const hasFeatures = Object.hasOwn(b, "features");
  if (hasId === hasFeatures) {
    errors.push({ path: "", message: 'send exactly one of "prediction_id" or "features"' });
  } else if (hasId) {
    const id = b.prediction_id;
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
      errors.push({ path: "prediction_id", message: "must be a prediction id string" });
    }
  } else {
    const f = b.features;
    if (f === null || typeof f !== "object" || Array.isArray(f)) {
      errors.push({ path: "features", message: "must be an object of feature values" });
    }
  }
  if (errors.length > 0) throw invalidInput(errors);
  return hasId
    ? { kind: "prediction", predictionId: b.prediction_id as string, actual: actual! }
    : { kind: "features", features: b.features as Record<string, unknown>, actual: actual! };
}

/** Labels are compared as text, the way the training CSV held them. */
function labelOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return null;
}
