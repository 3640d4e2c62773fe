/**
 * Numbers written as text — CSV cells, and numeric strings in JSON records at
 * the edge — are read here, and only here, so training, `mlops predict` and
 * the edge agree on what a number is.
 *
 * Decimal only: an optional sign, digits with an optional point (or a point
 * and digits), an optional exponent, surrounding whitespace. `Number()`
 * alone also reads `0x10` (16), `0b1`, `0o7` and `Infinity`, which nobody
 * means as a feature value; those are not numbers here.
 *
 * @module
 */

const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * The finite decimal number `text` holds, else NaN (blank, not decimal, or
 * overflowing to infinity).
 *
 * @example
 * ```ts
 * parseNumber("29.85"); // 29.85
 * parseNumber("1e3"); // 1000
 * parseNumber(" "); // NaN
 * parseNumber("0x10"); // NaN
 * ```
 */
export function parseNumber(text: string): number {
  // Most cells start with a digit other than 0, a sign or a point: no radix
  // prefix or word `Number()` would accept can follow, so it decides alone.
  // This runs per cell on million-row tables.
  const c = text.charCodeAt(0);
  if ((c >= 0x31 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e) return finite(text);
  if (c === 0x30) {
    const next = text.charCodeAt(1) | 0x20; // lower case
    return next === 0x78 || next === 0x6f || next === 0x62 ? NaN : finite(text); // x, o, b
  }
  return DECIMAL.test(text) ? finite(text) : NaN;
}

function finite(text: string): number {
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}
