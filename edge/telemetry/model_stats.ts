/**
 * What the edge counts about one served model — its class mix, confidence,
 * drift against its own training bins, live accuracy, scoring time — under
 * the labels that tell models apart on a dashboard: `model_name`,
 * `model_version` (`"none"` when unregistered) and `model_role`
 * (`champion` or `challenger`). A champion and a challenger each get one, so
 * every model-specific series compares side by side.
 *
 * @module
 */
import type { ModelRole } from "../serving/challenger.ts";
import type { ServingModel } from "../serving/serving_model.ts";
import { DriftTracker } from "./drift.ts";
import type { Tally } from "./instruments.ts";
import { LiveAccuracy } from "./live_accuracy.ts";

/** The labels of every model-specific series. */
export type ModelLabels = { model_name: string; model_version: string; model_role: ModelRole };
/** Labels of a per-class series of one model. */
export type ModelClassAttrs = ModelLabels & { class: string };
/** Labels of a feedback count of one model. */
export type FeedbackAttrs = ModelLabels & { outcome: "correct" | "incorrect" };

/**
 * The labels of `model` playing `role`.
 *
 * @example
 * ```ts
 * import type { ServingModel } from "../serving/serving_model.ts";
 *
 * declare const model: ServingModel;
 * modelLabels(model, "champion"); // { model_name: "telco", model_version: "4", model_role: "champion" }
 * ```
 */
export function modelLabels(model: ServingModel, role: ModelRole): ModelLabels {
  return { model_name: model.name, model_version: model.version ?? "none", model_role: role };
}

/** One model's counts and windows, since it was loaded. */
export class ModelStats {
  readonly model: ServingModel;
  readonly role: ModelRole;
  readonly labels: ModelLabels;
  /** Predictions per class index, exported as `mlops_predictions_total`. */
  readonly classTallies: Tally<ModelClassAttrs>[];
  readonly drift: DriftTracker;
  /** Training share per class (empty when the bundle lacks it). */
  readonly classShares: { attrs: ModelClassAttrs; share: number }[];
  /** `[correct, incorrect]`, both there from the start (accuracy reads 0 of n, not nothing). */
  readonly feedback: readonly [Tally<FeedbackAttrs>, Tally<FeedbackAttrs>];
  /** This instance's last `accuracyWindow` outcomes for this model. */
  readonly accuracy: LiveAccuracy;
  /** Instances scored. */
  predictions = 0;

  /**
   * @example
   * ```ts
   * import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
   *
   * declare const model: ServingModel;
   * declare const batch: BatchPrediction;
   * const stats = new ModelStats(model, "challenger", { driftWindow: 5000, accuracyWindow: 500 });
   * stats.drift.observe(batch);
   * ```
   */
  constructor(
    model: ServingModel,
    role: ModelRole,
    windows: { driftWindow: number; accuracyWindow: number },
  ) {
    this.model = model;
    this.role = role;
    const labels = this.labels = modelLabels(model, role);
    this.classTallies = model.classes.map((c) => ({ attrs: { ...labels, class: c }, n: 0 }));
    this.drift = new DriftTracker(
      model.bundle.schema,
      model.bundle.featureStats,
      windows.driftWindow,
      labels,
    );
    const shares = model.bundle.training.classShares ?? [];
    this.classShares = shares.length === model.classes.length
      ? this.classTallies.map((t, k) => ({ attrs: t.attrs, share: shares[k] }))
      : [];
    this.feedback = [
      { attrs: { ...labels, outcome: "correct" }, n: 0 },
      { attrs: { ...labels, outcome: "incorrect" }, n: 0 },
    ];
    this.accuracy = new LiveAccuracy(windows.accuracyWindow);
  }

  /** Counts one outcome of this model's answer. */
  judged(correct: boolean): void {
    this.feedback[correct ? 0 : 1].n++;
    this.accuracy.add(correct);
  }

  /** Predictions per class label since load. */
  byClass(): Record<string, number> {
    return Object.fromEntries(this.classTallies.map((t) => [t.attrs.class, t.n]));
  }
}
