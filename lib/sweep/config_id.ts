/**
 * Stable ids for configurations: a hash of the canonical hyperparameters,
 * so every shard, every resume and every machine names a configuration the
 * same way, whatever order the grid was written in. Which hyperparameters
 * count is the catalogue's `identity` (`lib/forest/params.ts`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { canonicalParams, type ForestParams } from "../forest/mod.ts";

export { canonicalParams };

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
 * import { DEFAULT_PARAMS } from "../forest/mod.ts";
 *
 * configId({ ...DEFAULT_PARAMS, nTrees: 200 }) === configId({ ...DEFAULT_PARAMS, nTrees: 200 }); // true
 * ```
 */
export function configId(p: ForestParams): string {
  return shortHash(canonicalParams(p));
}
