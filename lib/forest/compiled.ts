/**
 * The prediction layout: each tree re-laid in pre-order so the left child is
 * always the next node, and each node packed into 16 bytes (threshold,
 * feature, right child) in one buffer. A traversal step then touches one
 * cache line instead of four arrays, which is what makes single-row
 * prediction take microseconds.
 *
 * @module
 */
import type { PackedForest } from "./types.ts";

/** A forest ready for fast traversal; build with {@link compileForest}. */
export interface CompiledForest {
  nTrees: number;
  nFeatures: number;
  nClasses: number;
  roots: Int32Array;
  /** `f64[2 * i]`: threshold of node `i` (shares its buffer with `i32`). */
  f64: Float64Array;
  /**
   * `i32[4 * i + 2]`: feature (-1 for a leaf); `i32[4 * i + 3]`: right child, or
   * leaf value offset; for a sparse leaf, `i32[4 * i]` (unused threshold
   * space) holds its number of entries.
   */
  i32: Int32Array;
  value: Float32Array;
  /** Classes of the `value` entries in a sparse forest. */
  leafClass?: Int32Array;
}

const cache = new WeakMap<PackedForest, CompiledForest>();

/**
 * Compiles (once per forest object; cached) the traversal layout.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../model/mod.ts";
 *
 * declare const bundle: ModelBundle;
 * const c = compileForest(bundle.forest);
 * ```
 */
export function compileForest(forest: PackedForest): CompiledForest {
  const hit = cache.get(forest);
  if (hit) return hit;
  const { nTrees, feature, threshold, left, right, leafClass } = forest;
  const buf = new ArrayBuffer(feature.length * 16);
  const f64 = new Float64Array(buf), i32 = new Int32Array(buf);
  const newRoots = preorder(forest, (old, id, rightOf) => {
    if (rightOf >= 0) i32[4 * rightOf + 3] = id;
    const f = feature[old];
    i32[4 * id + 2] = f;
    if (f < 0) {
      i32[4 * id + 3] = left[old];
      if (leafClass) i32[4 * id] = right[old];
    } else f64[2 * id] = threshold[old];
  });
  const compiled: CompiledForest = {
    nTrees,
    nFeatures: forest.nFeatures,
    nClasses: forest.nClasses,
    roots: newRoots,
    f64,
    i32,
    value: forest.value,
    ...(leafClass ? { leafClass } : {}),
  };
  cache.set(forest, compiled);
  return compiled;
}

/**
 * Renumbers every tree's nodes in pre-order, so a node's left child is always
 * the next node; both traversal layouts (this one and the wasm kernel's) are
 * built on it. Calls `visit(old, id, rightOf)` for each node in new order,
 * where `rightOf` is the new id of the node whose right child this is, or -1
 * (a root or a left child). Returns the new id of each tree's root.
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const newId = new Int32Array(forest.feature.length);
 * const roots = preorder(forest, (old, id) => {
 *   newId[old] = id;
 * });
 * ```
 */
export function preorder(
  forest: PackedForest,
  visit: (old: number, id: number, rightOf: number) => void,
): Int32Array {
  const { nTrees, roots, feature, left, right } = forest;
  const newRoots = new Int32Array(nTrees);
  let next = 0;
  // Stack of (old node, new id of the node whose right child it is, or -1).
  const stack: number[] = [];
  for (let t = 0; t < nTrees; t++) {
    newRoots[t] = next;
    stack.push(roots[t], -1);
    while (stack.length > 0) {
      const rightOf = stack.pop()!;
      const old = stack.pop()!;
      const id = next++;
      visit(old, id, rightOf);
      if (feature[old] >= 0) {
        stack.push(right[old], id); // popped after the whole left subtree
        stack.push(left[old], -1); // popped next: becomes id + 1
      }
    }
  }
  return newRoots;
}
