/**
 * Prediction ids: what `/v1/predict` hands out and `/v1/feedback` takes
 * back. The one place that knows their format.
 *
 * An id is 128 random bits from `crypto.getRandomValues`, as 32 hex digits.
 * Nothing in it is shared between ids or ordered, so holding any number of
 * ids tells nothing about another client's: guessing one takes about 2^127
 * tries. (A per-process prefix plus a counter, the first format, let a
 * client send feedback for the predictions made just before its own.)
 *
 * @module
 */

/** Random bytes per id. */
const ID_BYTES = 16;
/** Randomness is drawn in blocks: one `getRandomValues` call per 256 ids, not per id. */
const POOL_BYTES = 4096;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const ID = /^[0-9a-f]{32}$/;

const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/**
 * A fresh, unguessable prediction id.
 *
 * @example
 * ```ts
 * const id = newPredictionId(); // e.g. "9f86d081884c7d659a2feaa0c55ad015"
 * ```
 */
export function newPredictionId(): string {
  if (used + ID_BYTES > POOL_BYTES) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let id = "";
  for (let i = used; i < used + ID_BYTES; i++) id += HEX[pool[i]];
  used += ID_BYTES;
  return id;
}

/**
 * Whether `s` has the shape of an id this module issues (not whether it
 * was issued).
 *
 * @example
 * ```ts
 * isPredictionId(newPredictionId()); // true
 * isPredictionId("3f2a9c1b7e-0"); // false
 * ```
 */
export function isPredictionId(s: string): boolean {
  return ID.test(s);
}
