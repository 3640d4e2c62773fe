/**
 * Input quantization for the wasm kernel: a value is replaced by its rank
 * among the thresholds the forest actually uses for that feature. A split
 * `x > threshold` then becomes `code(x) > code(threshold)` exactly, for f32
 * and f64 inputs alike, and a row shrinks to one or two bytes per feature.
 *
 * @module
 */
import type { PackedForest } from "./types.ts";

/**
 * Sorted distinct thresholds of each feature's splits.
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const cuts = forestCuts(forest); // cuts[f]: Float64Array, ascending
 * ```
 */
export function forestCuts(forest: PackedForest): Float64Array[] {
  const { nFeatures, feature, threshold } = forest;
  // Counting pass, then each feature's thresholds in a typed array: sorted
  // natively and deduplicated in place (no Set; this runs at model load).
  const count = new Int32Array(nFeatures);
  for (let i = 0; i < feature.length; i++) if (feature[i] >= 0) count[feature[i]]++;
  const per = Array.from(count, (n) => new Float64Array(n));
  const fill = new Int32Array(nFeatures);
  for (let i = 0; i < feature.length; i++) {
    const f = feature[i];
    if (f >= 0) per[f][fill[f]++] = threshold[i];
  }
  return per.map((t) => {
    t.sort();
    let m = 0;
    for (let i = 0; i < t.length; i++) if (i === 0 || t[i] !== t[m - 1]) t[m++] = t[i];
    return t.slice(0, m);
  });
}

/**
 * `1 + (number of cuts < v)`: so `v > cuts[j]` exactly when
 * `code(v) > code(cuts[j]) = j + 1`. NaN gets 1 and so goes left at every
 * split, as in training.
 *
 * @example
 * ```ts
 * quantize(Float64Array.of(0.5, 2), 1); // 2
 * ```
 */
export function quantize(cuts: Float64Array, v: number): number {
  let lo = 0, hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/**
 * Bytes needed per code (1 or 2), or null when a feature has more distinct
 * thresholds than two bytes can rank.
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * codeBytes(forestCuts(forest)); // 1 for forests trained here (≤ 255 bins)
 * ```
 */
export function codeBytes(cuts: Float64Array[]): 1 | 2 | null {
  const most = cuts.reduce((m, c) => Math.max(m, c.length), 0);
  return most + 1 <= 0xff ? 1 : most + 1 <= 0xffff ? 2 : null;
}
