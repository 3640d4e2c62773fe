/**
 * The partition step of {@link growTree}: once a node's split is chosen, its
 * rows move to the two children in place, and its full histogram set (when
 * siblings are made by subtraction) becomes the children's.
 *
 * @module
 */
import { fullHist, type Rows, type SplitScan } from "./_tree_scan.ts";

/**
 * Moves rows [start, end) with `codes[feature]` <= `bin` to the front, the
 * rest behind them; returns where the right child's rows begin.
 */
export function partition(
  codes: Uint8Array,
  nRows: number,
  rows: Rows,
  feature: number,
  bin: number,
  start: number,
  end: number,
): number {
  const { idx, ys, ws } = rows;
  const base = feature * nRows;
  let i = start, j = end - 1;
  while (i <= j) {
    if (codes[base + idx[i]] <= bin) i++;
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
  return i;
}

/**
 * Full histogram sets, pooled: one per pending node, for sibling
 * subtraction. A node keeps one only if it has a row for every
 * `entriesPerRow` entries (see tree.ts).
 */
export interface HistPool {
  take(): Float64Array;
  give(h: Float64Array): void;
  keeps(rows: number): boolean;
}

/** A pool of sets of `size` entries. */
export function createHistPool(size: number, entriesPerRow: number): HistPool {
  const free: Float64Array[] = [];
  return {
    take: () => free.pop() ?? new Float64Array(size),
    give: (h) => void free.push(h),
    keeps: (rows) => rows * entriesPerRow >= size,
  };
}

/**
 * The children's histogram sets after a split at `mid`: the smaller child is
 * scanned, the larger one is the parent (`hist`, reused) minus it; a child
 * too small to keep a set gets null (it scans direct histograms, the same sums).
 */
export function childHists(
  scan: SplitScan,
  pool: HistPool,
  hist: Float64Array,
  start: number,
  mid: number,
  end: number,
): [Float64Array | null, Float64Array | null] {
  const leftSmaller = mid - start <= end - mid;
  const small = leftSmaller
    ? fullHist(scan, start, mid, pool.take())
    : fullHist(scan, mid, end, pool.take());
  for (let q = 0; q < hist.length; q++) hist[q] -= small[q];
  let histL: Float64Array | null = leftSmaller ? small : hist;
  let histR: Float64Array | null = leftSmaller ? hist : small;
  if (!pool.keeps(mid - start)) {
    pool.give(histL);
    histL = null;
  }
  if (!pool.keeps(end - mid)) {
    pool.give(histR);
    histR = null;
  }
  return [histL, histR];
}
