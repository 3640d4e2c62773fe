/**
 * Hyperparameter values as users write them (CLI flags, sweep grids and
 * files), parsed and printed in one place so every entry point accepts
 * exactly the same text. Parsers throw a RangeError saying what was expected.
 *
 * @module
 */
import type { MaxFeatures } from "./types.ts";

/**
 * Parser for an integer at least `min`.
 *
 * @example
 * ```ts
 * intAtLeast(1)("100"); // 100
 * ```
 */
export function intAtLeast(min: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n) || n < min) {
      throw new RangeError(`expected an integer >= ${min}, got "${v}"`);
    }
    return n;
  };
}

/**
 * A number strictly between 0 and 1.
 *
 * @example
 * ```ts
 * fraction("0.2"); // 0.2
 * ```
 */
export function fraction(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !(n > 0 && n < 1)) {
    throw new RangeError(`expected a number between 0 and 1, got "${v}"`);
  }
  return n;
}

/**
 * `sqrt`, `log2`, `all`, a fraction in (0, 1] written with a dot (`0.5`,
 * `1.0`), or an integer count (`5`).
 *
 * @example
 * ```ts
 * maxFeatures("0.5"); // { fraction: 0.5 }
 * maxFeatures("5");   // { count: 5 }
 * ```
 */
export function maxFeatures(v: string): MaxFeatures {
  if (v === "sqrt" || v === "log2" || v === "all") return v;
  const n = Number(v);
  if (v.trim() !== "" && Number.isFinite(n)) {
    if (v.includes(".") && n > 0 && n <= 1) return { fraction: n };
    if (Number.isInteger(n) && n >= 1) return { count: n };
  }
  throw new RangeError(
    `expected sqrt, log2, all, a fraction in (0, 1] like 0.5, or a count like 5, got "${v}"`,
  );
}

/**
 * `max_features` as text that {@link maxFeatures} reads back to the same value.
 *
 * @example
 * ```ts
 * formatMaxFeatures({ fraction: 1 }); // "1.0" (not "1", which is a count)
 * ```
 */
export function formatMaxFeatures(m: MaxFeatures): string {
  if (typeof m === "string") return m;
  // A whole-number fraction must keep its dot, or it would read back as a count.
  if ("fraction" in m) {
    return Number.isInteger(m.fraction) ? m.fraction.toFixed(1) : String(m.fraction);
  }
  return String(m.count);
}
