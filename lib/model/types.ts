/**
 * The model bundle: one self-describing, versioned file holding everything
 * prediction needs (schema and encoders, classes, the packed forest) plus
 * what monitoring needs (training feature statistics) and provenance.
 *
 * @module
 */
import type { DatasetSchema, FeatureStats } from "../data/serving.ts";
import type { ForestParams, PackedForest } from "../forest/serving.ts";

/** Format identifier written into every bundle. */
export const BUNDLE_FORMAT = "mlops-forest";
/**
 * The newest format version this mlops reads. Bump when a reader of the
 * previous version could misread the new one. Version 2 adds sparse leaves
 * (`forest.leafClass`); version 3 stores the forest in the quantized
 * pre-order layout the WebAssembly kernel loads directly
 * (`lib/forest/quantized.ts`). Forests that do not fit it are still written
 * as version 1 or 2 (see `bundle.ts`).
 */
export const BUNDLE_VERSION = 3;
/** File name of the bundle inside a model directory. */
export const BUNDLE_FILE = "model.mlops.json";

/** Provenance and quality of a trained model. */
export interface TrainingInfo {
  params: ForestParams;
  /** Holdout metrics (accuracy, f1, roc_auc, log_loss, ...) when evaluated. */
  metrics: Record<string, number>;
  oobScore: number | null;
  dataset: { name: string; digest: string; rows: number; columns: number };
  nTrain: number;
  nTest: number;
  fitMs: number;
  /** Tool version that trained it, e.g. "mlops 0.1.0". */
  trainedBy: string;
  /**
   * Share of training rows per class (same order as `schema.classes`), what
   * monitoring compares the live class mix with. Absent in bundles trained
   * before it was recorded.
   */
  classShares?: number[];
}

/** A trained model, in memory. */
export interface ModelBundle {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  /** Registered model name or a default derived from the dataset. */
  name: string;
  /** Registry version once promoted, else null. */
  version: string | null;
  createdAt: string;
  /** ISO time of promotion, set by `mlops promote`. */
  promotedAt: string | null;
  schema: DatasetSchema;
  forest: PackedForest;
  /** Importance per encoded feature (same order as `schema.encodedNames`). */
  importances: number[];
  featureStats: FeatureStats[];
  training: TrainingInfo;
}

/** Result of predicting a batch of raw records. */
export interface Predictions {
  /** Predicted class label per record. */
  labels: string[];
  /** Row-major probabilities, `classes.length` per record. */
  proba: Float64Array;
  classes: string[];
  /** Per feature, how many records carried a category unseen in training. */
  unknownCategories: Record<string, number>;
}
