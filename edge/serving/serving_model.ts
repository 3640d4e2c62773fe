/**
 * A bundle made ready to serve: the record encoder built once, scratch sizes
 * known, and a single `predict` that validates a whole batch before scoring
 * any of it, so a request either fully succeeds or names every bad field.
 *
 * @module
 */
import { createRecordEncoder } from "../../lib/data/serving.ts";
import { UserError } from "../../lib/errors.ts";
import { rowPredictor } from "../../lib/forest/serving.ts";
import type { ModelBundle } from "../../lib/model/mod.ts";
import type { FieldError } from "../errors.ts";
import type { InstancePath } from "../payloads/predict_request.ts";

/** Scores for a validated batch. */
export interface BatchPrediction {
  readonly n: number;
  // Plain arrays, not typed arrays: a typed array costs ~1 µs to allocate in
  // Deno (an off-heap backing store), an array ~0.1 µs, and this is per request.
  /** Predicted class index per instance (ties go to the lower index). */
  readonly classIndex: readonly number[];
  /** Row-major probabilities, `classes.length` per instance. */
  readonly proba: readonly number[];
  /** Row-major encoded features, `nEncoded` per instance (for drift). */
  readonly encoded: readonly number[];
  /**
   * Row-major category indexes, `nFeatures` per instance: per schema
   * feature, the value's index in its `categories`, -1 when missing or
   * unseen and for numeric features (for drift).
   */
  readonly categories: readonly number[];
  /** Per instance, the features whose category was unseen in training. */
  readonly unknown: readonly (readonly string[])[];
}

/** Either every instance scored, or every problem found. */
export type PredictResult =
  | { ok: true; value: BatchPrediction }
  | { ok: false; errors: FieldError[] };

/** Stop validating after this many errors: the client has enough to fix. */
const MAX_ERRORS = 100;

const NO_UNKNOWN: readonly string[] = Object.freeze([]);

/** A loaded, validated model that scores raw records. */
export class ServingModel {
  readonly bundle: ModelBundle;
  readonly name: string;
  readonly version: string | null;
  readonly classes: readonly string[];
  readonly nEncoded: number;
  /** Raw features (schema order). */
  readonly nFeatures: number;
  readonly #encode: ReturnType<typeof createRecordEncoder>;
  /** Class probabilities of one encoded row into `out`. */
  readonly #walk: (row: Float64Array, out: Float64Array) => void;
  // Scratch for one instance, reused across calls (predict is synchronous).
  readonly #row: Float64Array;
  readonly #cats: Int32Array;
  readonly #p: Float64Array;

  /**
   * Prepares `bundle` for serving; throws {@link UserError} when its parts do
   * not fit together, so a bad bundle fails at load rather than per request.
   *
   * @example
   * ```ts
   * import { readBundle } from "../../lib/model/mod.ts";
   *
   * const model = new ServingModel(await readBundle("edge/model/"));
   * const r = model.predict([{ tenure: 3, Contract: "Month-to-month" }], (_i, f) => f ?? "");
   * ```
   */
  constructor(bundle: ModelBundle) {
    const { schema, forest } = bundle;
    if (forest.nFeatures !== schema.encodedNames.length) {
      throw new UserError(
        `bundle is inconsistent: forest expects ${forest.nFeatures} features, schema encodes ${schema.encodedNames.length}`,
        { code: "BAD_BUNDLE" },
      );
    }
    if (forest.nClasses !== schema.classes.length || forest.nClasses < 1) {
      throw new UserError(
        `bundle is inconsistent: forest has ${forest.nClasses} classes, schema lists ${schema.classes.length}`,
        { code: "BAD_BUNDLE" },
      );
    }
    this.bundle = bundle;
    this.name = bundle.name;
    this.version = bundle.version;
    this.classes = schema.classes;
    this.nEncoded = schema.encodedNames.length;
    this.nFeatures = schema.features.length;
    this.#encode = createRecordEncoder(schema);
    this.#walk = rowPredictor(forest);
    this.#row = new Float64Array(this.nEncoded);
    this.#cats = new Int32Array(this.nFeatures);
    this.#p = new Float64Array(this.classes.length);
  }

  /**
   * Validates and scores `records`. `path` names an instance or one of its
   * fields in error messages (e.g. `instances[3].tenure`).
   */
  predict(records: readonly unknown[], path: InstancePath): PredictResult {
    const n = records.length, E = this.nEncoded, F = this.nFeatures, K = this.classes.length;
    const encoded = new Array<number>(n * E).fill(0);
    const categories = new Array<number>(n * F).fill(-1);
    const row = this.#row, cats = this.#cats, p = this.#p;
    const unknown: (readonly string[])[] = new Array(n);
    const errors: FieldError[] = [];
    for (let i = 0; i < n && errors.length < MAX_ERRORS; i++) {
      const record = records[i];
      if (record === null || typeof record !== "object" || Array.isArray(record)) {
        errors.push({ path: path(i), message: "must be an object of feature values" });
        continue;
      }
      let result;
      try {
        result = this.#encode(record as Record<string, unknown>, row, cats);
      } catch {
        // The encoder should report, not throw; if it ever does, the client
        // still gets a 400 that points at the instance instead of a 500.
        errors.push({ path: path(i), message: "could not be encoded" });
        continue;
      }
      for (const e of result.errors) {
        errors.push({ path: path(i, e.field), message: e.message });
      }
      for (let j = 0; j < E; j++) encoded[i * E + j] = row[j];
      for (let f = 0; f < F; f++) categories[i * F + f] = cats[f];
      unknown[i] = result.unknown.length > 0 ? result.unknown : NO_UNKNOWN;
    }
    if (errors.length > 0) return { ok: false, errors };

    const walk = this.#walk;
    const proba = new Array<number>(n * K);
    const classIndex = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      if (n > 1) { for (let j = 0; j < E; j++) row[j] = encoded[i * E + j]; }
      walk(row, p);
      let best = 0;
      for (let c = 0; c < K; c++) {
        proba[i * K + c] = p[c];
        if (p[c] > p[best]) best = c;
      }
      classIndex[i] = best;
    }
    return { ok: true, value: { n, classIndex, proba, encoded, categories, unknown } };
  }
}
