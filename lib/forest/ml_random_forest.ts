/**
 * Interop with npm `ml-random-forest`: export our forest as the JSON its
 * `RandomForestClassifier.load()` accepts, import one of its trained models,
 * and train with the library itself (`--engine ml-random-forest`).
 *
 * The library sends `x < splitValue` left while we send `x <= threshold`
 * left, so thresholds move by one ulp on the way; it has no notion of
 * missing values, so exported models expect imputed inputs.
 *
 * @module
 */
import { RandomForestClassifier } from "ml-random-forest";
import type { Matrix } from "../data/mod.ts";
import { PARAM_LIST } from "./params.ts";
import type { ForestParams, PackedForest } from "./types.ts";

/** JSON shape of one ml-cart tree node. */
interface MlNode {
  splitValue?: number;
  splitColumn?: number;
  left?: MlNode;
  right?: MlNode;
  distribution?: number[][];
  kind?: string;
}

/** JSON shape `RandomForestClassifier.load()` accepts. */
export interface MlRandomForestJSON {
  name: "RFClassifier";
  baseModel: {
    indexes: number[][];
    n: number;
    replacement: boolean;
    maxFeatures: number;
    nEstimators: number;
    treeOptions: Record<string, unknown>;
    isClassifier: true;
    seed: number;
    useSampleBagging: boolean;
    noOOB: boolean;
    estimators: { name: "DTClassifier"; options: Record<string, unknown>; root: MlNode }[];
  };
}

const F64 = new Float64Array(1);
const I64 = new BigInt64Array(F64.buffer);

/** Smallest double greater than `x` (finite x or -Infinity). */
function nextUp(x: number): number {
  if (x === -Infinity) return -Number.MAX_VALUE;
  if (x === 0) return Number.MIN_VALUE;
  F64[0] = x;
  I64[0] += x > 0 ? 1n : -1n;
  return F64[0];
}

/** Largest double smaller than `x`. */
function nextDown(x: number): number {
  return -nextUp(-x);
}

/**
 * Exports a packed forest as ml-random-forest JSON; `RandomForestClassifier
 * .load(json).predict(rows)` then equals {@link hardVote} on every row
 * without missing values.
 *
 * @example
 * ```ts
 * import { RandomForestClassifier } from "ml-random-forest";
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const rf = RandomForestClassifier.load(toMlRandomForest(forest));
 * rf.predict([[0, 1, 29.85]]);
 * ```
 */
export function toMlRandomForest(forest: PackedForest): MlRandomForestJSON {
  const { nTrees, nFeatures, roots, feature, threshold, left, right } = forest;
  const node = (i: number): MlNode => {
    if (feature[i] < 0) return { kind: "classifier", distribution: [leafDistribution(forest, i)] };
    return {
      kind: "classifier",
      splitColumn: feature[i],
      splitValue: nextUp(threshold[i]),
      left: node(left[i]),
      right: node(right[i]),
    };
  };
  const all = Array.from({ length: nFeatures }, (_, f) => f);
  return {
    name: "RFClassifier",
    baseModel: {
      indexes: Array.from({ length: nTrees }, () => all),
      n: 0,
      replacement: true,
      maxFeatures: 1,
      nEstimators: nTrees,
      treeOptions: {},
      isClassifier: true,
      seed: 0,
      useSampleBagging: true,
      noOOB: true,
      estimators: Array.from({ length: nTrees }, (_, t) => ({
        name: "DTClassifier" as const,
        options: { kind: "classifier", gainFunction: "gini", splitFunction: "mean" },
        root: node(roots[t]),
      })),
    },
  };
}

/**
 * Majority vote of each tree's most likely class, with ml-random-forest's
 * tie rules (lowest class within a tree; across trees, the class that first
 * reaches the top count).
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const cls = hardVote(forest, [0, 1, 29.85]);
 * ```
 */
export function hardVote(forest: PackedForest, row: ArrayLike<number>): number {
  const { roots, feature, threshold, left, right, value, leafClass, nClasses: K, nTrees } = forest;
  const counts = new Int32Array(K);
  let best = 0, bestCount = 0;
  for (let t = 0; t < nTrees; t++) {
    let i = roots[t];
    while (feature[i] >= 0) {
      const v = row[feature[i]];
      i = v <= threshold[i] || v !== v ? left[i] : right[i];
    }
    let c = 0;
    if (leafClass) {
      // Entries ascend by class, so ties keep the lowest, as in the dense scan.
      for (let j = left[i], best = 0; j < left[i] + right[i]; j++) {
        if (value[j] > best) [best, c] = [value[j], leafClass[j]];
      }
    } else for (let k = 1; k < K; k++) if (value[left[i] + k] > value[left[i] + c]) c = k;
    if (++counts[c] > bestCount) {
      bestCount = counts[c];
      best = c;
    }
  }
  return best;
}

/**
 * Converts a trained ml-random-forest model (its `toJSON()`) into our packed
 * form so the rest of the system (bundle, edge) can use it.
 *
 * @example
 * ```ts
 * import { RandomForestClassifier } from "ml-random-forest";
 *
 * const rf = new RandomForestClassifier({ nEstimators: 10 });
 * rf.train([[0, 1], [1, 0], [1, 1], [0, 0]], [0, 1, 1, 0]);
 * // its JSON form, as saved to a file
 * const json = JSON.parse(JSON.stringify(rf.toJSON())) as MlRandomForestJSON;
 * const forest = fromMlRandomForest(json, 2, 2);
 * ```
 */
export function fromMlRandomForest(
  json: MlRandomForestJSON,
  nFeatures: number,
  nClasses: number,
): PackedForest {
  const feature: number[] = [], threshold: number[] = [], left: number[] = [];
  const right: number[] = [], value: number[] = [], roots: number[] = [];
  const add = (n: MlNode, cols: number[]): number => {
    const i = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    if (n.distribution !== undefined) {
      const dist = (n.distribution as unknown as { data?: number[][] }).data ?? n.distribution;
      left[i] = value.length;
      const row = dist[0];
      for (let c = 0; c < nClasses; c++) value.push(row[c] ?? 0);
      return i;
    }
    feature[i] = cols[n.splitColumn!];
    threshold[i] = nextDown(n.splitValue!);
    left[i] = add(n.left!, cols);
    right[i] = add(n.right!, cols);
    return i;
  };
  json.baseModel.estimators.forEach((est, t) => {
    roots.push(feature.length);
    add(est.root, json.baseModel.indexes[t]);
  });
  return {
    nTrees: roots.length,
    nFeatures,
    nClasses,
    roots: Int32Array.from(roots),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float32Array.from(value),
  };
}

/**
 * Trains with ml-random-forest itself (slow: its split search is quadratic;
 * meant for small data and as an independent reference). Missing values are
 * replaced by `fill[f]` because the library cannot route them.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../data/mod.ts";
 * import { DEFAULT_PARAMS } from "./types.ts";
 *
 * declare const X: Matrix;
 * declare const y: Int32Array;
 * const fill = new Float64Array(X.nCols); // what a missing value becomes
 * const forest = trainMlRandomForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 10 }, fill);
 * ```
 */
export function trainMlRandomForest(
  X: Matrix,
  y: Int32Array,
  nClasses: number,
  params: ForestParams,
  fill: ArrayLike<number>,
): PackedForest {
  const rows: number[][] = [];
  for (let r = 0; r < X.nRows; r++) {
    const row = new Array<number>(X.nCols);
    for (let f = 0; f < X.nCols; f++) {
      const v = X.data[f * X.nRows + r];
      row[f] = v === v ? v : fill[f];
    }
    rows.push(row);
  }
  const rf = new RandomForestClassifier(mlRandomForestOptions(params, X.nCols));
  rf.train(rows, Array.from(y));
  const json = JSON.parse(JSON.stringify(rf.toJSON())) as MlRandomForestJSON;
  return fromMlRandomForest(json, X.nCols, nClasses);
}

/**
 * The library's constructor options for `params`, from the catalogue's
 * `mlRandomForest` mapping; hyperparameters it has no option for are not sent.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARAMS } from "./params.ts";
 *
 * mlRandomForestOptions(DEFAULT_PARAMS, 16).nEstimators; // 100
 * ```
 */
export function mlRandomForestOptions(params: ForestParams, nFeatures: number) {
  const options: Record<string, unknown> & { treeOptions: Record<string, unknown> } = {
    noOOB: true,
    treeOptions: {},
  };
  for (const p of PARAM_LIST) {
    if (p.mlRandomForest === null) continue;
    const { option, value } = p.mlRandomForest as {
      option: string;
      value(v: unknown, nFeatures: number): unknown;
    };
    const v = value(params[p.key], nFeatures);
    if (option.startsWith("treeOptions.")) options.treeOptions[option.slice(12)] = v;
    else options[option] = v;
  }
  return options;
}

/** Leaf `i`'s distribution over all classes (sparse leaves filled with zeros). */
function leafDistribution(forest: PackedForest, i: number): number[] {
  const { left, right, value, leafClass, nClasses } = forest;
  if (!leafClass) return Array.from(value.subarray(left[i], left[i] + nClasses));
  const out = new Array<number>(nClasses).fill(0);
  for (let j = left[i]; j < left[i] + right[i]; j++) out[leafClass[j]] = value[j];
  return out;
}
