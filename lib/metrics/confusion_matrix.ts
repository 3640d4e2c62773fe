/**
 * Confusion matrix.
 *
 * @module
 */
import { checkLabels, checkSameLength } from "./_validate.ts";

/**
 * Counts of (true class, predicted class) pairs: `matrix[t][p]` is the number
 * of rows of class `t` predicted as `p`. Every class gets a row and a column,
 * present or not, so matrices from different splits line up.
 *
 * @param yTrue True class index per row.
 * @param yPred Predicted class index per row.
 * @param nClasses Number of classes.
 * @returns An `nClasses` x `nClasses` matrix of counts.
 *
 * @example
 * ```ts
 * import { confusionMatrix } from "./mod.ts";
 * import { strict as assert } from "node:assert";
 *
 * const m = confusionMatrix(new Int32Array([0, 1, 1]), new Int32Array([0, 0, 1]), 2);
 * assert.deepEqual(m, [[1, 0], [1, 1]]);
 * ```
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number[][] {
  checkSameLength(yTrue, yPred, "confusionMatrix");
  checkLabels(yTrue, nClasses, "yTrue");
  checkLabels(yPred, nClasses, "yPred");
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/** Most classes {@link confusionTable} shows one by one (default). */
export const MAX_TABLE_CLASSES = 50;

/** A confusion matrix small enough to print, plot and store whatever the class count. */
export interface ConfusionTable {
  /**
   * Row and column labels: every class in index order; or, past the limit,
   * the classes with the most support in index order and a last
   * `"(N other classes)"` standing for the rest.
   */
  labels: string[];
  /** `matrix[t][p]`: holdout rows of true label `t` predicted as `p`. */
  matrix: number[][];
  /** How many classes the last row and column fold together (0: none). */
  folded: number;
}

/**
 * The confusion matrix of at most `maxClasses` classes plus one "other" row
 * and column: the classes with the most support (true rows; ties: the lower
 * index) keep their own, the rest are added up. With `classes.length <=
 * maxClasses` this is {@link confusionMatrix} with labels. Memory is linear
 * in rows and classes, never their square.
 *
 * @example
 * ```ts
 * import { confusionTable } from "./mod.ts";
 * import { strict as assert } from "node:assert";
 *
 * const t = confusionTable(
 *   new Int32Array([0, 0, 1, 2]),
 *   new Int32Array([0, 2, 1, 1]),
 *   ["a", "b", "c"],
 *   1,
 * );
 * assert.deepEqual(t.labels, ["a", "(2 other classes)"]);
 * assert.deepEqual(t.matrix, [[1, 1], [0, 2]]);
 * ```
 */
export function confusionTable(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classes: readonly string[],
  maxClasses: number = MAX_TABLE_CLASSES,
): ConfusionTable {
  const K = classes.length;
  checkSameLength(yTrue, yPred, "confusionTable");
  checkLabels(yTrue, K, "yTrue");
  checkLabels(yPred, K, "yPred");
  if (!(Number.isInteger(maxClasses) && maxClasses >= 1)) {
    throw new RangeError(`maxClasses must be a positive integer, got ${maxClasses}`);
  }
  // slot[k]: the row/column of class k.
  const slot = new Int32Array(K);
  let labels: string[];
  let folded = 0;
  if (K <= maxClasses) {
    for (let k = 0; k < K; k++) slot[k] = k;
    labels = [...classes];
  } else {
    const support = new Float64Array(K);
    for (let i = 0; i < yTrue.length; i++) support[yTrue[i]]++;
    const order = Array.from({ length: K }, (_, k) => k)
      .sort((a, b) => support[b] - support[a] || a - b);
    const kept = order.slice(0, maxClasses).sort((a, b) => a - b);
    folded = K - maxClasses;
    slot.fill(maxClasses);
    kept.forEach((k, i) => slot[k] = i);
    labels = [...kept.map((k) => classes[k]), `(${folded} other classes)`];
  }
  const n = labels.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[slot[yTrue[i]]][slot[yPred[i]]]++;
  return { labels, matrix, folded };
}
