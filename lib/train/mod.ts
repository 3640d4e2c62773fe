/**
 * How training works, end to end and in one place: CSV → schema → encoded
 * matrix → stratified split → forest → holdout evaluation → model bundle.
 *
 * Training is I/O-free except reading the CSVs. {@link writeArtifacts} writes
 * the bundle, metrics and plots, and {@link trainedRunContent} says what the
 * model's MLflow run holds; logging it is the caller's job (see
 * `cli/commands/train.ts`, and the sweep's refit in `lib/sweep`).
 *
 * @example
 * ```ts
 * import { loadTrainingData, trainModel } from "./mod.ts";
 * const data = await loadTrainingData({ data: "data/telco-customer-churn.csv", target: "Churn" });
 * const result = await trainModel(data, { testSize: 0.2 });
 * console.log(result.evaluation.metrics.accuracy);
 * ```
 *
 * @module
 */
export {
  type DataPart,
  DEFAULT_DATASET,
  DEFAULT_TARGET,
  holdoutSplit,
  type LoadOptions,
  loadTrainingData,
  type TrainingData,
  trainModel,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
/** Writing a trained model's files: the bundle, metrics, plots and predictions. */
export { type ArtifactPaths, writeArtifacts } from "./artifacts.ts";
/** What a trained model's MLflow run holds, shared by `mlops train` and the sweep's refit. */
export {
  datasetLog,
  FIT_TIME_METRIC,
  trainedRunContent,
  withCurrentMetricNames,
} from "./tracking.ts";
