/**
 * Training once: load and encode the data, split off the holdout, fit,
 * evaluate and assemble the bundle. `mod.ts` is the package's surface.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import {
  datasetName,
  type DatasetSchema,
  digestTable,
  encodeTable,
  featureStats,
  inferSchema,
  type Matrix,
  type RawTable,
  readCsvFile,
  stratifiedSplit,
  subsetLabels,
  subsetMatrix,
} from "../data/mod.ts";
import { OptionError } from "../errors.ts";
import {
  DEFAULT_PARAMS,
  fitForest,
  type ForestParams,
  type ForestPool,
  predictProbaMatrix,
  trainMlRandomForest,
} from "../forest/mod.ts";
import { evaluate, type Evaluation } from "../metrics/mod.ts";
import { BUNDLE_FORMAT, formatVersionOf, type ModelBundle } from "../model/mod.ts";
import { VERSION } from "../version.ts";

/** Where the bundled default dataset lives, relative to this module. */
export const DEFAULT_DATASET = new URL("../../data/telco-customer-churn.csv", import.meta.url);
/** The default dataset's target column. */
export const DEFAULT_TARGET = "Churn";

/** A training table with its inferred schema and encoded matrix. */
export interface TrainingData {
  table: RawTable;
  schema: DatasetSchema;
  X: Matrix;
  y: Int32Array;
  /** Separate holdout, when one was given as its own CSV. */
  test: { table: RawTable; X: Matrix; y: Int32Array } | null;
  dataset: { name: string; path: string; digest: string; rows: number; columns: number };
}

/** What to read. */
export interface LoadOptions {
  /** CSV path; default: the bundled Telco churn data. */
  data?: string;
  target?: string;
  drop?: string[];
  /** A separate holdout CSV instead of a random split. */
  test?: string;
}

/**
 * Reads the training CSV (and optional holdout CSV), infers the schema and
 * encodes both. Errors name the file and line.
 *
 * @example
 * ```ts
 * const data = await loadTrainingData({ target: "Churn" }); // bundled dataset
 * data.schema.dropped; // [{ name: "customerID", reason: "identifier" }]
 * ```
 */
export async function loadTrainingData(options: LoadOptions = {}): Promise<TrainingData> {
  const path = options.data ?? fileURLToPath(DEFAULT_DATASET);
  const target = options.target ?? DEFAULT_TARGET;
  const table = await readCsvFile(path);
  const schema = inferSchema(table, { target, drop: options.drop });
  const { X, y } = encodeTable(schema, table, { requireTarget: true });
  let test: TrainingData["test"] = null;
  if (options.test) {
    const testTable = await readCsvFile(options.test);
    const enc = encodeTable(schema, testTable, { requireTarget: true });
    test = { table: testTable, X: enc.X, y: enc.y! };
  }
  return {
    table,
    schema,
    X,
    y: y!,
    test,
    dataset: {
      name: datasetName(path),
      path,
      digest: await digestTable(table),
      rows: table.rows.length,
      columns: table.header.length,
    },
  };
}

/** How to train. */
export interface TrainOptions {
  params?: Partial<ForestParams>;
  /** Holdout share when no separate test CSV was given (default 0.2). */
  testSize?: number;
  workers?: number;
  pool?: ForestPool;
  engine?: "mlops" | "ml-random-forest";
  onProgress?: (done: number, total: number) => void;
  /** Model name written into the bundle (default: dataset name). */
  name?: string;
}

/** A trained, evaluated model and the numbers people look at. */
export interface TrainResult {
  bundle: ModelBundle;
  evaluation: Evaluation;
  params: ForestParams;
  nTrain: number;
  nTest: number;
  timings: { fitMs: number; binMs: number; evalMs: number };
  workers: number;
}

/**
 * Splits (stratified, seeded), trains, evaluates on the holdout, and
 * assembles the bundle.
 *
 * @example
 * ```ts
 * const data = await loadTrainingData({ data: "data/telco-customer-churn.csv" });
 * const { bundle, evaluation } = await trainModel(data, { params: { nTrees: 50 } });
 * ```
 */
export async function trainModel(
  data: TrainingData,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const params: ForestParams = { ...DEFAULT_PARAMS, ...options.params };
  const { schema } = data;
  const K = schema.classes.length;

  const { train, test } = holdoutSplit(data, options.testSize ?? 0.2, params.seed);
  const { X: Xtr, y: ytr, table: trainTable } = train;
  const { X: Xte, y: yte } = test;

  let forest, importances: ArrayLike<number>, oobScore: number | null, fitMs: number;
  let binMs = 0, workers = 1;
  if (options.engine === "ml-random-forest") {
    const fill = schema.encodedSource.map((s) => {
      const f = schema.features[s];
      return f.kind === "numeric" ? f.fill : 0;
    });
    const t0 = performance.now();
    forest = trainMlRandomForest(Xtr, ytr, K, params, fill);
    fitMs = performance.now() - t0;
    importances = new Float64Array(Xtr.nCols);
    oobScore = null;
  } else {
    const report = await fitForest(Xtr, ytr, K, params, {
      workers: options.workers,
      pool: options.pool,
      onProgress: options.onProgress,
    });
    ({ forest, importances, oobScore, fitMs, binMs, workers } = report);
  }

  const t1 = performance.now();
  const proba = predictProbaMatrix(forest, Xte);
  const evaluation = evaluate(yte, proba, schema.classes);
  const evalMs = performance.now() - t1;

  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(evaluation.metrics)) if (Number.isFinite(v)) metrics[k] = v;

  const bundle: ModelBundle = {
    format: BUNDLE_FORMAT,
    formatVersion: formatVersionOf(forest),
    name: options.name ?? data.dataset.name,
    version: null,
    createdAt: new Date().toISOString(),
    promotedAt: null,
    schema,
    forest,
    importances: Array.from(importances),
    featureStats: featureStats(schema, trainTable),
    training: {
      params,
      metrics,
      oobScore,
      dataset: {
        name: data.dataset.name,
        digest: data.dataset.digest,
        rows: data.dataset.rows,
        columns: data.dataset.columns,
      },
      nTrain: Xtr.nRows,
      nTest: Xte.nRows,
      fitMs,
      trainedBy: `mlops ${VERSION}`,
      classShares: classShares(ytr, K),
    },
  };
  return {
    bundle,
    evaluation,
    params,
    nTrain: Xtr.nRows,
    nTest: Xte.nRows,
    timings: { fitMs, binMs, evalMs },
    workers,
  };
}

/** The training or holdout part of the data. */
export interface DataPart {
  X: Matrix;
  y: Int32Array;
  table: RawTable;
}

/**
 * The holdout split every consumer shares: the separate test CSV when one
 * was given, else a stratified split seeded with `seed` — so a sweep's
 * cross-validation sees exactly the rows `trainModel` trains on.
 *
 * @example
 * ```ts
 * import { holdoutSplit, loadTrainingData } from "./mod.ts";
 *
 * const { train, test } = holdoutSplit(await loadTrainingData(), 0.2, 42);
 * console.log(train.X.nRows, test.X.nRows);
 * ```
 */
export function holdoutSplit(
  data: TrainingData,
  testSize: number,
  seed: number,
): { train: DataPart; test: DataPart } {
  if (data.test) {
    return {
      train: { X: data.X, y: data.y, table: data.table },
      test: { X: data.test.X, y: data.test.y, table: data.test.table },
    };
  }
  if (!(testSize > 0 && testSize < 1)) {
    throw new OptionError(
      "testSize",
      (name) => `${name("testSize")} must be between 0 and 1 (exclusive), got ${testSize}`,
    );
  }
  const { classes } = data.schema;
  const split = stratifiedSplit(data.y, classes.length, testSize, seed, classes);
  const part = (rows: Int32Array): DataPart => ({
    X: subsetMatrix(data.X, rows),
    y: subsetLabels(data.y, rows),
    table: { ...data.table, rows: Array.from(rows, (i) => data.table.rows[i]) },
  });
  return { train: part(split.train), test: part(split.test) };
}

/** Share of rows per class index. */
function classShares(y: Int32Array, K: number): number[] {
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts.map((c) => (y.length > 0 ? c / y.length : 0));
}
