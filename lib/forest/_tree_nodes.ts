/**
 * Node storage of {@link growTree}: growable typed arrays for splits and
 * leaf distributions, trimmed into a {@link GrownTree} at the end.
 *
 * @module
 */
import { SPARSE_LEAF_CLASSES } from "./types.ts";
import type { GrownTree } from "./tree.ts";

/** Nodes of one tree as they are grown, numbered in the order they are added. */
export interface TreeNodes {
  /** Adds a node under `parent` (-1: the root) on `side` (0 left, 1 right); returns its index. */
  add(parent: number, side: number): number;
  /** Makes `node` a split: rows with code <= `bin` of `feature` go left. */
  split(node: number, feature: number, bin: number): void;
  /** Makes `node` a leaf with class weights `totals` (summing to `W`) over `nRows` rows. */
  leaf(node: number, totals: Float64Array, W: number, nRows: number): void;
  /** The tree, arrays trimmed to their length. */
  finish(importance: Float64Array): GrownTree;
}

/** Storage for a tree over `K` classes. */
export function createTreeNodes(K: number): TreeNodes {
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
  return {
    add(parent, side) {
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
      return node;
    },
    split(node, f, b) {
      feature[node] = f;
      bin[node] = b;
    },
    leaf(node, totals, W, nRows) {
      feature[node] = -1;
      left[node] = nValues;
      right[node] = -1;
      const need = nValues + (sparseLeaves ? Math.min(K, nRows) : K);
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
    },
    finish(importance) {
      return {
        feature: feature.slice(0, nNodes),
        bin: bin.slice(0, nNodes),
        left: left.slice(0, nNodes),
        right: right.slice(0, nNodes),
        value: values.slice(0, nValues),
        ...(sparseLeaves ? { leafClass: leafClass.slice(0, nValues) } : {}),
        importance,
      };
    },
  };
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
