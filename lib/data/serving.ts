/**
 * The part of the data layer that serving loads: the schema and table types,
 * encoding records (or a table) the way training did, and the feature
 * statistics drift is measured with. It leaves out what `mod.ts` adds (CSV
 * files, splits, digests), so the model bundle and the edge start without the
 * CSV parser; {@link parseCsvLazily} loads it on first use.
 *
 * @example
 * ```ts
 * import { createRecordEncoder, type DatasetSchema } from "./serving.ts";
 *
 * declare const schema: DatasetSchema;
 * const encode = createRecordEncoder(schema);
 * const row = new Float64Array(schema.encodedNames.length);
 * const { errors } = encode({ tenure: 3, Contract: "One year" }, row);
 * ```
 *
 * @module
 */
import type { RawTable } from "./types.ts";

export type {
  DatasetSchema,
  FeatureSpec,
  FeatureStats,
  Matrix,
  NumericStats,
  RawTable,
} from "./types.ts";
export { createRecordEncoder, encodeTable, type RecordEncoder } from "./encode.ts";
export { binNumeric, psi } from "./stats.ts";
export type { FeatureDrift } from "./drift.ts";

/**
 * `parseCsv` from `mod.ts`, with the CSV parser loaded on the first call
 * rather than at start-up: the edge reads CSV only for `text/csv` requests.
 *
 * @param text The CSV: a header row, then one row per line.
 * @param source What to call the input in errors (a file name, "request body").
 * @returns The table, cells as strings.
 * @throws {UserError} The CSV is malformed, binary or has no header.
 *
 * @example
 * ```ts
 * import { parseCsvLazily } from "./serving.ts";
 *
 * const table = await parseCsvLazily("tenure,Contract\n3,One year\n", "request body");
 * table.rows.length; // 1
 * ```
 */
export async function parseCsvLazily(text: string, source?: string): Promise<RawTable> {
  const { parseCsv } = await import("./csv_text.ts");
  return parseCsv(text, source);
}
