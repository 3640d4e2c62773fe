/**
 * The part of the forest that serving loads: a packed forest's types, its
 * quantized layout (what format-3 bundles store) and prediction, without the
 * training code, the worker pool or the hyperparameter catalogue that
 * `mod.ts` adds. The model bundle and the edge import this.
 *
 * @example
 * ```ts
 * import { type PackedForest, rowPredictor } from "./serving.ts";
 *
 * declare const forest: PackedForest;
 * const predict = rowPredictor(forest);
 * const proba = new Float64Array(forest.nClasses);
 * predict(new Float64Array(forest.nFeatures), proba);
 * ```
 *
 * @module
 */
export type { ForestParams, PackedForest } from "./types.ts";
export { argmaxRows, predictProbaMatrix, predictProbaRow } from "./predict.ts";
export { type RowPredictor, rowPredictor } from "./row_predictor.ts";
export {
  checkQuantizedForest,
  narrowQuantized,
  packedView,
  type QuantizedForest,
  quantizedLayoutOf,
  quantizeForest,
} from "./quantized.ts";
