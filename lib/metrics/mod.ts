/**
 * Classification metrics for tabular classifiers, matching scikit-learn's
 * definitions (ties, zero division, clipping) so numbers are comparable with
 * models trained in Python. Pure functions over typed arrays; no I/O.
 *
 * Inputs share one layout: `yTrue` holds class indexes, `proba` is row-major
 * with `nClasses` probabilities per row, and `yPred` is usually
 * {@link argmaxRows}`(proba, nClasses)`.
 *
 * @example
 * ```ts
 * import { evaluate } from "./mod.ts";
 *
 * const ev = evaluate(new Int32Array([0, 1]), new Float64Array([0.7, 0.3, 0.4, 0.6]), ["a", "b"]);
 * console.log(ev.metrics.f1, ev.metrics.roc_auc);
 * ```
 *
 * @module
 */
export { argmaxRows } from "./argmax.ts";
export {
  confusionMatrix,
  type ConfusionTable,
  confusionTable,
  MAX_TABLE_CLASSES,
} from "./confusion_matrix.ts";
export { accuracy } from "./accuracy.ts";
export { type Average, type PrecisionRecallF1, precisionRecallF1 } from "./precision_recall_f1.ts";
export { rocAuc } from "./roc_auc.ts";
export { type RocCurve, rocCurve, type RocCurveOptions } from "./roc_curve.ts";
export {
  type PrecisionRecallCurve,
  precisionRecallCurve,
  type PrecisionRecallCurveOptions,
} from "./precision_recall_curve.ts";
export { averagePrecision } from "./average_precision.ts";
export { logLoss } from "./log_loss.ts";
export { evaluate, type Evaluation, type EvaluationMetrics } from "./evaluate.ts";
/** Each metric's direction (higher or lower is better), beside the metrics it describes. */
export {
  type Direction,
  isMetricName,
  METRIC_DIRECTIONS,
  METRIC_NAMES,
  type MetricName,
} from "./evaluate.ts";
export { type Interval, newcombeInterval, normalQuantile, wilsonInterval } from "./interval.ts";
