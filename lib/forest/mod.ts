/**
 * A random-forest classifier built for speed: features are binned once into
 * byte codes, trees grow with histogram split search (gini or entropy, known
 * constant features skipped, sibling histograms by subtraction when most
 * features are scanned), and trees train in parallel on Deno Workers with
 * results that depend only on the seed. Prediction walks the trees in a
 * generated WebAssembly kernel, with a scalar JS walk as fallback.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARAMS, fitForest, predictProbaMatrix } from "./mod.ts";
 * import type { Matrix } from "../data/mod.ts";
 *
 * declare const X: Matrix, Xtest: Matrix;
 * declare const y: Int32Array;
 * const { forest, oobScore } = await fitForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 200 });
 * const proba = predictProbaMatrix(forest, Xtest);
 * ```
 *
 * @module
 */
export type { FitReport, ForestParams, MaxFeatures, PackedForest } from "./types.ts";
export { DEFAULT_PARAMS } from "./types.ts";
export { type Param, PARAM_LIST, type ParamEntry, PARAMS } from "./params.ts";
/** The catalogue's views of a parameter set: MLflow params, config-id text, `params.json`. */
export { canonicalParams, mlflowParams, paramsJson } from "./params.ts";
/** The catalogue's value parsers, also for options that are not hyperparameters. */
export * as parse from "./parse.ts";
export { fitForest, type FitOptions, resolveMaxFeatures } from "./fit.ts";
export { argmaxRows, predictProbaMatrix, predictProbaRow } from "./predict.ts";
export { createForestPool, defaultWorkers, type ForestPool } from "./pool.ts";
export { binMatrix, type BinnedMatrix } from "./bin.ts";
/** Training with the ml-random-forest package instead (`--engine ml-random-forest`). */
export { trainMlRandomForest } from "./ml_random_forest.ts";
