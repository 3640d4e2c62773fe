/**
 * One CART tree grown on binned features with histogram split search.
 *
 * This is the hot loop of training. It is written against flat typed arrays
 * with no allocation per node, and it is pure: the same task and seed give
 * the same tree on the main thread or in any worker.
 *
 * @module
 */
import { randInt, type Rng, rng } from "../rng.ts";
import { createTreeNodes } from "./_tree_nodes.ts";
import { childHists, createHistPool, partition } from "./_tree_partition.ts";
import {
  createSplitScan,
  findSplit,
  fullHist,
  isPure,
  nodeTotals,
  proxyOf,
  type Rows,
} from "./_tree_scan.ts";

/** Tree-level hyperparameters, already resolved to numbers. */
export interface TreeParams {
  /** Infinity for unlimited. */
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features drawn per split. */
  mtry: number;
  criterion: "gini" | "entropy";
  bootstrap: boolean;
  /** Force sibling-histogram subtraction on or off (default: on when it pays off). */
  subtraction?: boolean;
}

/** Everything a tree needs; shared between all trees of one forest. */
export interface TreeData {
  codes: Uint8Array;
  nRows: number;
  nCols: number;
  nBins: Int32Array;
  y: Int32Array;
  nClasses: number;
  /** Weight per class (1 each, or "balanced" weights). */
  classWeight: Float64Array;
}

/**
 * A grown tree with node indexes relative to its root (0). Leaf `i` has
 * `feature[i] === -1` and its distribution at `value[left[i] ..]`: dense, or
 * with `leafClass` the `right[i]` nonzero classes (as in `PackedForest`).
 */
export interface GrownTree {
  feature: Int32Array;
  /** Split code: rows with `code <= bin[i]` go left. */
  bin: Int32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float32Array;
  /** Classes of the `value` entries, for `SPARSE_LEAF_CLASSES` (types.ts) classes and more. */
  leafClass?: Int32Array;
  /** Total impurity decrease per feature, normalised to sum 1 (all zero for a stump). */
  importance: Float64Array;
  /**
   * Grown with out-of-bag leaves: per training row, the leaf (node index) it
   * lands in if this tree never saw it, else -1. Read by the OOB tally
   * (`oob.ts`), which drops it when done.
   */
  oobLeaf?: Int32Array;
}

/** Histogram sibling subtraction pays off when most features are scanned at every node. */
const SUBTRACT_MIN_SHARE = 0.5;
/**
 * A node keeps a full set of histograms (sumNb × (K + 1) entries, for sibling
 * subtraction) only if it has a row for every HIST_ENTRIES_PER_ROW entries.
 * With two classes that is "at least as many rows as bins", below which direct
 * histograms cost less. With many classes a set grows with K; nodes waiting on
 * the stack hold disjoint rows, so all sets together stay within 24 bytes per
 * training row instead of growing with bins × classes × depth.
 */
const HIST_ENTRIES_PER_ROW = 3;

/**
 * Grows one tree. With `oob`, also records the leaf of each row it left out
 * of its bootstrap ({@link GrownTree.oobLeaf}).
 *
 * The steps live in their own modules: the split search (`_tree_scan.ts`),
 * the partition of a node's rows and histograms (`_tree_partition.ts`) and
 * node storage (`_tree_nodes.ts`); this is the depth-first walk tying them.
 *
 * @example
 * ```ts
 * declare const data: TreeData;
 * const tree = growTree(data, { maxDepth: Infinity, minSamplesSplit: 2, minSamplesLeaf: 1,
 *   mtry: 3, criterion: "gini", bootstrap: true }, 1234);
 * ```
 */
export function growTree(
  data: TreeData,
  params: TreeParams,
  seed: number,
  oob = false,
): GrownTree {
  const { codes, nRows: n, nCols: d, nClasses: K } = data;
  const rand = rng(seed);
  const { counts, rows, m } = bootstrap(data, params.bootstrap, rand);

  const scan = createSplitScan(data, params, rand, rows);
  const { totals, entropy } = scan;
  const subtract = params.subtraction ?? params.mtry >= d * SUBTRACT_MIN_SHARE;
  const hists = createHistPool(scan.sumNb * (K + 1), HIST_ENTRIES_PER_ROW);
  const nodes = createTreeNodes(K);
  const importance = new Float64Array(d);

  // Depth-first stack: start, end, depth, parent node, side (0 left / 1 right), and the
  // number of features known to be constant here (kept at the front of `scan.feats`).
  const stack: number[] = [0, m, 0, -1, 0, 0];
  const stackHist: (Float64Array | null)[] = [
    subtract && hists.keeps(m) ? fullHist(scan, 0, m, hists.take()) : null,
  ];

  while (stack.length > 0) {
    let known = stack.pop()!;
    const side = stack.pop()!;
    const parent = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const hist = stackHist.pop()!;

    const node = nodes.add(parent, side);
    const W = nodeTotals(scan, start, end);
    const nNode = end - start;
    let bestF = -1;
    if (
      depth < params.maxDepth && nNode >= params.minSamplesSplit &&
      nNode >= 2 * params.minSamplesLeaf && !isPure(totals, W, K)
    ) {
      known = findSplit(scan, start, end, known, W, hist);
      bestF = scan.bestF;
    }

    // Children inherit full histograms (subtraction) only from a split node that keeps them.
    const subtractChildren = hist !== null && bestF >= 0 && hists.keeps(nNode);
    if (hist && !subtractChildren) hists.give(hist);
    if (bestF < 0) {
      nodes.leaf(node, totals, W, nNode);
      continue;
    }

    importance[bestF] += scan.bestProxy - proxyOf(totals, W, K, entropy);
    nodes.split(node, bestF, scan.bestBin);
    const mid = partition(codes, n, rows, bestF, scan.bestBin, start, end);
    let histL: Float64Array | null = null, histR: Float64Array | null = null;
    if (hist && subtractChildren) [histL, histR] = childHists(scan, hists, hist, start, mid, end);
    // Push right first so the left subtree is numbered next.
    stack.push(mid, end, depth + 1, node, 1, known);
    stackHist.push(histR);
    stack.push(start, mid, depth + 1, node, 0, known);
    stackHist.push(histL);
  }

  let total = 0;
  for (let f = 0; f < d; f++) total += importance[f];
  if (total > 0) { for (let f = 0; f < d; f++) importance[f] /= total; }

  const tree = nodes.finish(importance);
  if (oob) tree.oobLeaf = oobLeaves(tree, data, counts);
  return tree;
}

/**
 * Draws the tree's rows: per-row multiplicities (like scikit-learn's sample
 * weights), then the in-bag rows with their class and weight in the same
 * order, so the histogram loops read them sequentially.
 */
function bootstrap(
  data: TreeData,
  withReplacement: boolean,
  rand: Rng,
): { counts: Uint16Array; rows: Rows; m: number } {
  const { nRows: n, y, classWeight } = data;
  const { counts, idx, ys, ws } = scratchFor(n);
  if (withReplacement) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[randInt(rand, n)]++;
  } else counts.fill(1);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (counts[i] > 0) {
      idx[m] = i;
      ys[m] = y[i];
      ws[m++] = counts[i] * classWeight[y[i]];
    }
  }
  return { counts, rows: { idx, ys, ws }, m };
}

/** Per-row scratch arrays, reused by every tree grown on this thread. */
interface Scratch {
  counts: Uint16Array;
  idx: Int32Array;
  ys: Uint16Array;
  ws: Float32Array;
}
let scratch: Scratch | null = null;

/**
 * Scratch for `n` rows. Reusing it matters on large data: fresh arrays per
 * tree (12 bytes a row) pile up faster than the GC releases ArrayBuffers.
 * Safe because growTree is synchronous and each worker has its own module.
 */
function scratchFor(n: number): Scratch {
  if (scratch === null || scratch.idx.length < n) {
    scratch = {
      counts: new Uint16Array(n),
      idx: new Int32Array(n),
      ys: new Uint16Array(n),
      ws: new Float32Array(n),
    };
  }
  return scratch;
}

/** The leaf of each row this tree never saw (bootstrap count 0), -1 for the others. */
function oobLeaves(tree: GrownTree, data: TreeData, counts: Uint16Array): Int32Array {
  const { codes, nRows: n } = data;
  const leaves = new Int32Array(n).fill(-1);
  for (let r = 0; r < n; r++) {
    if (counts[r] !== 0) continue;
    let i = 0;
    while (tree.feature[i] >= 0) {
      i = codes[tree.feature[i] * n + r] <= tree.bin[i] ? tree.left[i] : tree.right[i];
    }
    leaves[r] = i;
  }
  return leaves;
}
