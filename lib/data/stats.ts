/**
 * Training feature statistics and drift: per-feature summaries stored in the
 * bundle, the bins live values fall into, and the population stability index
 * comparing two binned distributions.
 *
 * @module
 */
import { parseNumber } from "./decimal.ts";
import { isBlank, OTHER_CATEGORY } from "./schema.ts";
import type {
  CategoricalFeature,
  CategoricalStats,
  DatasetSchema,
  FeatureStats,
  Matrix,
  NumericStats,
  RawTable,
} from "./types.ts";

/** Proportion substituted for empty bins in {@link psi}, so ln(0) never occurs. */
export const PSI_EPSILON = 1e-4;

/**
 * Summarises each feature of the schema, from a raw table or an encoded matrix.
 *
 * `count` is the number of rows with a usable value and `missing` the number
 * of blank (NaN) ones. Numeric: mean, population std, min, max, interior
 * decile edges (the 10%…90% quantiles, linearly interpolated, duplicates
 * removed) and the share of values per bin. Categorical: share of values per
 * known category; values unseen in training count in neither `count` nor
 * `missing`. From a matrix, a binary feature cannot tell missing from
 * `categories[0]`, so prefer the raw table when there is one.
 *
 * @example
 * ```ts
 * import type { DatasetSchema, RawTable } from "./types.ts";
 *
 * declare const schema: DatasetSchema;
 * declare const table: RawTable;
 * const stats = featureStats(schema, table);
 * stats[0]; // { name: "gender", kind: "categorical", count: 7043, missing: 0, ... }
 * ```
 */
export function featureStats(schema: DatasetSchema, data: RawTable | Matrix): FeatureStats[] {
  return "data" in data ? statsFromMatrix(schema, data) : statsFromTable(schema, data);
}

/**
 * The bin of a live numeric value: `i` such that `edges[i-1] < value <=
 * edges[i]` (the last bin is open-ended), or -1 for a missing value.
 *
 * @example
 * ```ts
 * binNumeric({ edges: [10, 20] }, 15); // 1
 * binNumeric({ edges: [10, 20] }, NaN); // -1
 * ```
 */
export function binNumeric(stats: Pick<NumericStats, "edges">, value: number): number {
  if (Number.isNaN(value)) return -1;
  const { edges } = stats;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The index of a live categorical value in `feature.categories` (the bins
 * of its {@link CategoricalStats}), or -1 when blank, null, or unseen in
 * training. Unlisted values of a feature with an `__other__` bucket land in it.
 *
 * @example
 * ```ts
 * import type { CategoricalFeature } from "./types.ts";
 *
 * const f = { name: "c", kind: "categorical", encoding: "binary", categories: ["No", "Yes"] };
 * binCategory(f as CategoricalFeature, "Yes"); // 1
 * binCategory(f as CategoricalFeature, "Maybe"); // -1
 * ```
 */
export function binCategory(feature: CategoricalFeature, value: string | null): number {
  if (value === null || isBlank(value)) return -1;
  const k = feature.categories.indexOf(value);
  return k !== -1 ? k : feature.categories.indexOf(OTHER_CATEGORY);
}

/**
 * Population stability index between two binned distributions:
 * Σ (a − e) · ln(a / e). Inputs are counts or proportions per bin (each is
 * normalised to sum to 1); empty bins count as {@link PSI_EPSILON}. Rule of
 * thumb: < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 significant shift.
 * Returns NaN when either side has no observations.
 *
 * @example
 * ```ts
 * psi([0.5, 0.5], [0.5, 0.5]); // 0
 * psi([0.9, 0.1], [0.5, 0.5]) > 0.2; // true
 * ```
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) {
    throw new RangeError(`psi: ${expected.length} expected bins but ${actual.length} actual`);
  }
  const se = sum(expected);
  const sa = sum(actual);
  if (!(se > 0) || !(sa > 0)) return NaN;
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / se, PSI_EPSILON);
    const a = Math.max(actual[i] / sa, PSI_EPSILON);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

function numericStats(name: string, column: ArrayLike<number>): NumericStats {
  const values = Float64Array.from(column).filter((v) => !Number.isNaN(v)).sort();
  const count = values.length;
  const missing = column.length - count;
  if (count === 0) {
    // Zeros rather than NaN: stats are written to JSON, where NaN becomes null.
    return {
      name,
      kind: "numeric",
      count,
      missing,
      mean: 0,
      std: 0,
      min: 0,
      max: 0,
      edges: [],
      proportions: [0],
    };
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= count;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const edges: number[] = [];
  for (let d = 1; d <= 9; d++) {
    const q = quantileSorted(values, d / 10);
    if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
  }
  const stats: NumericStats = {
    name,
    kind: "numeric",
    count,
    missing,
    mean,
    std: Math.sqrt(ss / count),
    min: values[0],
    max: values[count - 1],
    edges,
    proportions: [],
  };
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binNumeric(stats, v)]++;
  stats.proportions = counts.map((c) => c / count);
  return stats;
}

function statsFromMatrix(schema: DatasetSchema, X: Matrix): FeatureStats[] {
  const n = X.nRows;
  let offset = 0;
  return schema.features.map((feature) => {
    const first = offset;
    if (feature.kind === "numeric") {
      offset++;
      return numericStats(feature.name, X.data.subarray(first * n, offset * n));
    }
    offset += feature.encoding === "binary" ? 1 : feature.categories.length;
    const counts = new Array<number>(feature.categories.length).fill(0);
    let missing = 0;
    for (const k of categoryCodesFromMatrix(feature, X, first)) {
      if (k === -1) missing++;
      else counts[k]++;
    }
    return categoricalStats(feature.name, counts, missing);
  });
}

function statsFromTable(schema: DatasetSchema, table: RawTable): FeatureStats[] {
  const n = table.rows.length;
  const colOf = new Map(table.header.map((h, i) => [h, i]));
  const cols = schema.features.map((f) => {
    const c = colOf.get(f.name);
    if (c === undefined) throw new RangeError(`column '${f.name}' not in ${table.source}`);
    return c;
  });
  const values = schema.features.map((f) => f.kind === "numeric" ? new Float64Array(n) : null);
  const counts = schema.features.map((f) =>
    f.kind === "categorical" ? new Float64Array(f.categories.length) : null
  );
  const missing = new Float64Array(schema.features.length);
  const lookups = schema.features.map((f) =>
    f.kind === "categorical" ? new Map(f.categories.map((c, i) => [c, i])) : null
  );
  const others = lookups.map((m) => m?.get(OTHER_CATEGORY) ?? -1);
  // Row-major, like encodeTable: far faster than a pass per column on big tables.
  for (let r = 0; r < n; r++) {
    const row = table.rows[r];
    for (let i = 0; i < cols.length; i++) {
      const cell = row[cols[i]];
      const v = values[i];
      if (v !== null) {
        v[r] = parseNumber(cell);
        continue;
      }
      const k = lookups[i]!.get(cell) ?? (isBlank(cell) ? -2 : others[i]);
      if (k >= 0) counts[i]![k]++;
      else if (k === -2) missing[i]++;
    }
  }
  return schema.features.map((f, i) =>
    values[i] !== null
      ? numericStats(f.name, values[i]!)
      : categoricalStats(f.name, Array.from(counts[i]!), missing[i])
  );
}

function categoricalStats(name: string, counts: number[], missing: number): CategoricalStats {
  const count = counts.reduce((a, b) => a + b, 0);
  return {
    name,
    kind: "categorical",
    count,
    missing,
    proportions: counts.map((c) => (count > 0 ? c / count : 0)),
  };
}

function categoryCodesFromMatrix(
  feature: CategoricalFeature,
  X: Matrix,
  first: number,
): Int32Array {
  const n = X.nRows;
  const codes = new Int32Array(n);
  if (feature.encoding === "binary") {
    for (let r = 0; r < n; r++) codes[r] = X.data[first * n + r] === 1 ? 1 : 0;
    return codes;
  }
  // All-zero one-hot rows are missing (training data has no unseen categories).
  codes.fill(-1);
  for (let k = 0; k < feature.categories.length; k++) {
    const base = (first + k) * n;
    for (let r = 0; r < n; r++) if (X.data[base + r] === 1) codes[r] = k;
  }
  return codes;
}

/** numpy's default ("linear") quantile of sorted values. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}
