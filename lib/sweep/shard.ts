/**
 * Sharding: `--shard I/N` runs configurations I-1, I-1+N, I-1+2N, ... of the
 * sweep's fixed configuration list, so N jobs (a CI matrix) cover every
 * configuration exactly once without talking to each other.
 *
 * @module
 */
import { OptionError } from "../errors.ts";

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** The whole sweep as one shard. */
export const WHOLE: Shard = { index: 1, count: 1 };

/**
 * Parses "I/N" with 1 ≤ I ≤ N.
 *
 * @example
 * ```ts
 * parseShard("2/4"); // { index: 2, count: 4 }
 * parseShard("3/2"); // throws: shard 3/2: I must be between 1 and N
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw shardError(text, "expected I/N, e.g. 1/4");
  }
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1) {
    throw shardError(text, "N must be at least 1");
  }
  if (index < 1 || index > count) {
    throw shardError(text, `I must be between 1 and N (${count})`);
  }
  return { index, count };
}

function shardError(text: string, problem: string): OptionError {
  return new OptionError("shard", (name) => `${name("shard")} ${text}: ${problem}`, {
    code: "BAD_SHARD",
  });
}

/**
 * "I/N".
 *
 * @example
 * ```ts
 * formatShard({ index: 1, count: 4 }); // "1/4"
 * ```
 */
export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/**
 * The items of shard `s`: those whose position modulo N is I-1.
 *
 * @example
 * ```ts
 * selectShard(["a", "b", "c", "d", "e"], { index: 2, count: 2 }); // ["b", "d"]
 * ```
 */
export function selectShard<T>(items: readonly T[], s: Shard): T[] {
  return items.filter((_, i) => i % s.count === s.index - 1);
}
