/**
 * Feature binning: every feature is quantised once into small integer codes
 * so that split search becomes a histogram scan instead of a sort per node.
 *
 * Code 0 is reserved for missing values (NaN), so missing rows always fall on
 * the left of any split; codes 1..k are value bins in increasing order.
 *
 * @module
 */
import type { Matrix } from "../data/mod.ts";

/** Binned features, column-major like the source matrix. */
export interface BinnedMatrix {
  /** `codes[f * nRows + r]`; backed by a SharedArrayBuffer so workers read it in place. */
  codes: Uint8Array;
  nRows: number;
  nCols: number;
  /** Number of codes used per feature, including the missing code 0. */
  nBins: Int32Array;
  /**
   * Per feature, the raw-value threshold for "code <= b": `thresholds[f][b]`.
   * Index 0 is -Infinity (only missing rows go left).
   */
  thresholds: Float64Array[];
}

/** Rows sampled to place bin edges on large data; exact below this size. */
const EDGE_SAMPLE = 200_000;

/**
 * Bins every column of `X` into at most `maxBins` codes (including missing).
 *
 * Columns with few distinct values get one bin per value, so splits are exact;
 * others get quantile bins from a sample. Thresholds sit halfway between
 * neighbouring training values so float32 rounding never moves a row.
 *
 * @example
 * ```ts
 * const X = { data: new Float32Array([1, 2, 3, NaN]), nRows: 4, nCols: 1 };
 * const b = binMatrix(X, 255);
 * // b.codes → [1, 2, 3, 0]; b.thresholds[0] → [-Infinity, 1.5, 2.5]
 * ```
 */
export function binMatrix(X: Matrix, maxBins = 255): BinnedMatrix {
  if (maxBins < 3 || maxBins > 255) {
    throw new RangeError(`maxBins must be in [3, 255], got ${maxBins}`);
  }
  const { nRows, nCols } = X;
  const codes = new Uint8Array(new SharedArrayBuffer(nRows * nCols));
  const nBins = new Int32Array(nCols);
  const thresholds: Float64Array[] = [];
  // One sample buffer for all columns: per-column buffers of this size would stay
  // resident in the allocator and inflate peak memory on large data.
  const buf = new Float32Array(Math.min(nRows, EDGE_SAMPLE));
  for (let f = 0; f < nCols; f++) {
    const col = X.data.subarray(f * nRows, (f + 1) * nRows);
    const edges = binEdges(col, maxBins - 1, buf);
    thresholds.push(Float64Array.from([-Infinity, ...edges]));
    nBins[f] = edges.length + 2;
    assignCodes(col, edges, codes.subarray(f * nRows, (f + 1) * nRows));
  }
  return { codes, nRows, nCols, nBins, thresholds };
}

/** Interior edges (at most `valueBins - 1`) splitting the non-missing values of `col`. */
function binEdges(col: Float32Array, valueBins: number, buf: Float32Array): Float64Array {
  const sample = sampleValues(col, buf);
  sample.sort();
  const n = sample.length;
  if (n === 0) return new Float64Array(0);
  // Count distinct values; when few, every one gets its own bin.
  let nDistinct = 1;
  for (let i = 1; i < n && nDistinct <= valueBins; i++) {
    if (sample[i] !== sample[i - 1]) nDistinct++;
  }
  if (nDistinct <= valueBins) {
    const edges = new Float64Array(nDistinct - 1);
    let e = 0;
    for (let i = 1; i < n; i++) {
      if (sample[i] !== sample[i - 1]) edges[e++] = (sample[i - 1] + sample[i]) / 2;
    }
    return edges;
  }
  // Quantile edges: cut after sample[q], halfway to the next larger value.
  const edges: number[] = [];
  for (let k = 1; k < valueBins; k++) {
    const q = sample[Math.floor((k * n) / valueBins) - 1];
    let lo = 0, hi = n; // first index with value > q
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sample[mid] <= q) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= n) break;
    const e = (q + sample[lo]) / 2;
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** Non-missing values of `col` (an evenly strided sample when large), copied into `out`. */
function sampleValues(col: Float32Array, out: Float32Array): Float32Array {
  const stride = col.length > EDGE_SAMPLE ? col.length / EDGE_SAMPLE : 1;
  let m = 0;
  for (let p = 0; p < col.length; p += stride) {
    const v = col[Math.floor(p)];
    if (v === v) out[m++] = v;
  }
  return out.subarray(0, m);
}

/** code = 1 + number of edges strictly below the value; NaN → 0. */
function assignCodes(col: Float32Array, edges: Float64Array, out: Uint8Array): void {
  const m = edges.length;
  for (let r = 0; r < col.length; r++) {
    const v = col[r];
    if (v !== v) {
      out[r] = 0;
      continue;
    }
    let lo = 0, hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    out[r] = lo + 1;
  }
}
