/**
 * Drift of a whole table against the training statistics in a bundle: each
 * feature's values fall into the training bins (numeric deciles, known
 * categories) and the shares are compared by PSI. The edge tracks the same
 * thing over a sliding window of live requests (edge/telemetry/drift.ts);
 * this is the batch form, for `mlops batch`.
 *
 * @module
 */
import { parseNumber } from "./decimal.ts";
import { binCategory, binNumeric, psi } from "./stats.ts";
import type { CategoricalFeature, DatasetSchema, FeatureStats, RawTable } from "./types.ts";

/** Drift of one feature. */
export interface FeatureDrift {
  name: string;
  kind: "numeric" | "categorical";
  /** Population stability index vs training; `null` when no usable value was seen. */
  psi: number | null;
  /** Values with a usable (non-missing, known) value. */
  n: number;
}

/** PSI above which a feature counts as significantly shifted (the usual rule of thumb). */
export const DRIFT_THRESHOLD = 0.2;

/**
 * PSI per feature of `table` against `stats`, in schema order; features
 * without usable training stats (or missing from the table) are left out.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../model/mod.ts";
 * import { readCsvFile } from "./csv.ts";
 *
 * declare const bundle: ModelBundle;
 * const drift = tableDrift(bundle.schema, bundle.featureStats, await readCsvFile("new.csv"));
 * drift.filter((d) => (d.psi ?? 0) > DRIFT_THRESHOLD); // the shifted features
 * ```
 */
export function tableDrift(
  schema: DatasetSchema,
  stats: readonly FeatureStats[],
  table: RawTable,
): FeatureDrift[] {
  const byName = new Map(stats.map((s) => [s.name, s]));
  const colOf = new Map(table.header.map((h, i) => [h, i]));
  const out: FeatureDrift[] = [];
  for (const feature of schema.features) {
    const s = byName.get(feature.name);
    const col = colOf.get(feature.name);
    if (!s || s.kind !== feature.kind || s.count === 0 || col === undefined) continue;
    const counts = new Float64Array(s.proportions.length);
    let n = 0;
    for (const row of table.rows) {
      const cell = row[col] ?? "";
      const bin = s.kind === "numeric"
        ? binNumeric(s, parseNumber(cell))
        : binCategory(feature as CategoricalFeature, cell);
      if (bin < 0 || bin >= counts.length) continue;
      counts[bin]++;
      n++;
    }
    const value = n > 0 ? psi(s.proportions, counts) : NaN;
    out.push({ name: feature.name, kind: s.kind, psi: Number.isFinite(value) ? value : null, n });
  }
  return out;
}
