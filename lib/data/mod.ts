/**
 * The data layer: CSV in, encoded feature matrix out.
 *
 * CSV file → {@link RawTable} ({@link readCsvFile}) → {@link DatasetSchema}
 * ({@link inferSchema}, once, at training; stored in the model bundle) →
 * {@link Matrix} + labels ({@link encodeTable}, or {@link createRecordEncoder}
 * per JSON record at the edge). Around it: stratified splits and folds,
 * feature statistics with PSI for drift, and a dataset digest for tracking.
 * Every input problem is a `UserError` naming the file and line.
 *
 * @example
 * ```ts
 * import { encodeTable, inferSchema, readCsvFile, stratifiedSplit, subsetMatrix } from "./mod.ts";
 *
 * const table = await readCsvFile("data/telco-customer-churn.csv");
 * const schema = inferSchema(table, { target: "Churn" });
 * const { X, y } = encodeTable(schema, table, { requireTarget: true });
 * const { train, test } = stratifiedSplit(y!, schema.classes.length, 0.2, 42);
 * const Xtrain = subsetMatrix(X, train);
 * ```
 *
 * @module
 */
export type {
  CategoricalFeature,
  CategoricalStats,
  DatasetSchema,
  DroppedColumn,
  FeatureSpec,
  FeatureStats,
  Matrix,
  NumericFeature,
  NumericStats,
  RawTable,
} from "./types.ts";
export { csvCell, parseCsv, readCsvFile, rowLine } from "./csv.ts";
export {
  encodedColumnNames,
  inferSchema,
  type InferSchemaOptions,
  isBlank,
  MAX_CATEGORIES,
  OTHER_CATEGORY,
} from "./schema.ts";
export {
  createRecordEncoder,
  type EncodedTable,
  encodeRecord,
  encodeTable,
  type EncodeTableOptions,
  type FieldError,
  type RecordEncoder,
  type RecordEncoding,
} from "./encode.ts";
export { parseNumber } from "./decimal.ts";
export { binCategory, binNumeric, featureStats, psi, PSI_EPSILON } from "./stats.ts";
export {
  type Split,
  stratifiedKFold,
  stratifiedSplit,
  subsetLabels,
  subsetMatrix,
} from "./split.ts";
export { datasetName, digestTable } from "./digest.ts";
export { DRIFT_THRESHOLD, type FeatureDrift, tableDrift } from "./drift.ts";
