/**
 * The scalar walk over the quantized layout (`quantized.ts`), as a bundle
 * stores it: nothing is built or copied first, so a freshly loaded model
 * answers its first request at once. Per row, each feature a split uses is
 * coded once (a binary search in its thresholds); each step is then one
 * integer comparison.
 *
 * Sums the leaves in tree order and divides by the tree count, as the other
 * walks do (`predict.ts`, the wasm kernel): probabilities are equal bit for bit.
 *
 * @module
 */
import { quantize } from "./quantize.ts";
import type { QuantizedForest } from "./quantized.ts";

/**
 * A function writing one encoded row's class probabilities into `out`
 * (which it returns), walking `q` as it is.
 *
 * @example
 * ```ts
 * import type { QuantizedForest } from "./quantized.ts";
 *
 * declare const q: QuantizedForest;
 * const walk = quantizedRowWalk(q);
 * walk(Float64Array.of(1, 29.85), new Float64Array(2));
 * ```
 */
export function quantizedRowWalk(
  q: QuantizedForest,
): (row: ArrayLike<number>, out: Float64Array) => Float64Array {
  const { nTrees, nClasses: K, roots, feature, code, link, value, leafClass, cuts } = q;
  const codes = new Int32Array(q.nFeatures);
  return (row, out) => {
    for (let f = 0; f < codes.length; f++) codes[f] = quantize(cuts[f], row[f]);
    out.fill(0);
    for (let t = 0; t < nTrees; t++) {
      let i = roots[t];
      let f = feature[i];
      while (f >= 0) {
        i = codes[f] > code[i] ? i + link[i] : i + 1;
        f = feature[i];
      }
      const o = link[i];
      if (leafClass) {
        for (let j = o, e = o + code[i]; j < e; j++) out[leafClass[j]] += value[j];
      } else for (let c = 0; c < K; c++) out[c] += value[o + c];
    }
    for (let c = 0; c < K; c++) out[c] /= nTrees;
    return out;
  };
}
