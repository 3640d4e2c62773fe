/**
 * Ranking by a metric: sweeps rank configurations and promotion gates models
 * by a metric name, in the direction `lib/metrics` gives it (a lower log loss
 * wins).
 *
 * @module
 */
import { errorAt, type Where } from "../errors.ts";
import { type Direction, isMetricName, METRIC_DIRECTIONS } from "../metrics/mod.ts";

/**
 * Checks a metric name and returns its direction; the error lists the known
 * names and starts with `where` (default: the `metric` option).
 *
 * @example
 * ```ts
 * metricDirection("log_loss"); // "min"
 * ```
 */
export function metricDirection(
  name: string,
  where: Where = (option) => option("metric"),
): Direction {
  if (!isMetricName(name)) {
    throw errorAt(
      where,
      "metric",
      ` ${name}: unknown metric (known: ${Object.keys(METRIC_DIRECTIONS).join(", ")})`,
      { code: "BAD_METRIC" },
    );
  }
  return METRIC_DIRECTIONS[name];
}

/**
 * How much better `a` is than `b` (positive when better), whichever the direction.
 *
 * @example
 * ```ts
 * improvement(0.2, 0.3, "min"); // ≈ 0.1
 * ```
 */
export function improvement(a: number, b: number, direction: Direction): number {
  return direction === "max" ? a - b : b - a;
}

/**
 * Ranks like scikit-learn's `rank_test_*`: 1 is best, ties share the lowest
 * rank, NaN ranks last.
 *
 * @example
 * ```ts
 * rank([0.8, 0.9, 0.8], "max"); // [2, 1, 2]
 * ```
 */
export function rank(values: readonly number[], direction: Direction): number[] {
  const key = (v: number) => Number.isNaN(v) ? -Infinity : direction === "max" ? v : -v;
  const sorted = values.map(key).sort((a, b) => b - a);
  return values.map((v) => {
    // Rank = 1 + how many are strictly better: the first index holding this key.
    const k = key(v);
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] > k) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  });
}
