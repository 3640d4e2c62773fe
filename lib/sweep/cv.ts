/**
 * Stratified k-fold cross-validation of many configurations, built for
 * speed: each fold is subset and binned once for every configuration, all
 * fits share one worker pool, and configurations that differ only in their
 * tree count share one forest — tree `t` depends only on the data, the
 * other hyperparameters and `deriveSeed(seed, t)`, so the first 100 trees of
 * a 200-tree forest *are* the 100-tree forest, and scoring its prefix gives
 * exactly the 100-tree result.
 *
 * @module
 */
import { type Matrix, stratifiedKFold, subsetLabels, subsetMatrix } from "../data/mod.ts";
import {
  binMatrix,
  type BinnedMatrix,
  fitForest,
  type ForestPool,
  type PackedForest,
} from "../forest/mod.ts";
import { evaluate } from "../metrics/mod.ts";
import { canonicalParams } from "./config_id.ts";
import type { SweepConfig } from "./grid.ts";

/** Training rows to cross-validate on (never the holdout). */
export interface CvData {
  X: Matrix;
  y: Int32Array;
  classes: string[];
}

/** One fold's scores for one configuration. */
export interface FoldScore {
  /** Every finite metric of `evaluate` on the fold's test rows. */
  metrics: Record<string, number>;
  /** Milliseconds until this configuration's trees were grown. */
  fitMs: number;
}

/** All folds of one configuration. */
export interface ConfigScores {
  config: SweepConfig;
  folds: FoldScore[];
}

/** How to cross-validate. */
export interface CvOptions {
  /** Number of folds, at least 2. */
  k: number;
  /** Seeds the fold assignment. */
  seed: number;
  pool: ForestPool;
  /** Called with the number of trees grown since the last call (for progress bars). */
  onTrees?: (n: number) => void;
  /**
   * Called as soon as a configuration's folds are all scored, in order, so
   * results can be logged (and a crash loses only the work in flight).
   */
  onConfig?: (scores: ConfigScores) => Promise<void> | void;
}

interface Fold {
  Xtrain: Matrix;
  ytrain: Int32Array;
  Xtest: Matrix;
  ytest: Int32Array;
  binned: Map<number, BinnedMatrix>;
}

/**
 * Trees the sweep will grow for `configs` (what a progress bar counts):
 * per fold, the largest tree count of each group sharing a forest.
 *
 * @example
 * ```ts
 * import { expandGrid, parseGridArgs } from "./grid.ts";
 *
 * cvTreeCount(expandGrid(parseGridArgs(["trees=100,200"])), 3); // 600, not 900
 * ```
 */
export function cvTreeCount(configs: readonly SweepConfig[], k: number): number {
  return groupByForest(configs).reduce((n, g) => n + maxTrees(g), 0) * k;
}

/**
 * Cross-validates every configuration on the same stratified folds and
 * returns their scores in the order given.
 *
 * @example
 * ```ts
 * import { createForestPool } from "../forest/mod.ts";
 * import { expandGrid, parseGridArgs } from "./grid.ts";
 *
 * declare const data: CvData; // { X, y, classes }
 * const configs = expandGrid(parseGridArgs(["trees=100,200"]));
 * const pool = await createForestPool(2);
 * try {
 *   const scores = await crossValidate(data, configs, { k: 3, seed: 42, pool });
 *   scores[0].folds.map((f) => f.metrics.accuracy);
 * } finally {
 *   pool.close();
 * }
 * ```
 */
export async function crossValidate(
  data: CvData,
  configs: readonly SweepConfig[],
  options: CvOptions,
): Promise<ConfigScores[]> {
  const K = data.classes.length;
  const folds: Fold[] = stratifiedKFold(data.y, K, options.k, options.seed, data.classes).map(
    (s) => ({
      Xtrain: subsetMatrix(data.X, s.train),
      ytrain: subsetLabels(data.y, s.train),
      Xtest: subsetMatrix(data.X, s.test),
      ytest: subsetLabels(data.y, s.test),
      binned: new Map(),
    }),
  );
  const byId = new Map<string, ConfigScores>();
  for (const group of groupByForest(configs)) {
    const top = group.reduce((a, b) => (b.params.nTrees > a.params.nTrees ? b : a));
    const scores = group.map((config) => ({ config, folds: [] as FoldScore[] }));
    for (const fold of folds) {
      const fit = await fitShared(fold, top, K, options);
      scorePrefixes(fit, fold, data.classes, group, scores);
    }
    for (const s of scores) {
      byId.set(s.config.id, s);
      await options.onConfig?.(s);
    }
  }
  return configs.map((c) => byId.get(c.id)!);
}

/** A forest and, per tree count reached (index n-1), the ms it took to get there. */
interface SharedFit {
  forest: PackedForest;
  elapsed: number[];
}

/** Fits `top` (the group's largest forest) on the fold. */
async function fitShared(
  fold: Fold,
  top: SweepConfig,
  K: number,
  options: CvOptions,
): Promise<SharedFit> {
  const maxBins = top.params.maxBins;
  let binned = fold.binned.get(maxBins);
  if (!binned) {
    binned = binMatrix(fold.Xtrain, maxBins);
    fold.binned.set(maxBins, binned);
  }
  const elapsed: number[] = [];
  const t0 = performance.now();
  let reported = 0;
  const report = await fitForest(
    fold.Xtrain,
    fold.ytrain,
    K,
    // OOB votes cost time and CV scores replace them.
    { ...top.params, oobScore: false },
    {
      pool: options.pool,
      binned,
      onProgress: (done) => {
        while (elapsed.length < done) elapsed.push(performance.now() - t0);
        options.onTrees?.(done - reported);
        reported = done;
      },
    },
  );
  return { forest: report.forest, elapsed };
}

/** Scores each configuration of the group on the first `nTrees` trees of `forest`. */
function scorePrefixes(
  { forest, elapsed }: SharedFit,
  fold: Fold,
  classes: string[],
  group: SweepConfig[],
  scores: ConfigScores[],
): void {
  const K = classes.length;
  const sums = new Float64Array(fold.Xtest.nRows * K);
  const order = group.map((_, i) => i).sort((a, b) =>
    group[a].params.nTrees - group[b].params.nTrees
  );
  let grown = 0;
  for (const i of order) {
    const n = group[i].params.nTrees;
    addTreeVotes(forest, fold.Xtest, grown, n, sums);
    grown = n;
    const proba = sums.map((s) => s / n);
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(evaluate(fold.ytest, proba, classes).metrics)) {
      if (Number.isFinite(v)) metrics[k] = v;
    }
    scores[i].folds.push({ metrics, fitMs: elapsed[n - 1] });
  }
}

/**
 * Adds the leaf distributions of trees `[from, to)` to `sums`, in the same
 * tree-major order as `predictProbaMatrix`, so a prefix's sums (and thus its
 * probabilities) are bit-for-bit those of the smaller forest.
 */
function addTreeVotes(
  forest: PackedForest,
  X: Matrix,
  from: number,
  to: number,
  sums: Float64Array,
): void {
  const { roots, feature, threshold, left, right, value, nClasses: K } = forest;
  const n = X.nRows, data = X.data;
  for (let t = from; t < to; t++) {
    const root = roots[t];
    for (let r = 0; r < n; r++) {
      let i = root;
      let f = feature[i];
      while (f >= 0) {
        const v = data[f * n + r];
        i = v <= threshold[i] || v !== v ? left[i] : right[i];
        f = feature[i];
      }
      const o = left[i], ro = r * K;
      for (let c = 0; c < K; c++) sums[ro + c] += value[o + c];
    }
  }
}

/** Configurations that differ at most in `nTrees`, in order of first appearance. */
function groupByForest(configs: readonly SweepConfig[]): SweepConfig[][] {
  const groups = new Map<string, SweepConfig[]>();
  for (const c of configs) {
    const key = canonicalParams({ ...c.params, nTrees: 0 });
    const g = groups.get(key);
    if (g) {
      if (!g.some((o) => o.id === c.id)) g.push(c);
    } else groups.set(key, [c]);
  }
  return [...groups.values()];
}

function maxTrees(group: readonly SweepConfig[]): number {
  return Math.max(...group.map((c) => c.params.nTrees));
}
