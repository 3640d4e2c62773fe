/**
 * One-row prediction for a server: ready at once, fast once warm.
 *
 * The wasm kernel (`walker.ts`) walks a row in about half the time of any
 * JavaScript walk, but loading it copies every node into its memory (~15 ms
 * for the 100-tree Telco model, more on a busy machine): a cold start's
 * first request should not wait for that. A forest read from a format-3
 * bundle is walked in its quantized layout as stored (`quantized_walk.ts`),
 * and the kernel is loaded on the `kernelAfter`-th row, inside that one
 * request. Every walk gives the same probabilities bit for bit, so which
 * one answered never shows.
 *
 * @module
 */
import { predictProbaRowScalar } from "./predict.ts";
import { quantizedLayoutOf } from "./quantized.ts";
import { quantizedRowWalk } from "./quantized_walk.ts";
import type { PackedForest } from "./types.ts";
import { loadWalker } from "./walker.ts";

/** Writes one encoded row's class probabilities into `out`. */
export type RowPredictor = (row: Float64Array, out: Float64Array) => void;

/** Rows walked in JavaScript before the kernel is loaded, by default. */
export const KERNEL_AFTER = 32;

/**
 * A {@link RowPredictor} for `forest`: the stored quantized walk for the
 * first `kernelAfter` rows, then the kernel; forests without a quantized
 * layout (read from older bundles) load the kernel at once, as before.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../model/mod.ts";
 *
 * declare const bundle: ModelBundle;
 * declare const row: Float64Array; // one encoded instance
 * const out = new Float64Array(bundle.schema.classes.length);
 * const predict = rowPredictor(bundle.forest);
 * predict(row, out); // out[c]: probability of class c
 * ```
 */
export function rowPredictor(forest: PackedForest, kernelAfter = KERNEL_AFTER): RowPredictor {
  const kernel = (): RowPredictor => {
    const walker = loadWalker(forest);
    return walker
      ? (row, out) => walker.predictRow(row, out)
      : (row, out) => void predictProbaRowScalar(forest, row, out);
  };
  const q = quantizedLayoutOf(forest);
  if (!q) return kernel();
  const quick = quantizedRowWalk(q);
  let left = kernelAfter;
  let current: RowPredictor = (row, out) => {
    if (--left <= 0) current = q.leafClass ? quick : kernel();
    quick(row, out);
  };
  return (row, out) => current(row, out);
}
