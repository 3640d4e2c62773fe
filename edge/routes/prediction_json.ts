/**
 * The `/v1/predict` response body, written as text by a writer prepared once
 * per model.
 *
 * Why not `c.json(object)`: at tens of thousands of predictions a second,
 * building an object with class-named keys and stringifying it was the
 * largest cost after the forest itself. Everything that depends only on the
 * model (escaped class names, the model reference) is serialized once here,
 * so a prediction is a handful of string concatenations. The output is
 * exactly what `JSON.stringify` would produce for {@link PredictionBody}.
 *
 * @module
 */
import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";

/** One scored instance as the API returns it. */
export interface PredictionBody {
  prediction_id: string;
  label: string;
  /** Probability per class, keyed by class label. */
  probabilities: Record<string, number>;
  /** Present when a feature held a category unseen in training. */
  unknown_categories?: readonly string[];
}

/** Distinct probabilities whose text a {@link PredictionJson} keeps. */
const MAX_CACHED_NUMBERS = 4096;

/** Writes prediction responses for one model. */
export class PredictionJson {
  readonly #labels: string[];
  readonly #keys: string[];
  readonly #model: string;
  // A forest's probabilities are means over its trees' leaves, so a few
  // values recur (multiples of 1/trees when leaves are pure); their text is
  // kept instead of formatting the same double again on every request.
  readonly #numbers = new Map<number, string>();

  /**
   * @example
   * ```ts
   * import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
   *
   * declare const model: ServingModel;
   * declare const batch: BatchPrediction;
   * const json = new PredictionJson(model);
   * const text = json.single(batch, ["p1.eyJtIjoi….Qm9v…"]); // '{"prediction_id":"p1.eyJtIjoi…","label":"No",…}'
   * ```
   */
  constructor(model: ServingModel) {
    this.#labels = model.classes.map((c) => JSON.stringify(c));
    this.#keys = model.classes.map((c, k) => (k === 0 ? "{" : ",") + JSON.stringify(c) + ":");
    this.#model = JSON.stringify({ name: model.name, version: model.version });
  }

  /** `{prediction_id, label, probabilities[, unknown_categories], model}` for instance 0. */
  single(batch: BatchPrediction, ids: readonly string[]): string {
    return this.#prediction(batch, ids, 0) + ',"model":' + this.#model + "}";
  }

  /** `{model, predictions: [...]}` for the whole batch. */
  batch(batch: BatchPrediction, ids: readonly string[]): string {
    let out = '{"model":' + this.#model + ',"predictions":[';
    for (let i = 0; i < batch.n; i++) {
      out += (i === 0 ? "" : ",") + this.#prediction(batch, ids, i) + "}";
    }
    return out + "]}";
  }

  /** One prediction without its closing brace. */
  #prediction(batch: BatchPrediction, ids: readonly string[], i: number): string {
    const K = this.#keys.length;
    // Ids are base64url and dots (prediction_id.ts): nothing to escape.
    let out = '{"prediction_id":"' + ids[i] + '","label":' + this.#labels[batch.classIndex[i]] +
      ',"probabilities":';
    for (let k = 0; k < K; k++) out += this.#keys[k] + this.#number(batch.proba[i * K + k]);
    out += "}";
    const unknown = batch.unknown[i];
    if (unknown.length > 0) out += ',"unknown_categories":' + JSON.stringify(unknown);
    return out;
  }

  /** A probability as JSON writes it (they are always finite). */
  #number(x: number): string {
    let text = this.#numbers.get(x);
    if (text === undefined) {
      text = Number.isFinite(x) ? String(x) : "null";
      if (this.#numbers.size < MAX_CACHED_NUMBERS) this.#numbers.set(x, text);
    }
    return text;
  }
}
