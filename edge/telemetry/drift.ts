/**
 * Live drift per feature: where instances fall in the training bins stored
 * in the bundle, compared with the training shares by PSI.
 *
 * Two views of the same counts. For Prometheus, a cumulative counter per
 * feature and bin ({@link DriftTracker.binTallies}) beside the training share
 * of each bin: counters sum across instances, so PSI over any time window is
 * a recording rule over the whole fleet. For this instance's own status
 * page, a ring of the last `window` instances keeps the comparison about the
 * present; memory is `window × features` 16-bit bin codes, fixed.
 *
 * PSI from few samples is noise: with 10 bins and 30 samples, training data
 * itself scores ~0.3 to ~0.9 (empty bins dominate). Both views therefore
 * carry the sample count, and the local one withholds PSI below
 * {@link DRIFT_MIN_SAMPLES_PER_BIN} samples per bin (and {@link DRIFT_MIN_SAMPLES}
 * in all), the same guard the FeatureDrift alert applies.
 *
 * Bins come from what encoding already worked out: numeric values from the
 * encoded row (so numeric strings count as parsed), categories as the
 * encoder's category index (so unseen values, which encode as all zeros,
 * count as nothing rather than as a known category). Per-feature state sits
 * in flat typed arrays, so observing is the same few array reads for every
 * feature, with no per-feature objects or field-name lookups.
 *
 * @module
 */
import {
  binNumeric,
  type DatasetSchema,
  type FeatureDrift as TableDrift,
  type FeatureStats,
  type NumericStats,
  psi,
} from "../../lib/data/serving.ts";
import type { BatchPrediction } from "../serving/serving_model.ts";

/**
 * Samples per bin, on average, before PSI means anything: the FeatureDrift
 * alert (`monitoring/rules/mlops.rules.yml`) needs `max(30 × bins, 300)`
 * samples in its window, and the local view withholds PSI below the same
 * count. Simulated on the Telco training data, undrifted windows of that size
 * put no feature's PSI above 0.2 (0 of 20,000); without the guard, 30 rows
 * did in 99.8% of windows (`deno task drift:false-alarms`).
 */
export const DRIFT_MIN_SAMPLES_PER_BIN = 30;
/** The floor of the sample guard, for features with few bins. */
export const DRIFT_MIN_SAMPLES = 300;

/**
 * Drift of one feature over the window: a batch's drift (`lib/data`), whose
 * PSI stays `null` until the window holds `minSamples` usable values.
 */
export interface FeatureDrift extends TableDrift {
  /** Samples needed before PSI is reported: max(30 × bins, 300). */
  minSamples: number;
}

/**
 * Labels of one drift bin: the feature and the bin's index, as text, beside
 * the labels of the model whose training bins they are.
 */
export type BinAttrs = Readonly<Record<string, string>> & { feature: string; bin: string };

/** A cumulative count of one bin, with its labels and training share. */
export interface BinTally {
  attrs: BinAttrs;
  /** Instances counted in this bin since the model loaded. */
  n: number;
  /** Share of training rows in this bin. */
  expected: number;
}

/** What drift reads from a scored batch. */
export type DriftInput = Pick<BatchPrediction, "n" | "encoded" | "categories">;

/** Bin code for "nothing counted" (missing or unseen value). */
const NONE = 0xffff;

/** Sliding-window bin counts for every feature that has training stats. */
export class DriftTracker {
  readonly #names: string[] = [];
  readonly #expected: (readonly number[])[] = [];
  /** Numeric: bin edges; categorical: null. */
  readonly #edges: (Pick<NumericStats, "edges"> | null)[] = [];
  /** Numeric: encoded column; categorical: feature index (into `categories`). */
  readonly #source: Int32Array;
  /** First count slot of each tracked feature in `#counts`. */
  readonly #offset: Int32Array;
  readonly #counts: Float64Array;
  /** Cumulative counts per slot, never decremented (the exported counters). */
  readonly #bins: BinTally[] = [];
  readonly #n: Float64Array;
  readonly #ring: Uint16Array;
  readonly #window: number;
  readonly #nEncoded: number;
  readonly #nFeatures: number;
  #next = 0;

  /**
   * @example
   * ```ts
   * import type { ModelBundle } from "../../lib/model/mod.ts";
   * import type { BatchPrediction } from "../serving/serving_model.ts";
   *
   * declare const bundle: ModelBundle;
   * declare const batch: BatchPrediction;
   * const drift = new DriftTracker(bundle.schema, bundle.featureStats, 5000, { model_role: "champion" });
   * drift.observe(batch); // a BatchPrediction from ServingModel.predict
   * drift.snapshot(); // [{ name: "tenure", kind: "numeric", psi: 0.03, n: 812 }, ...]
   * ```
   */
  constructor(
    schema: DatasetSchema,
    stats: readonly FeatureStats[],
    window: number,
    labels: Readonly<Record<string, string>> = {},
  ) {
    const byName = new Map(stats.map((s) => [s.name, s]));
    const source: number[] = [], offset: number[] = [];
    let slots = 0;
    schema.features.forEach((spec, f) => {
      const s = byName.get(spec.name);
      // Features without usable training stats cannot drift from anything.
      if (!s || s.kind !== spec.kind || s.count === 0) return;
      if (s.proportions.length === 0 || s.proportions.length >= NONE) return;
      this.#names.push(spec.name);
      this.#expected.push(s.proportions);
      s.proportions.forEach((expected, b) =>
        this.#bins.push({
          attrs: { ...labels, feature: spec.name, bin: String(b) },
          n: 0,
          expected,
        })
      );
      this.#edges.push(s.kind === "numeric" ? { edges: s.edges } : null);
      source.push(s.kind === "numeric" ? schema.encodedSource.indexOf(f) : f);
      offset.push(slots);
      slots += s.proportions.length;
    });
    this.#source = Int32Array.from(source);
    this.#offset = Int32Array.from(offset);
    this.#counts = new Float64Array(slots);
    this.#n = new Float64Array(source.length);
    this.#window = window;
    this.#nEncoded = schema.encodedNames.length;
    this.#nFeatures = schema.features.length;
    this.#ring = new Uint16Array(window * source.length).fill(NONE);
  }

  /** Adds the instances of a validated, scored batch. */
  observe(batch: DriftInput): void {
    const T = this.#source.length;
    if (T === 0) return;
    const { encoded, categories } = batch;
    const E = this.#nEncoded, F = this.#nFeatures;
    const ring = this.#ring, counts = this.#counts, n = this.#n, bins = this.#bins;
    for (let r = 0; r < batch.n; r++) {
      const slot = this.#next * T;
      for (let t = 0; t < T; t++) {
        const at = this.#offset[t];
        const old = ring[slot + t];
        if (old !== NONE) {
          counts[at + old]--;
          n[t]--;
        }
        const edges = this.#edges[t];
        const bin = edges !== null
          ? binNumeric(edges, encoded[r * E + this.#source[t]])
          : categories[r * F + this.#source[t]];
        const code = bin >= 0 ? bin : NONE;
        ring[slot + t] = code;
        if (code !== NONE) {
          counts[at + code]++;
          n[t]++;
          bins[at + code].n++;
        }
      }
      this.#next = (this.#next + 1) % this.#window;
    }
  }

  /** PSI per tracked feature over the window, in schema order. */
  snapshot(): FeatureDrift[] {
    return this.#names.map((name, t) => {
      const at = this.#offset[t], bins = this.#expected[t].length;
      const minSamples = Math.max(DRIFT_MIN_SAMPLES_PER_BIN * bins, DRIFT_MIN_SAMPLES);
      const value = this.#n[t] >= minSamples
        ? psi(this.#expected[t], this.#counts.subarray(at, at + bins))
        : NaN;
      return {
        name,
        kind: this.#edges[t] !== null ? "numeric" : "categorical",
        psi: Number.isFinite(value) ? value : null,
        n: this.#n[t],
        minSamples,
      };
    });
  }

  /**
   * Every bin of every tracked feature, zero counts included (so the series
   * exist from the first scrape and a window's empty bins are seen as
   * empty), each with its training share.
   */
  binTallies(): readonly BinTally[] {
    return this.#bins;
  }
}
