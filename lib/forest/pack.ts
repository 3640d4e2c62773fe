/**
 * Packs grown trees (relative indexes, split codes) into one flat forest with
 * absolute indexes and raw-value thresholds, the form prediction and the
 * bundle use.
 *
 * @module
 */
import type { GrownTree } from "./tree.ts";
import type { PackedForest } from "./types.ts";

/**
 * Concatenates trees in order; `thresholds[f][b]` turns split code `b` of
 * feature `f` into a raw-value threshold.
 *
 * @example
 * ```ts
 * import type { GrownTree } from "./tree.ts";
 *
 * declare const trees: GrownTree[];
 * declare const thresholds: Float64Array[]; // per feature, the bin edges the trees split on
 * const forest = packForest(trees, thresholds, thresholds.length, 2);
 * ```
 */
export function packForest(
  trees: GrownTree[],
  thresholds: Float64Array[],
  nFeatures: number,
  nClasses: number,
): PackedForest {
  let nodes = 0, vals = 0;
  for (const t of trees) {
    nodes += t.feature.length;
    vals += t.value.length;
  }
  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(nodes);
  const threshold = new Float64Array(nodes);
  const left = new Int32Array(nodes);
  const right = new Int32Array(nodes);
  const value = new Float32Array(vals);
  // Trees of one forest are all sparse or all dense (it depends on the class count).
  const sparse = trees.length > 0 && trees[0].leafClass !== undefined;
  const leafClass = sparse ? new Int32Array(vals) : undefined;
  let no = 0, vo = 0;
  trees.forEach((t, ti) => {
    roots[ti] = no;
    for (let i = 0; i < t.feature.length; i++) {
      const f = t.feature[i];
      feature[no + i] = f;
      if (f < 0) {
        left[no + i] = vo + t.left[i];
        right[no + i] = sparse ? t.right[i] : -1;
      } else {
        threshold[no + i] = thresholds[f][t.bin[i]];
        left[no + i] = no + t.left[i];
        right[no + i] = no + t.right[i];
      }
    }
    value.set(t.value, vo);
    if (leafClass) {
      if (!t.leafClass) throw new RangeError(`tree ${ti} is dense in a sparse forest`);
      leafClass.set(t.leafClass, vo);
    }
    no += t.feature.length;
    vo += t.value.length;
  });
  return {
    nTrees: trees.length,
    nFeatures,
    nClasses,
    roots,
    feature,
    threshold,
    left,
    right,
    value,
    ...(leafClass ? { leafClass } : {}),
  };
}
