/**
 * The split search of {@link growTree}: per node, draw features, build their
 * class histograms (direct, or read from the node's full set when siblings
 * are made by subtraction) and scan the bins for the best threshold.
 *
 * Hot loop: flat typed arrays, scratch allocated once per tree, no
 * allocation per node or feature. Bit-identical results depend on the order
 * of the random draws and of the sums, so neither may change here.
 *
 * @module
 */
import { randInt, type Rng } from "../rng.ts";
import type { TreeData, TreeParams } from "./tree.ts";

/** Below `nBins / SPARSE_RATIO` rows, visit only the bins a node touches (sorted) instead of all. */
const SPARSE_RATIO = 4;

/** In-bag rows of a tree, reordered in place as nodes split: row, class, weight. */
export interface Rows {
  idx: Int32Array;
  ys: Uint16Array;
  ws: Float32Array;
}

/** Per-tree scratch of the split search, and the best split of the last {@link findSplit}. */
export interface SplitScan {
  data: TreeData;
  params: TreeParams;
  rand: Rng;
  rows: Rows;
  /** Start of each feature's bins in a full histogram set. */
  binOffset: Int32Array;
  /** Bins over all features: a full set holds sumNb × K weights, then sumNb counts. */
  sumNb: number;
  entropy: boolean;
  /** Class weight per bin (direct mode); all zero between uses. */
  hw: Float64Array;
  /** Row count per bin (direct mode); all zero between uses. */
  hc: Int32Array;
  /** Bins hit in the current direct histogram. */
  touched: Int32Array;
  leftW: Float64Array;
  /** Class weights of the current node (set by {@link nodeTotals}). */
  totals: Float64Array;
  /** Feature order: known constants first, then undrawn, then drawn (see findSplit). */
  feats: Int32Array;
  bestF: number;
  bestBin: number;
  bestProxy: number;
}

/** Scratch for the split search of one tree. */
export function createSplitScan(
  data: TreeData,
  params: TreeParams,
  rand: Rng,
  rows: Rows,
): SplitScan {
  const { nCols: d, nBins, nClasses: K } = data;
  let maxNb = 0;
  let sumNb = 0;
  const binOffset = new Int32Array(d);
  for (let f = 0; f < d; f++) {
    binOffset[f] = sumNb;
    sumNb += nBins[f];
    if (nBins[f] > maxNb) maxNb = nBins[f];
  }
  const feats = new Int32Array(d);
  for (let f = 0; f < d; f++) feats[f] = f;
  return {
    data,
    params,
    rand,
    rows,
    binOffset,
    sumNb,
    entropy: params.criterion === "entropy",
    hw: new Float64Array(maxNb * K),
    hc: new Int32Array(maxNb),
    touched: new Int32Array(maxNb),
    leftW: new Float64Array(K),
    totals: new Float64Array(K),
    feats,
    bestF: -1,
    bestBin: 0,
    bestProxy: -Infinity,
  };
}

/** Sums the class weights of rows [start, end) into `s.totals`; returns their total. */
export function nodeTotals(s: SplitScan, start: number, end: number): number {
  const { totals, rows: { ys, ws } } = s;
  const K = s.data.nClasses;
  for (let c = 0; c < K; c++) totals[c] = 0;
  for (let p = start; p < end; p++) totals[ys[p]] += ws[p];
  let W = 0;
  for (let c = 0; c < K; c++) W += totals[c];
  return W;
}

/**
 * The best split of rows [start, end) (total weight `W`, class weights in
 * `s.totals`) over up to `mtry` drawn non-constant features, into
 * `s.bestF`/`bestBin`/`bestProxy` (`bestF` -1: none). `known` features at
 * the front of `s.feats` are constant here; returns the new count, which the
 * children inherit. `hist`: the node's full histogram set, or null.
 *
 * One function on purpose: per feature it builds the histogram, skips a
 * constant feature and scans the thresholds with everything in locals, as
 * the hot loop did inside growTree; most nodes are small, so a call per
 * feature would be paid more often than the loops it wraps.
 */
export function findSplit(
  s: SplitScan,
  start: number,
  end: number,
  known: number,
  W: number,
  hist: Float64Array | null,
): number {
  const { feats, rand, binOffset, sumNb, touched, hc, hw, leftW, totals, entropy } = s;
  const { idx, ys, ws } = s.rows;
  const { codes, nRows: n, nBins, nCols: d, nClasses: K } = s.data;
  const { mtry, minSamplesLeaf: minLeaf } = s.params;
  const nNode = end - start;
  let bestF = -1;
  let bestBin = 0;
  let bestProxy = -Infinity;
  let nTouched = 0;
  // Draw from feats[known..hi): constants move to the known prefix (children skip them,
  // as in scikit-learn), scanned features to the back so they are not drawn twice.
  let visited = 0, hi = d;
  while (visited < mtry && known < hi) {
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
    // Thresholds left to right: bins 0..k go left.
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
  s.bestF = bestF;
  s.bestBin = bestBin;
  s.bestProxy = bestProxy;
  return known;
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

/** Histograms of every feature over rows [s, e): class weights, then counts, into `out`. */
export function fullHist(
  scan: SplitScan,
  s: number,
  e: number,
  out: Float64Array,
): Float64Array {
  const { binOffset, sumNb, rows: { idx, ys, ws } } = scan;
  const { codes, nRows: n, nCols: d, nClasses: K } = scan.data;
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

/** Split-quality proxy of a class distribution (larger is purer); see {@link findSplit}. */
export function proxyOf(t: Float64Array, W: number, K: number, entropy: boolean): number {
  let s = 0;
  if (entropy) { for (let c = 0; c < K; c++) if (t[c] > 0) s += t[c] * Math.log(t[c] / W); }
  else {
    for (let c = 0; c < K; c++) s += t[c] * t[c];
    s /= W;
  }
  return s;
}

/** All weight in one class (up to rounding). */
export function isPure(t: Float64Array, W: number, K: number): boolean {
  for (let c = 0; c < K; c++) if (t[c] > 0) return t[c] >= W * (1 - 1e-12);
  return true;
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
