/**
 * Every holdout metric of a classifier in one call.
 *
 * @module
 */
import { accuracy } from "./accuracy.ts";
import { argmaxRows } from "./argmax.ts";
import { averagePrecision } from "./average_precision.ts";
import { type ConfusionTable, confusionTable } from "./confusion_matrix.ts";
import { logLoss } from "./log_loss.ts";
import { type PrecisionRecallCurve, precisionRecallCurve } from "./precision_recall_curve.ts";
import { precisionRecallF1 } from "./precision_recall_f1.ts";
import { rocAuc } from "./roc_auc.ts";
import { type RocCurve, rocCurve } from "./roc_curve.ts";
import { checkProba } from "./_validate.ts";

/** Whether larger or smaller values of a metric are better. */
export type Direction = "max" | "min";

/**
 * Every metric {@link evaluate} reports, with its direction: sweeps rank and
 * promotion gates by these names, and must know that a lower log loss wins.
 * {@link EvaluationMetrics} is derived from it, so a metric `evaluate`
 * reports without a direction here does not type-check.
 */
export const METRIC_DIRECTIONS = {
  accuracy: "max",
  precision: "max",
  recall: "max",
  f1: "max",
  precision_macro: "max",
  recall_macro: "max",
  f1_macro: "max",
  roc_auc: "max",
  average_precision: "max",
  log_loss: "min",
} as const satisfies Readonly<Record<string, Direction>>;

/** A metric {@link evaluate} reports. */
export type MetricName = keyof typeof METRIC_DIRECTIONS;

/** Every {@link MetricName}, in the table's order (what `cv_results.csv` and help list). */
export const METRIC_NAMES = Object.keys(METRIC_DIRECTIONS) as readonly MetricName[];

/**
 * Whether `name` is a metric {@link evaluate} reports.
 *
 * @example
 * ```ts
 * import { isMetricName } from "./mod.ts";
 *
 * isMetricName("roc_auc"); // true
 * isMetricName("auc"); // false
 * ```
 */
export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRIC_DIRECTIONS, name);
}

/** {@link Evaluation.metrics}: every metric, `average_precision` for binary problems only. */
export type EvaluationMetrics =
  & { [K in Exclude<MetricName, "average_precision">]: number }
  & { average_precision?: number };

/** Result of {@link evaluate}. */
export interface Evaluation {
  /** Class labels; index `k` is class `k` in `proba`. */
  classes: string[];
  /** Number of rows evaluated. */
  nSamples: number;
  /**
   * Flat scores, ready for run tracking: `accuracy`, `precision`, `recall`,
   * `f1` (binary: of `classes[1]`; otherwise the macro average),
   * `precision_macro`, `recall_macro`, `f1_macro`, `roc_auc`, `log_loss`,
   * and `average_precision` for binary problems only. `roc_auc` is NaN when
   * undefined (e.g. a single class in `yTrue`).
   */
  metrics: EvaluationMetrics;
  /**
   * The confusion matrix with its labels: every class, or past 50 classes the
   * 50 with the most support and one row and column for the rest.
   */
  confusion: ConfusionTable;
  /** ROC curve of `classes[1]`, for binary problems; otherwise null. */
  roc: RocCurve | null;
  /** Precision-recall curve of `classes[1]`, for binary problems; otherwise null. */
  pr: PrecisionRecallCurve | null;
}

/**
 * Scores predicted probabilities against the truth. Hard predictions are the
 * row-wise argmax of `proba` (ties to the lowest class index).
 *
 * @param yTrue True class index per row.
 * @param proba Row-major probabilities, `classes.length` per row.
 * @param classes Class labels in index order.
 * @returns Metrics, confusion matrix and, for binary problems, curves.
 * @throws {RangeError} On zero rows or inconsistent shapes.
 *
 * @example
 * ```ts
 * import { evaluate } from "./mod.ts";
 * import { strict as assert } from "node:assert";
 *
 * const ev = evaluate(
 *   new Int32Array([0, 0, 1, 1]),
 *   new Float64Array([0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8]),
 *   ["no", "yes"],
 * );
 * assert.equal(ev.metrics.accuracy, 0.75);
 * assert.equal(ev.metrics.roc_auc, 0.75);
 * assert.deepEqual(ev.confusion.matrix, [[2, 0], [1, 1]]);
 * ```
 */
export function evaluate(
  yTrue: ArrayLike<number>,
  proba: ArrayLike<number>,
  classes: string[],
): Evaluation {
  const nClasses = classes.length;
  checkProba(yTrue.length, proba, nClasses);
  if (yTrue.length === 0) throw new RangeError("cannot evaluate zero rows");
  const yPred = argmaxRows(proba, nClasses);
  const binary = nClasses === 2;
  const macro = precisionRecallF1(yTrue, yPred, nClasses, "macro");
  const headline = binary ? precisionRecallF1(yTrue, yPred, nClasses, "binary", 1) : macro;
  const metrics: EvaluationMetrics = {
    accuracy: accuracy(yTrue, yPred),
    precision: headline.precision,
    recall: headline.recall,
    f1: headline.f1,
    precision_macro: macro.precision,
    recall_macro: macro.recall,
    f1_macro: macro.f1,
    roc_auc: rocAuc(yTrue, proba, nClasses),
    log_loss: logLoss(yTrue, proba, nClasses),
  };
  let roc: RocCurve | null = null;
  let pr: PrecisionRecallCurve | null = null;
  if (binary) {
    const score = new Float64Array(yTrue.length);
    for (let i = 0; i < score.length; i++) score[i] = proba[2 * i + 1];
    metrics.average_precision = averagePrecision(yTrue, score);
    roc = rocCurve(yTrue, score);
    pr = precisionRecallCurve(yTrue, score);
  }
  return {
    classes: [...classes],
    nSamples: yTrue.length,
    metrics,
    confusion: confusionTable(yTrue, yPred, classes),
    roc,
    pr,
  };
}
