/**
 * What promotion and rollback record on a model version, and the model name
 * a run is registered under by default.
 *
 * @module
 */

/** Version tag keys written by promote, rollback and the live promotion. */
export const PROMOTE_TAGS = {
  by: "mlops.promoted_by",
  at: "mlops.promoted_at",
  reason: "mlops.promotion_reason",
  gate: "mlops.gate",
  metric: "mlops.metric",
  minDelta: "mlops.min_delta",
  previous: "mlops.previous_version",
  run: "mlops.source_run_id",
  experiment: "mlops.source_experiment",
  rollbackBy: "mlops.rolled_back_by",
  rollbackAt: "mlops.rolled_back_at",
  rollbackFrom: "mlops.rolled_back_from",
  rollbackReason: "mlops.rollback_reason",
} as const;

/**
 * Tag key of a metric's value on the new (`new`) or replaced (`old`) model.
 *
 * @example
 * ```ts
 * import { metricTag } from "./tags.ts";
 *
 * metricTag("new", "accuracy"); // "mlops.new.accuracy"
 * ```
 */
export function metricTag(which: "new" | "old", metric: string): string {
  return `mlops.${which}.${metric}`;
}

/**
 * A registered model name from an experiment name: MLflow forbids `/`, `\`,
 * `%` and a leading dot in names (they become folder names).
 *
 * @example
 * ```ts
 * import { defaultModelName } from "./tags.ts";
 *
 * defaultModelName("telco-customer-churn"); // "telco-customer-churn"
 * ```
 */
export function defaultModelName(experiment: string): string {
  return experiment.replace(/[/\\%]/g, "-").replace(/^\.+/, "") || "model";
}
