/**
 * Random-forest training: bin once, grow trees (in-process or on a worker
 * pool), pack them, and derive OOB score and importances.
 *
 * @module
 */
import type { Matrix } from "../data/mod.ts";
import { deriveSeed } from "../rng.ts";
import { binMatrix, type BinnedMatrix } from "./bin.ts";
import { packForest } from "./pack.ts";
import { createForestPool, defaultWorkers, type ForestPool } from "./pool.ts";
import { createOobTally } from "./oob.ts";
import { type GrownTree, growTree, type TreeData, type TreeParams } from "./tree.ts";
import type { FitReport, ForestParams } from "./types.ts";
import { checkParams, resolveMaxFeatures } from "./params.ts";
import type { FromWorker, ToWorker } from "./worker.ts";

export { resolveMaxFeatures };

/** Options that change how, not what, is trained. */
export interface FitOptions {
  /** Worker count (default: one per core); 1 trains on the calling thread. */
  workers?: number;
  /** A started pool to reuse; its size wins over `workers`. */
  pool?: ForestPool;
  /** Called after each tree with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Pre-binned features (e.g. shared by CV folds); skips binning. */
  binned?: BinnedMatrix;
}

/**
 * Trains a random forest on encoded features `X` and class indexes `y`.
 * The same `params.seed` gives the same forest for any worker count.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../data/mod.ts";
 * import { DEFAULT_PARAMS } from "./types.ts";
 *
 * declare const X: Matrix; // encoded features, row-major
 * declare const y: Int32Array; // class indices
 * const report = await fitForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 50 }, { workers: 2 });
 * console.log(report.oobScore, report.fitMs);
 * ```
 */
export async function fitForest(
  X: Matrix,
  y: Int32Array,
  nClasses: number,
  params: ForestParams,
  options: FitOptions = {},
): Promise<FitReport> {
  validateParams(params, X.nCols);
  if (y.length !== X.nRows) throw new RangeError(`y has ${y.length} rows, X has ${X.nRows}`);
  const binStart = performance.now();
  const binned = options.binned ?? binMatrix(X, params.maxBins);
  const binMs = performance.now() - binStart;

  const data = treeData(binned, y, nClasses, params.classWeight);
  const treeParams = resolveTreeParams(params, X.nCols);
  const wantOob = params.oobScore && params.bootstrap;
  const nWorkers = Math.min(
    options.pool?.size ?? options.workers ?? defaultWorkers(),
    params.nTrees,
  );

  // Trees arrive in any order (from workers); out-of-bag votes are tallied as they come.
  const trees: GrownTree[] = new Array(params.nTrees);
  const oob = wantOob ? createOobTally(X.nRows, nClasses, params.nTrees) : null;
  let done = 0;
  const take = (index: number, tree: GrownTree) => {
    trees[index] = tree;
    oob?.add(tree);
    options.onProgress?.(++done, params.nTrees);
  };
  let fitMs: number;
  if (nWorkers <= 1 && !options.pool) {
    const t0 = performance.now();
    for (let t = 0; t < params.nTrees; t++) {
      take(t, growTree(data, treeParams, deriveSeed(params.seed, t), wantOob));
    }
    fitMs = performance.now() - t0;
  } else {
    const pool = options.pool ?? await createForestPool(nWorkers);
    try {
      const t0 = performance.now();
      await growOnPool(pool, data, treeParams, params.seed, params.nTrees, wantOob, take);
      fitMs = performance.now() - t0;
    } finally {
      if (!options.pool) pool.close();
    }
  }

  const forest = packForest(trees, binned.thresholds, X.nCols, nClasses);
  const importances = new Float64Array(X.nCols);
  for (const t of trees) for (let f = 0; f < X.nCols; f++) importances[f] += t.importance[f];
  const s = importances.reduce((a, b) => a + b, 0);
  if (s > 0) { for (let f = 0; f < X.nCols; f++) importances[f] /= s; }

  return {
    forest,
    importances,
    oobScore: oob ? oob.score(y) : null,
    fitMs,
    binMs,
    workers: options.pool?.size ?? Math.max(1, nWorkers),
  };
}

/** Grows trees 0..total-1 on the pool, handing each to `take` as it comes back. */
async function growOnPool(
  pool: ForestPool,
  data: TreeData,
  treeParams: TreeParams,
  seed: number,
  total: number,
  oob: boolean,
  take: (index: number, tree: GrownTree) => void,
): Promise<void> {
  let next = 0;
  const workers = pool.workers.slice(0, Math.min(pool.size, total));
  await Promise.all(workers.map((w) =>
    new Promise<void>((resolve, reject) => {
      const send = (m: ToWorker) => w.postMessage(m);
      let finishing = false;
      const feed = () => {
        if (next < total) {
          const index = next++;
          send({ type: "tree", index, seed: deriveSeed(seed, index) });
        } else if (!finishing) {
          // Exactly once per worker: a second "finish" would answer the pool's next fit.
          finishing = true;
          send({ type: "finish" });
        }
      };
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`forest worker crashed: ${e.message}`));
      };
      w.onmessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.type === "tree") {
          take(msg.index, msg.tree);
          feed();
        } else if (msg.type === "done") {
          resolve();
        } else reject(new Error(`forest worker failed: ${msg.message}`));
      };
      send({ type: "init", data, params: treeParams, oob });
      // Two trees in flight per worker hide the message round trip.
      feed();
      feed();
    })
  ));
}

function treeData(
  binned: BinnedMatrix,
  y: Int32Array,
  nClasses: number,
  classWeight: ForestParams["classWeight"],
): TreeData {
  const shared = new Int32Array(new SharedArrayBuffer(y.length * 4));
  shared.set(y);
  const cw = new Float64Array(nClasses).fill(1);
  if (classWeight === "balanced") {
    const counts = new Float64Array(nClasses);
    for (let i = 0; i < y.length; i++) counts[y[i]]++;
    for (let c = 0; c < nClasses; c++) {
      cw[c] = counts[c] > 0 ? y.length / (nClasses * counts[c]) : 0;
    }
  }
  return {
    codes: binned.codes,
    nRows: binned.nRows,
    nCols: binned.nCols,
    nBins: binned.nBins,
    y: shared,
    nClasses,
    classWeight: cw,
  };
}

function resolveTreeParams(p: ForestParams, nFeatures: number): TreeParams {
  return {
    maxDepth: p.maxDepth ?? Infinity,
    minSamplesSplit: p.minSamplesSplit,
    minSamplesLeaf: p.minSamplesLeaf,
    mtry: resolveMaxFeatures(p.maxFeatures, nFeatures),
    criterion: p.criterion,
    bootstrap: p.bootstrap,
  };
}

/** Throws RangeError on hyperparameters no forest can be trained with. */
function validateParams(p: ForestParams, nFeatures: number): void {
  checkParams(p);
  if (nFeatures < 1) throw new RangeError("no features to train on");
}
