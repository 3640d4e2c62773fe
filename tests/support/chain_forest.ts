/**
 * A hand-built forest with as many thresholds on one feature as a test
 * needs: training bins features (at most 255 thresholds), an imported
 * forest need not.
 *
 * @module
 */
import type { PackedForest } from "../../lib/forest/types.ts";

/** A one-tree forest on feature 0 whose splits use `m` distinct thresholds 0.5, 1.5, ... */
export function chainForest(m: number): PackedForest {
  // Node 2i splits at i + 0.5; its left child is leaf 2i + 1, its right the next split.
  const nNodes = 2 * m + 1;
  const feature = new Int32Array(nNodes).fill(-1);
  const threshold = new Float64Array(nNodes);
  const left = new Int32Array(nNodes), right = new Int32Array(nNodes);
  const value = new Float32Array(2 * (m + 1));
  let leaf = 0;
  for (let i = 0; i < m; i++) {
    feature[2 * i] = 0;
    threshold[2 * i] = i + 0.5;
    left[2 * i] = 2 * i + 1;
    right[2 * i] = 2 * i + 2;
    left[2 * i + 1] = 2 * leaf;
    value[2 * leaf] = (i % 7) / 7;
    value[2 * leaf + 1] = 1 - (i % 7) / 7;
    leaf++;
  }
  left[2 * m] = 2 * leaf;
  value[2 * leaf] = 1;
  return {
    nTrees: 1,
    nFeatures: 2,
    nClasses: 2,
    roots: Int32Array.of(0),
    feature,
    threshold,
    left,
    right,
    value,
  };
}
