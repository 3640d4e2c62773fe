/**
 * Live drift per feature: where recent instances fall in the training bins
 * stored in the bundle, compared with the training shares by PSI.
 *
 * A ring of the last `window` instances keeps the comparison about the
 * present; memory is `window × features` 16-bit bin codes, fixed.
 *
 * @module
 */
import { binCategory, binNumeric, psi } from "../../lib/data/mod.ts";
import type {
  CategoricalFeature,
  DatasetSchema,
  FeatureStats,
  NumericStats,
} from "../../lib/data/types.ts";

/** Drift of one feature over the window. */
export interface FeatureDrift {
  name: string;
  kind: "numeric" | "categorical";
  /** Population stability index vs training; `null` until a value arrives. */
  psi: number | null;
  /** Instances in the window with a usable (non-missing, known) value. */
  n: number;
}

/** Bin code for "nothing counted" (missing or unseen value). */
const NONE = 0xffff;

type Tracked =
  & { name: string; counts: Float64Array; expected: readonly number[]; n: number }
  & (
    | { kind: "numeric"; stats: NumericStats; column: number }
    | { kind: "categorical"; spec: CategoricalFeature }
  );

/** Sliding-window bin counts for every feature that has training stats. */
export class DriftTracker {
  readonly #features: Tracked[] = [];
  readonly #ring: Uint16Array;
  readonly #window: number;
  #next = 0;

  /**
   * @example
   * ```ts
   * const drift = new DriftTracker(bundle.schema, bundle.featureStats, 5000);
   * drift.observe(records, batch.encoded, schema.encodedNames.length);
   * drift.snapshot(); // [{ name: "tenure", kind: "numeric", psi: 0.03, n: 812 }, ...]
   * ```
   */
  constructor(schema: DatasetSchema, stats: readonly FeatureStats[], window: number) {
    const byName = new Map(stats.map((s) => [s.name, s]));
    schema.features.forEach((spec, f) => {
      const s = byName.get(spec.name);
      // Features without usable training stats cannot drift from anything.
      if (!s || s.kind !== spec.kind || s.count === 0) return;
      if (s.proportions.length === 0 || s.proportions.length >= NONE) return;
      const base = {
        name: spec.name,
        counts: new Float64Array(s.proportions.length),
        expected: s.proportions,
        n: 0,
      };
      if (s.kind === "numeric") {
        this.#features.push({
          ...base,
          kind: "numeric",
          stats: s,
          column: schema.encodedSource.indexOf(f),
        });
      } else if (spec.kind === "categorical") {
        this.#features.push({ ...base, kind: "categorical", spec });
      }
    });
    this.#window = window;
    this.#ring = new Uint16Array(window * this.#features.length).fill(NONE);
  }

  /**
   * Adds validated instances. Numeric values are read from `encoded`
   * (row-major, `nEncoded` per row) so numeric strings count as parsed;
   * categories from the raw records, since encoding hides unseen ones.
   */
  observe(records: readonly unknown[], encoded: ArrayLike<number>, nEncoded: number): void {
    const F = this.#features.length;
    if (F === 0) return;
    for (let r = 0; r < records.length; r++) {
      const record = records[r] as Record<string, unknown>;
      const slot = this.#next * F;
      for (let f = 0; f < F; f++) {
        const t = this.#features[f];
        const old = this.#ring[slot + f];
        if (old !== NONE) {
          t.counts[old]--;
          t.n--;
        }
        const bin = t.kind === "numeric"
          ? binNumeric(t.stats, encoded[r * nEncoded + t.column])
          : binCategory(t.spec, categoryOf(record[t.name]));
        const code = bin >= 0 ? bin : NONE;
        this.#ring[slot + f] = code;
        if (code !== NONE) {
          t.counts[code]++;
          t.n++;
        }
      }
      this.#next = (this.#next + 1) % this.#window;
    }
  }

  /** PSI per tracked feature, in schema order. */
  snapshot(): FeatureDrift[] {
    return this.#features.map((t) => {
      const value = t.n > 0 ? psi(t.expected, t.counts) : NaN;
      return { name: t.name, kind: t.kind, psi: Number.isFinite(value) ? value : null, n: t.n };
    });
  }
}

/** The category string the encoder would use (numbers and booleans as text). */
function categoryOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}
