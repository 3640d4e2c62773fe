/**
 * Prediction over a forest: probabilities are the mean of the trees' leaf
 * class distributions, as in scikit-learn. The wasm kernel (`walker.ts`)
 * does the walking where it can; the scalar walk over the compiled layout
 * (`compiled.ts`) is the fallback and the reference the kernel is tested
 * against: both give the same probabilities bit for bit.
 *
 * @module
 */
import type { Matrix } from "../data/serving.ts";
import { compileForest } from "./compiled.ts";
import type { PackedForest } from "./types.ts";
import { loadWalker } from "./walker.ts";

// One argmax for the whole project (ties → lowest class index, like scikit-learn).
export { argmaxRows } from "../metrics/argmax.ts";

/**
 * Writes class probabilities for one encoded row into `out` and returns it.
 * NaN (missing) values follow the left branch, as in training.
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const p = predictProbaRow(forest, Float64Array.from([0, 1, 29.85]), new Float64Array(2));
 * ```
 */
export function predictProbaRow(
  forest: PackedForest,
  row: ArrayLike<number>,
  out: Float64Array = new Float64Array(forest.nClasses),
): Float64Array {
  const walker = loadWalker(forest);
  if (walker) {
    walker.predictRow(row, out);
    return out;
  }
  return predictProbaRowScalar(forest, row, out);
}

/**
 * {@link predictProbaRow} without the wasm kernel.
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const row = Float64Array.from([0, 1, 29.85]);
 * const p = predictProbaRowScalar(forest, row, new Float64Array(forest.nClasses));
 * ```
 */
export function predictProbaRowScalar(
  forest: PackedForest,
  row: ArrayLike<number>,
  out: Float64Array = new Float64Array(forest.nClasses),
): Float64Array {
  const { roots, f64, i32, value, leafClass, nClasses: K, nTrees } = compileForest(forest);
  out.fill(0);
  for (let t = 0; t < nTrees; t++) {
    let i = roots[t];
    let f = i32[4 * i + 2];
    while (f >= 0) {
      const v = row[f];
      i = v <= f64[2 * i] || v !== v ? i + 1 : i32[4 * i + 3];
      f = i32[4 * i + 2];
    }
    const o = i32[4 * i + 3];
    // Skipping a sparse leaf's zeros adds the same values in the same order: same sums.
    if (leafClass) {
      for (let j = o, e = o + i32[4 * i]; j < e; j++) out[leafClass[j]] += value[j];
    } else for (let c = 0; c < K; c++) out[c] += value[o + c];
  }
  for (let c = 0; c < K; c++) out[c] /= nTrees;
  return out;
}

/**
 * Class probabilities for every row of a column-major matrix, row-major
 * (`nClasses` per row).
 *
 * @example
 * ```ts
 * import type { Matrix } from "../data/serving.ts";
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * declare const X: Matrix;
 * const proba = predictProbaMatrix(forest, X); // proba[r * K + c]
 * ```
 */
export function predictProbaMatrix(forest: PackedForest, X: Matrix): Float64Array {
  const walker = loadWalker(forest);
  if (!walker) return predictProbaMatrixScalar(forest, X);
  const out = new Float64Array(X.nRows * forest.nClasses);
  walker.predictMatrix(X, out);
  return out;
}

/**
 * {@link predictProbaMatrix} without the wasm kernel.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../data/serving.ts";
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * declare const X: Matrix;
 * const proba = predictProbaMatrixScalar(forest, X);
 * ```
 */
export function predictProbaMatrixScalar(forest: PackedForest, X: Matrix): Float64Array {
  const { roots, f64, i32, value, leafClass, nClasses: K, nTrees } = compileForest(forest);
  const n = X.nRows, data = X.data;
  const out = new Float64Array(n * K);
  // Tree-major order keeps one tree's nodes hot in cache across all rows.
  for (let t = 0; t < nTrees; t++) {
    const root = roots[t];
    for (let r = 0; r < n; r++) {
      let i = root;
      let f = i32[4 * i + 2];
      while (f >= 0) {
        const v = data[f * n + r];
        i = v <= f64[2 * i] || v !== v ? i + 1 : i32[4 * i + 3];
        f = i32[4 * i + 2];
      }
      const o = i32[4 * i + 3], ro = r * K;
      if (leafClass) {
        for (let j = o, e = o + i32[4 * i]; j < e; j++) out[ro + leafClass[j]] += value[j];
      } else for (let c = 0; c < K; c++) out[ro + c] += value[o + c];
    }
  }
  // Division (not multiplication by 1/nTrees) keeps results bit-identical to predictProbaRow.
  for (let q = 0; q < out.length; q++) out[q] /= nTrees;
  return out;
}
