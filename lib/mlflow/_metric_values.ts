/**
 * Metric values as MLflow's file store spells them: Python's `str(float)`
 * when writing (`nan`, `inf`, `-inf`) and Python's `float()` when reading.
 * Run metrics and logged-model metrics share these.
 *
 * @module
 */

/** Python's float literal, ASCII digits (`1`, `-2.5e-3`, `.5`, `1_000`): what `float()` reads. */
const PY_DIGITS = String.raw`\d(?:_?\d)*`;
const PY_FLOAT = new RegExp(
  `^[+-]?(?:(?:${PY_DIGITS})?\\.${PY_DIGITS}|${PY_DIGITS}\\.?)(?:[eE][+-]?${PY_DIGITS})?$`,
);

/** Python's integer literal (`int()`): timestamps and steps. */
const PY_INT = new RegExp(`^[+-]?${PY_DIGITS}$`);

/**
 * A value as MLflow writes it: Python's spelling of non-finite floats.
 *
 * @example
 * ```ts
 * import { formatMetricValue } from "./_metric_values.ts";
 *
 * formatMetricValue(NaN); // "nan"
 * formatMetricValue(0.5); // "0.5"
 * ```
 */
export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return String(v);
}

/**
 * A value as MLflow reads it (Python's `float()`): a decimal literal, or
 * `nan`/`inf`/`infinity` with an optional sign, in any case. Anything else
 * (`NaN-ish`, `banana`, `0x10`, "") is null: a corrupt line, not a NaN.
 *
 * @example
 * ```ts
 * import { parseMetricValue } from "./_metric_values.ts";
 *
 * parseMetricValue("-Infinity"); // -Infinity
 * parseMetricValue("1_000.5"); // 1000.5
 * parseMetricValue("banana"); // null
 * ```
 */
export function parseMetricValue(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?nan$/i.test(t)) return NaN;
  const inf = /^([+-]?)inf(?:inity)?$/i.exec(t);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return PY_FLOAT.test(t) ? Number(t.replaceAll("_", "")) : null;
}

/**
 * An integer as MLflow reads a timestamp or step (Python's `int()`), or
 * null when it is not one.
 *
 * @example
 * ```ts
 * import { parseMetricInt } from "./_metric_values.ts";
 *
 * parseMetricInt("1700000000000"); // 1700000000000
 * parseMetricInt("0x10"); // null
 * ```
 */
export function parseMetricInt(s: string): number | null {
  const t = s.trim();
  return PY_INT.test(t) ? Number(t.replaceAll("_", "")) : null;
}
