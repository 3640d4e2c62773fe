/**
 * Forest types: hyperparameters and the flat, typed-array encoding of a
 * trained forest that the bundle stores and prediction walks.
 *
 * @module
 */

/** How many features each split may look at. */
export type MaxFeatures =
  | "sqrt"
  | "log2"
  | "all"
  | { fraction: number }
  | { count: number };

export { DEFAULT_PARAMS, type ForestParams } from "./params.ts";

/**
 * From this many classes on, leaves store only their nonzero classes
 * ({@link PackedForest.leafClass}): a leaf holds a few rows, so a dense
 * distribution would be mostly zeros, and leaves × classes grows with the
 * square of the classes when every class has its own leaves.
 */
export const SPARSE_LEAF_CLASSES = 32;

/**
 * All trees of a forest in shared flat arrays.
 *
 * Node `i` is a leaf when `feature[i] === -1`; its class distribution is
 * `value[left[i] .. left[i] + nClasses)`, or in a sparse forest (one with
 * `leafClass`) the `right[i]` entries from `left[i]` on: class
 * `leafClass[j]` has probability `value[j]`, absent classes 0. Otherwise
 * rows with `x[feature[i]] <= threshold[i]` (or a missing/NaN value) go to
 * `left[i]`, the rest to `right[i]`. Node indexes are absolute; tree `t`
 * starts at `roots[t]`.
 */
export interface PackedForest {
  nTrees: number;
  nFeatures: number;
  nClasses: number;
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf class distributions (each sums to 1), `nClasses` per leaf, or the nonzero ones. */
  value: Float32Array;
  /**
   * Present in sparse forests (at least {@link SPARSE_LEAF_CLASSES} classes):
   * the class of each `value` entry, ascending within a leaf.
   */
  leafClass?: Int32Array;
}

/** What training produces besides the trees. */
export interface FitReport {
  forest: PackedForest;
  /** Mean decrease in impurity per encoded feature, summing to 1. */
  importances: Float64Array;
  /** Out-of-bag accuracy, or null when not computed or no row was ever out of bag. */
  oobScore: number | null;
  /** Milliseconds spent building trees (excludes worker start-up). */
  fitMs: number;
  /** Milliseconds spent binning features. */
  binMs: number;
  workers: number;
}
