/**
 * Stable ids for configurations: a hash of the canonical hyperparameters,
 * so every shard, every resume and every machine names a configuration the
 * same way, whatever order the grid was written in.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ForestParams } from "../forest/types.ts";
import { formatMaxFeatures } from "./hyperparams.ts";

/**
 * The hyperparameters that decide what a fit learns, as sorted-key JSON.
 * `oobScore` is left out: it changes what is reported, not the trees.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARAMS } from "../forest/types.ts";
 *
 * canonicalParams(DEFAULT_PARAMS); // '{"bootstrap":true,"classWeight":null,...}'
 * ```
 */
export function canonicalParams(p: ForestParams): string {
  const c: Record<string, unknown> = {
    bootstrap: p.bootstrap,
    classWeight: p.classWeight,
    criterion: p.criterion,
    maxBins: p.maxBins,
    maxDepth: p.maxDepth,
    maxFeatures: formatMaxFeatures(p.maxFeatures),
    minSamplesLeaf: p.minSamplesLeaf,
    minSamplesSplit: p.minSamplesSplit,
    nTrees: p.nTrees,
    seed: p.seed,
  };
  return JSON.stringify(c);
}

/**
 * First 12 hex digits of the SHA-256 of `text`.
 *
 * @example
 * ```ts
 * shortHash("abc"); // "ba7816bf8f01"
 * ```
 */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/**
 * The configuration's id: 12 hex digits of its canonical params' hash.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARAMS } from "../forest/types.ts";
 *
 * configId({ ...DEFAULT_PARAMS, nTrees: 200 }) === configId({ ...DEFAULT_PARAMS, nTrees: 200 }); // true
 * ```
 */
export function configId(p: ForestParams): string {
  return shortHash(canonicalParams(p));
}
