/**
 * One CART tree grown on binned features with histogram split search.
 *
 * This is the hot loop of training. It is written against flat typed arrays
 * with no allocation per node, and it is pure: the same task and seed give
 * the same tree on the main thread or in any worker.
 *
 * @module
 */
import { randInt, rng } from "../rng.ts";
import { SPARSE_LEAF_CLASSES } from "./types.ts";

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
  /** Classes of the `value` entries, for {@link SPARSE_LEAF_CLASSES} classes and more. */
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
/** Below `nBins / SPARSE_RATIO` rows, visit only the bins a node touches (sorted) instead of all. */
const SPARSE_RATIO = 4;

/**
 * Grows one tree. With `oob`, also records the leaf of each row it left out
 * of its bootstrap ({@link GrownTree.oobLeaf}).
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
  const { codes, nRows: n, nCols: d, nBins, y, nClasses: K, classWeight } = data;
  const rand = rng(seed);

  // Bootstrap as per-row multiplicities, like scikit-learn's sample weights.
  const { counts, idx, ys, ws } = scratchFor(n);
  if (params.bootstrap) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[randInt(rand, n)]++;
  } else counts.fill(1);
  // In-bag rows with their class and weight kept in the same order as `idx`, so the
  // histogram loop reads them sequentially instead of jumping around memory.
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (counts[i] > 0) {
      idx[m] = i;
      ys[m] = y[i];
      ws[m++] = counts[i] * classWeight[y[i]];
    }
  }

  let maxNb = 0;
  let sumNb = 0;
  const binOffset = new Int32Array(d);
  for (let f = 0; f < d; f++) {
    binOffset[f] = sumNb;
    sumNb += nBins[f];
    if (nBins[f] > maxNb) maxNb = nBins[f];
  }
  const subtract = params.subtraction ?? params.mtry >= d * SUBTRACT_MIN_SHARE;
  const entropy = params.criterion === "entropy";
  const minLeaf = params.minSamplesLeaf;

  // Scratch buffers reused by every node.
  const hw = new Float64Array(maxNb * K); // class weight per bin (direct mode)
  const hc = new Int32Array(maxNb); // row count per bin (direct mode)
  const touched = new Int32Array(maxNb); // bins hit in the current histogram
  let nTouched = 0;
  const leftW = new Float64Array(K);
  const totals = new Float64Array(K);
  const feats = new Int32Array(d);
  for (let f = 0; f < d; f++) feats[f] = f;
  const importance = new Float64Array(d);

  // Growable node arrays.
  let cap = 64;
  let feature: Int32Array = new Int32Array(cap);
  let bin: Int32Array = new Int32Array(cap);
  let left: Int32Array = new Int32Array(cap);
  let right: Int32Array = new Int32Array(cap);
  // Leaf distributions, typed and grown by doubling: K per leaf, or with many
  // classes only the nonzero ones (with their class), which is what a leaf of a
  // few rows holds; dense, leaves × classes would grow with the square of K.
  const sparseLeaves = K >= SPARSE_LEAF_CLASSES;
  let values: Float32Array = new Float32Array(64 * (sparseLeaves ? 4 : K));
  let leafClass: Int32Array = new Int32Array(sparseLeaves ? values.length : 0);
  let nValues = 0;
  let nNodes = 0;

  // Full histograms (subtraction mode) live in a pool of buffers, one per pending node.
  const histSize = sumNb * (K + 1);
  const histPool: Float64Array[] = [];
  const takeHist = () => histPool.pop() ?? new Float64Array(histSize);
  const keepsHist = (rows: number) => rows * HIST_ENTRIES_PER_ROW >= histSize;

  // Depth-first stack: start, end, depth, parent node, side (0 left / 1 right), and the
  // number of features known to be constant here (kept at the front of `feats`).
  const stack: number[] = [0, m, 0, -1, 0, 0];
  const stackHist: (Float64Array | null)[] = [
    subtract && keepsHist(m)
      ? fullHist(data, idx, ys, ws, 0, m, binOffset, sumNb, takeHist())
      : null,
  ];

  while (stack.length > 0) {
    let known = stack.pop()!;
    const side = stack.pop()!;
    const parent = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const hist = stackHist.pop()!;

    if (nNodes === cap) {
      cap *= 2;
      feature = grow(feature, cap);
      bin = grow(bin, cap);
      left = grow(left, cap);
      right = grow(right, cap);
    }
    const node = nNodes++;
    if (parent >= 0) {
      if (side === 0) left[parent] = node;
      else right[parent] = node;
    }

    for (let c = 0; c < K; c++) totals[c] = 0;
    for (let p = start; p < end; p++) totals[ys[p]] += ws[p];
    let W = 0;
    for (let c = 0; c < K; c++) W += totals[c];
    const nNode = end - start;
    const parentProxy = proxyOf(totals, W, K, entropy);

    let bestF = -1;
    let bestBin = 0;
    let bestProxy = -Infinity;
    const canSplit = depth < params.maxDepth && nNode >= params.minSamplesSplit &&
      nNode >= 2 * minLeaf && !isPure(totals, W, K);
    if (canSplit) {
      // Draw from feats[known..hi): constants move to the known prefix (children skip them,
      // as in scikit-learn), scanned features to the back so they are not drawn twice.
      let visited = 0, hi = d;
      while (visited < params.mtry && known < hi) {
        const j = known + randInt(rand, hi - known);
        const f = feats[j];
        const nb = nBins[f];
        let cw: Float64Array, cc: Float64Array | Int32Array, cwOff: number, ccOff: number;
        // Bins to visit, in increasing order: all of them, or only those present in a small node.
        let nList = nb, sparse = false;
        if (hist) {
          cw = hist;
          cc = hist;
          cwOff = binOffset[f] * K;
          ccOff = sumNb * K + binOffset[f];
        } else {
          // hw/hc are all zero between uses; only touched bins are cleared afterwards.
          sparse = nNode * SPARSE_RATIO < nb;
          const base = f * n;
          let u = 0;
          for (let p = start; p < end; p++) {
            const b = codes[base + idx[p]];
            if (hc[b]++ === 0) touched[u++] = b;
            hw[b * K + ys[p]] += ws[p];
          }
          if (sparse) {
            insertionSort(touched, u);
            nList = u;
          }
          cw = hw;
          cc = hc;
          cwOff = 0;
          ccOff = 0;
          nTouched = u;
        }
        // Skip features constant in this node; they do not count toward mtry.
        let lastK = -1, nonEmpty = 0;
        for (let k = 0; k < nList; k++) {
          if (cc[ccOff + (sparse ? touched[k] : k)] > 0) {
            lastK = k;
            nonEmpty++;
          }
        }
        if (nonEmpty < 2) {
          nTouched = clearTouched(touched, nTouched, hc, hw, K);
          feats[j] = feats[known];
          feats[known++] = f;
          continue;
        }
        feats[j] = feats[--hi];
        feats[hi] = f;
        visited++;
        for (let c = 0; c < K; c++) leftW[c] = 0;
        let nL = 0, WL = 0;
        for (let k = 0; k < lastK; k++) {
          const b = sparse ? touched[k] : k;
          const cnt = cc[ccOff + b];
          if (cnt === 0) continue;
          nL += cnt;
          const o = cwOff + b * K;
          for (let c = 0; c < K; c++) {
            leftW[c] += cw[o + c];
            WL += cw[o + c];
          }
          if (nL < minLeaf) continue;
          if (nNode - nL < minLeaf) break;
          const WR = W - WL;
          let proxy = 0;
          if (entropy) {
            for (let c = 0; c < K; c++) {
              const l = leftW[c], r = totals[c] - l;
              if (l > 0) proxy += l * Math.log(l / WL);
              if (r > 0) proxy += r * Math.log(r / WR);
            }
          } else {
            let sl = 0, sr = 0;
            for (let c = 0; c < K; c++) {
              const l = leftW[c], r = totals[c] - l;
              sl += l * l;
              sr += r * r;
            }
            proxy = sl / WL + sr / WR;
          }
          if (proxy > bestProxy) {
            bestProxy = proxy;
            bestF = f;
            bestBin = b;
          }
        }
        nTouched = clearTouched(touched, nTouched, hc, hw, K);
      }
    }

    // Children inherit full histograms (subtraction) only from a split node that keeps them.
    const subtractChildren = hist !== null && bestF >= 0 && keepsHist(end - start);
    if (hist && !subtractChildren) histPool.push(hist);
    if (bestF < 0) {
      feature[node] = -1;
      left[node] = nValues;
      right[node] = -1;
      const need = nValues + (sparseLeaves ? Math.min(K, nNode) : K);
      if (need > values.length) {
        const cap = Math.max(need, 2 * values.length);
        values = growF32(values, cap);
        if (sparseLeaves) leafClass = grow(leafClass, cap);
      }
      if (sparseLeaves) {
        const first = nValues;
        for (let c = 0; c < K; c++) {
          if (totals[c] > 0) {
            leafClass[nValues] = c;
            values[nValues++] = totals[c] / W;
          }
        }
        right[node] = nValues - first;
      } else {
        for (let c = 0; c < K; c++) values[nValues++] = totals[c] / W;
      }
      continue;
    }

    importance[bestF] += bestProxy - parentProxy;
    feature[node] = bestF;
    bin[node] = bestBin;
    // Partition rows in place: code <= bestBin to the left.
    const base = bestF * n;
    let i = start, j = end - 1;
    while (i <= j) {
      if (codes[base + idx[i]] <= bestBin) i++;
      else {
        const t = idx[i], ty = ys[i], tw = ws[i];
        idx[i] = idx[j];
        ys[i] = ys[j];
        ws[i] = ws[j];
        idx[j] = t;
        ys[j] = ty;
        ws[j] = tw;
        j--;
      }
    }
    const mid = i;

    let histL: Float64Array | null = null, histR: Float64Array | null = null;
    if (hist && subtractChildren) {
      // Scan only the smaller child; the larger one is the parent minus it.
      const leftSmaller = mid - start <= end - mid;
      const small = leftSmaller
        ? fullHist(data, idx, ys, ws, start, mid, binOffset, sumNb, takeHist())
        : fullHist(data, idx, ys, ws, mid, end, binOffset, sumNb, takeHist());
      for (let q = 0; q < histSize; q++) hist[q] -= small[q];
      histL = leftSmaller ? small : hist;
      histR = leftSmaller ? hist : small;
      // A child too small to keep its set scans direct histograms (the same sums).
      if (!keepsHist(mid - start)) {
        histPool.push(histL);
        histL = null;
      }
      if (!keepsHist(end - mid)) {
        histPool.push(histR);
        histR = null;
      }
    }
    // Push right first so the left subtree is numbered next.
    stack.push(mid, end, depth + 1, node, 1, known);
    stackHist.push(histR);
    stack.push(start, mid, depth + 1, node, 0, known);
    stackHist.push(histL);
  }

  let total = 0;
  for (let f = 0; f < d; f++) total += importance[f];
  if (total > 0) { for (let f = 0; f < d; f++) importance[f] /= total; }

  const tree: GrownTree = {
    feature: feature.slice(0, nNodes),
    bin: bin.slice(0, nNodes),
    left: left.slice(0, nNodes),
    right: right.slice(0, nNodes),
    value: values.slice(0, nValues),
    ...(sparseLeaves ? { leafClass: leafClass.slice(0, nValues) } : {}),
    importance,
  };
  if (oob) tree.oobLeaf = oobLeaves(tree, data, counts);
  return tree;
}

/** Split-quality proxy of a class distribution (larger is purer); see the split scan. */
function proxyOf(t: Float64Array, W: number, K: number, entropy: boolean): number {
  let s = 0;
  if (entropy) { for (let c = 0; c < K; c++) if (t[c] > 0) s += t[c] * Math.log(t[c] / W); }
  else {
    for (let c = 0; c < K; c++) s += t[c] * t[c];
    s /= W;
  }
  return s;
}

function isPure(t: Float64Array, W: number, K: number): boolean {
  for (let c = 0; c < K; c++) if (t[c] > 0) return t[c] >= W * (1 - 1e-12);
  return true;
}

/** Zeroes the histogram bins listed in `touched`; returns the new touched count (0). */
function clearTouched(
  touched: Int32Array,
  nTouched: number,
  hc: Int32Array,
  hw: Float64Array,
  K: number,
): number {
  for (let k = 0; k < nTouched; k++) {
    const b = touched[k];
    hc[b] = 0;
    for (let c = 0; c < K; c++) hw[b * K + c] = 0;
  }
  return 0;
}

/** Histograms of every feature over rows idx[s..e): class weights, then counts. */
function fullHist(
  data: TreeData,
  idx: Int32Array,
  ys: Uint16Array,
  ws: Float32Array,
  s: number,
  e: number,
  binOffset: Int32Array,
  sumNb: number,
  out: Float64Array,
): Float64Array {
  const { codes, nRows: n, nCols: d, nClasses: K } = data;
  out.fill(0);
  const countBase = sumNb * K;
  for (let f = 0; f < d; f++) {
    const base = f * n, wo = binOffset[f] * K, co = countBase + binOffset[f];
    for (let p = s; p < e; p++) {
      const b = codes[base + idx[p]];
      out[co + b]++;
      out[wo + b * K + ys[p]] += ws[p];
    }
  }
  return out;
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

/** Sorts the first `len` entries ascending; nodes on this path are small. */
function insertionSort(a: Int32Array, len: number): void {
  for (let i = 1; i < len; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

function grow(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

function growF32(a: Float32Array, cap: number): Float32Array {
  const b = new Float32Array(cap);
  b.set(a);
  return b;
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
