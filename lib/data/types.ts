/**
 * Shared data types: what a CSV becomes before the forest sees it.
 *
 * Data flows one way: CSV text → {@link RawTable} → {@link DatasetSchema}
 * (inferred once, stored in the model bundle) → {@link Matrix} of encoded
 * features. The schema is the only thing prediction needs to turn a raw row
 * back into the same encoded features.
 *
 * @module
 */

/** A parsed CSV: header plus string cells, row-major, in file order. */
export interface RawTable {
  /** Where it came from, for error messages ("data/x.csv" or "<inline>"). */
  source: string;
  header: string[];
  rows: string[][];
  /**
   * 1-based file line of each row, for error messages. Set by the CSV
   * readers (blank lines and multi-line quoted cells make it differ from
   * `row + 2`); optional so tables can be built by hand.
   */
  lines?: Int32Array;
}

/** A feature column as the model remembers it. */
export type FeatureSpec = NumericFeature | CategoricalFeature;

/** Numbers; blank or non-numeric text like "" or " " counts as missing (NaN). */
export interface NumericFeature {
  name: string;
  kind: "numeric";
  /** Value used when a row is missing this feature (training median). */
  fill: number;
}

/**
 * Categories. `binary` (two levels, e.g. Yes/No) is one 0/1 column meaning
 * `name == categories[1]`; `onehot` is one column per category. Unknown
 * categories encode as all zeros and are counted, never an error.
 */
export interface CategoricalFeature {
  name: string;
  kind: "categorical";
  encoding: "binary" | "onehot";
  /** Known categories, sorted, as seen in training. */
  categories: string[];
}

/** Why a column of the CSV is not a feature. */
export interface DroppedColumn {
  name: string;
  reason: "identifier" | "constant" | "user" | "empty";
}

/** Everything needed to encode raw rows exactly as in training. */
export interface DatasetSchema {
  target: string;
  features: FeatureSpec[];
  /** Names of the encoded columns, in matrix order (e.g. `Contract=One year`). */
  encodedNames: string[];
  /** For each encoded column, the index of its source feature in `features`. */
  encodedSource: number[];
  dropped: DroppedColumn[];
  /** Class labels as strings, sorted; `y` holds indexes into this array. */
  classes: string[];
}

/** Column-major float32 matrix: value (r, c) is `data[c * nRows + r]`. */
export interface Matrix {
  data: Float32Array;
  nRows: number;
  nCols: number;
}

/** Per-feature training statistics, kept in the bundle for drift monitoring. */
export type FeatureStats = NumericStats | CategoricalStats;

export interface NumericStats {
  name: string;
  kind: "numeric";
  count: number;
  missing: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Interior bin edges (deciles); bins are (-inf, e0], (e0, e1], ..., (eN, inf). */
  edges: number[];
  /** Share of non-missing training rows in each of the `edges.length + 1` bins. */
  proportions: number[];
}

export interface CategoricalStats {
  name: string;
  kind: "categorical";
  count: number;
  missing: number;
  /** Share of training rows per known category (same order as the schema). */
  proportions: number[];
}
