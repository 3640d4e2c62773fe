/**
 * Seeded, stratified train/test splits and k-fold cross-validation, plus
 * row subsetting. Every class keeps its share in each part, and the seed
 * alone determines the result.
 *
 * @module
 */
import { OptionError, UserError } from "../errors.ts";
import { rng, shuffle } from "../rng.ts";
import type { Matrix } from "./types.ts";

/** Row indexes of one train/test partition, each sorted ascending. */
export interface Split {
  /** Rows to fit on. */
  train: Int32Array;
  /** Rows to evaluate on. */
  test: Int32Array;
}

/**
 * Splits rows into train and test, class by class: each class's rows are
 * shuffled with the seeded RNG and `round(classCount × testSize)` of them go
 * to test. Errors when a class would have no training rows or the test set
 * would be empty. `classNames` only improves error messages.
 *
 * @example
 * ```ts
 * const y = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
 * const { train, test } = stratifiedSplit(y, 2, 0.5, 42);
 * test.length; // 5: two of class 0, three of class 1
 * ```
 */
export function stratifiedSplit(
  y: Int32Array,
  nClasses: number,
  testSize: number,
  seed: number,
  classNames?: string[],
): Split {
  if (!(testSize > 0 && testSize < 1)) {
    throw new UserError(`test size must be between 0 and 1 (exclusive), got ${testSize}`);
  }
  const groups = groupByClass(y, nClasses);
  const rand = rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  groups.forEach((rows, c) => {
    if (rows.length === 0) return;
    shuffle(rows, rand);
    const nTest = Math.round(rows.length * testSize);
    if (nTest >= rows.length) {
      throw new UserError(
        `class ${label(c, classNames)} has only ${rows.length} row(s); with test size ` +
          `${testSize} none would be left for training`,
        { code: "BAD_SPLIT" },
      );
    }
    for (let i = 0; i < rows.length; i++) (i < nTest ? test : train).push(rows[i]);
  });
  if (test.length === 0) throw emptyTestSet(groups, testSize, classNames);
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}

/**
 * Stratified k-fold cross-validation, like scikit-learn's
 * `StratifiedKFold(shuffle=True)`: each class's rows are shuffled, then dealt
 * round-robin over the folds (continuing where the previous class stopped,
 * so fold sizes differ by at most one). Fold `i` tests on its rows and trains
 * on all others; every row is tested exactly once. Errors when `k < 2` or
 * `k` exceeds the smallest class.
 *
 * @example
 * ```ts
 * const y = Int32Array.from({ length: 20 }, (_, i) => i % 2);
 * const folds = stratifiedKFold(y, 2, 5, 42);
 * folds.length; // 5
 * ```
 */
export function stratifiedKFold(
  y: Int32Array,
  nClasses: number,
  k: number,
  seed: number,
  classNames?: string[],
): Split[] {
  if (!Number.isInteger(k) || k < 2) {
    throw new UserError(`number of folds must be an integer ≥ 2, got ${k}`, { code: "BAD_SPLIT" });
  }
  const groups = groupByClass(y, nClasses);
  groups.forEach((rows, c) => {
    if (rows.length > 0 && rows.length < k) {
      throw new UserError(
        `${k} folds need at least ${k} rows per class; class ${label(c, classNames)} has ` +
          `${rows.length}`,
        { code: "BAD_SPLIT" },
      );
    }
  });
  const rand = rng(seed);
  const foldOf = new Int32Array(y.length);
  let next = 0;
  for (const rows of groups) {
    shuffle(rows, rand);
    for (const r of rows) {
      foldOf[r] = next;
      next = (next + 1) % k;
    }
  }
  const sizes = new Int32Array(k);
  for (const f of foldOf) sizes[f]++;
  return Array.from({ length: k }, (_, f) => {
    const test = new Int32Array(sizes[f]);
    const train = new Int32Array(y.length - sizes[f]);
    let t = 0;
    let u = 0;
    // Walking rows in order keeps both index lists sorted without a sort.
    for (let r = 0; r < y.length; r++) {
      if (foldOf[r] === f) test[t++] = r;
      else train[u++] = r;
    }
    return { train, test };
  });
}

/**
 * Copies the given rows of a column-major matrix into a new matrix.
 *
 * @example
 * ```ts
 * import type { Matrix } from "./types.ts";
 *
 * declare const X: Matrix;
 * const split = stratifiedSplit(Int32Array.from([0, 1, 0, 1, 0, 1]), 2, 0.5, 42);
 * const Xtrain = subsetMatrix(X, split.train);
 * ```
 */
export function subsetMatrix(X: Matrix, rows: ArrayLike<number>): Matrix {
  const m = rows.length;
  const data = new Float32Array(X.nCols * m);
  for (let c = 0; c < X.nCols; c++) {
    const src = c * X.nRows;
    const dst = c * m;
    for (let i = 0; i < m; i++) data[dst + i] = X.data[src + rows[i]];
  }
  return { data, nRows: m, nCols: X.nCols };
}

/**
 * Copies the labels of the given rows.
 *
 * @example
 * ```ts
 * const y = Int32Array.from([0, 1, 0, 1, 0, 1]);
 * const split = stratifiedSplit(y, 2, 0.5, 42);
 * const yTrain = subsetLabels(y, split.train);
 * ```
 */
export function subsetLabels(y: Int32Array, rows: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out;
}

/**
 * The error for a split that puts no row in the test set: every class is
 * too small for `round(rows × testSize)` to reach one. Names the smallest
 * classes, since with many tiny classes that, not the test size, is the cause.
 */
function emptyTestSet(
  groups: Int32Array[],
  testSize: number,
  classNames: string[] | undefined,
): UserError {
  let need = Math.max(1, Math.ceil(0.5 / testSize) - 1);
  while (Math.round(need * testSize) < 1) need++;
  const present = groups.map((rows, c) => ({ c, n: rows.length })).filter((g) => g.n > 0)
    .sort((a, b) => a.n - b.n || a.c - b.c);
  const bySize = new Map<number, number>();
  for (const { n } of present) bySize.set(n, (bySize.get(n) ?? 0) + 1);
  const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;
  const sizes = [...bySize].map(([n, k]) => `${k} with ${rows(n)}`).join(", ");
  const SHOWN = 5;
  const named = present.slice(0, SHOWN).map(({ c, n }) => `${label(c, classNames)} (${rows(n)})`)
    .join(", ");
  const more = present.length > SHOWN ? ` and ${present.length - SHOWN} more` : "";
  const all = present.length === 1 ? "the only class has" : `all ${present.length} classes have`;
  return new OptionError(
    "testSize",
    (name) =>
      `test size ${testSize} puts no row in the test set: a class needs at least ${rows(need)} ` +
      `for one test row, and ${all} fewer (${sizes}): ${named}${more}; use a larger ` +
      `${name("testSize")}, a separate ${name("test")} CSV, or more rows per class`,
    { code: "BAD_SPLIT" },
  );
}

/** Row indexes per class, in row order (so the shuffle alone decides the order). */
function groupByClass(y: Int32Array, nClasses: number): Int32Array[] {
  const counts = new Int32Array(nClasses);
  for (const c of y) {
    if (c < 0 || c >= nClasses) throw new RangeError(`label ${c} outside [0, ${nClasses})`);
    counts[c]++;
  }
  const groups = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(nClasses);
  for (let r = 0; r < y.length; r++) groups[y[r]][fill[y[r]]++] = r;
  return groups;
}

function label(c: number, classNames: string[] | undefined): string {
  return classNames?.[c] !== undefined ? `'${classNames[c]}'` : String(c);
}
