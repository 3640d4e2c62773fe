/**
 * Prediction ids: what `/v1/predict` hands out and `/v1/feedback` takes
 * back. The one place that knows their format.
 *
 * An id is a 128-bit random token (from `crypto.getRandomValues`, 32 hex
 * digits), a dash, and the prediction's sequence number in base 36:
 * `9f86d081884c7d659a2feaa0c55ad015-1z`. The sequence number locates the
 * prediction in the log's ring, so recording and recalling it needs no hash
 * table (a map evicting its oldest key costs microseconds per prediction);
 * the token makes the id unguessable: knowing any number of ids, including
 * the sequence numbers around someone else's, leaves 2^128 tokens to try.
 * (The first format, a per-process prefix plus a counter, let a client send
 * feedback for the predictions made just before its own.)
 *
 * @module
 */

/** Random bytes per id. */
export const TOKEN_BYTES = 16;
/** Randomness is drawn in blocks: one `getRandomValues` call per 256 ids, not per id. */
const POOL_BYTES = 4096;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const ID = /^([0-9a-f]{32})-([0-9a-z]{1,11})$/;

const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/**
 * A new id for sequence number `seq`. Its random token is also written to
 * `tokens` at `offset` (`TOKEN_BYTES` bytes), for {@link parsePredictionId}
 * to be checked against.
 *
 * @example
 * ```ts
 * const token = new Uint8Array(TOKEN_BYTES);
 * newPredictionId(0, token, 0); // e.g. "9f86d081884c7d659a2feaa0c55ad015-0"
 * ```
 */
export function newPredictionId(seq: number, tokens: Uint8Array, offset: number): string {
  if (used + TOKEN_BYTES > POOL_BYTES) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let id = "";
  for (let i = 0; i < TOKEN_BYTES; i++) {
    const b = pool[used + i];
    tokens[offset + i] = b;
    id += HEX[b];
  }
  used += TOKEN_BYTES;
  return id + "-" + seq.toString(36);
}

/**
 * The sequence number of `id`, with its token written to `token` (at 0), or
 * -1 when `id` is not in this format (including aliases such as upper-case
 * hex or a zero-padded sequence: only the exact text issued counts).
 *
 * @example
 * ```ts
 * const token = new Uint8Array(TOKEN_BYTES);
 * parsePredictionId("9f86d081884c7d659a2feaa0c55ad015-1z", token); // 71
 * parsePredictionId("3f2a9c1b7e-0", token); // -1
 * ```
 */
export function parsePredictionId(id: string, token: Uint8Array): number {
  const m = ID.exec(id);
  if (m === null) return -1;
  const seq = parseInt(m[2], 36);
  if (!Number.isSafeInteger(seq) || seq.toString(36) !== m[2]) return -1;
  const hex = m[1];
  for (let i = 0; i < TOKEN_BYTES; i++) token[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return seq;
}
