/**
 * What a batch-inference run reports: how many rows, the class mix, unseen
 * categories, drift against training, and which model — as JSON for files
 * and CI, as MLflow metrics, and as a notification for people.
 *
 * @module
 */
import { DRIFT_THRESHOLD, type FeatureDrift } from "../data/mod.ts";
import type { Notification } from "../notify/mod.ts";

/** One batch run's result (the `summary.json` mlops batch writes). */
export interface BatchSummary {
  status: "ok";
  model: { name: string; version: string | null; uri: string };
  data: { source: string; rows: number; digest: string };
  predictions_by_class: Record<string, number>;
  class_fractions: Record<string, number>;
  unknown_categories: Record<string, number>;
  drift: {
    threshold: number;
    max_psi: number | null;
    max_feature: string | null;
    /** Features whose PSI is over the threshold. */
    drifted: string[];
    features: FeatureDrift[];
  };
}

/**
 * Builds the summary from the scored batch.
 *
 * @example
 * ```ts
 * import { summarizeBatch } from "./summary.ts";
 *
 * const s = summarizeBatch({
 *   model: { name: "churn", version: "3", uri: "models:/churn@champion" },
 *   data: { source: "new.csv", rows: 2, digest: "abc" },
 *   labels: ["No", "Yes"],
 *   classes: ["No", "Yes"],
 *   unknownCategories: {},
 *   drift: [],
 * });
 * s.class_fractions; // { No: 0.5, Yes: 0.5 }
 * ```
 */
export function summarizeBatch(o: {
  model: BatchSummary["model"];
  data: BatchSummary["data"];
  labels: readonly string[];
  classes: readonly string[];
  unknownCategories: Record<string, number>;
  drift: FeatureDrift[];
}): BatchSummary {
  const counts: Record<string, number> = Object.fromEntries(o.classes.map((c) => [c, 0]));
  for (const l of o.labels) counts[l] = (counts[l] ?? 0) + 1;
  const total = o.labels.length;
  const fractions = Object.fromEntries(
    Object.entries(counts).map(([c, n]) => [c, total > 0 ? n / total : 0]),
  );
  let max: FeatureDrift | null = null;
  for (const d of o.drift) if (d.psi !== null && (max === null || d.psi > max.psi!)) max = d;
  return {
    status: "ok",
    model: o.model,
    data: o.data,
    predictions_by_class: counts,
    class_fractions: fractions,
    unknown_categories: o.unknownCategories,
    drift: {
      threshold: DRIFT_THRESHOLD,
      max_psi: max?.psi ?? null,
      max_feature: max?.name ?? null,
      drifted: o.drift.filter((d) => (d.psi ?? 0) > DRIFT_THRESHOLD).map((d) => d.name),
      features: o.drift,
    },
  };
}

/** A metric key MLflow accepts, from any label (`Month-to-month` stays, `a/b?` → `a_b_`). */
function metricKey(prefix: string, label: string): string {
  return `${prefix}${label.replace(/[^\w\-. ]/g, "_").slice(0, 200) || "_"}`;
}

/**
 * The summary as MLflow metrics: `rows`, `pred_count_<class>`,
 * `pred_fraction_<class>`, `unknown_categories` and `unknown_<feature>`,
 * `psi_<feature>`, `psi_max`, `drifted_features`.
 */
export function batchMetrics(s: BatchSummary): Record<string, number> {
  const m: Record<string, number> = { rows: s.data.rows };
  for (const [c, n] of Object.entries(s.predictions_by_class)) m[metricKey("pred_count_", c)] = n;
  for (const [c, f] of Object.entries(s.class_fractions)) m[metricKey("pred_fraction_", c)] = f;
  m.unknown_categories = Object.values(s.unknown_categories).reduce((a, b) => a + b, 0);
  for (const [f, n] of Object.entries(s.unknown_categories)) m[metricKey("unknown_", f)] = n;
  for (const d of s.drift.features) if (d.psi !== null) m[metricKey("psi_", d.name)] = d.psi;
  if (s.drift.max_psi !== null) m.psi_max = s.drift.max_psi;
  m.drifted_features = s.drift.drifted.length;
  return m;
}

const count = (n: number) => n.toLocaleString("en-US");
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;

/** The model as people name it: `churn v3`, or `churn (unregistered)`. */
function modelLabel(m: { name: string; version: string | null }): string {
  return m.version ? `${m.name} v${m.version}` : `${m.name} (unregistered)`;
}

/**
 * The notification for a finished batch: a warning when features drifted,
 * else info.
 *
 * @example
 * ```ts
 * declare const summary: BatchSummary;
 * batchNotification(summary, { runId: "0a1b…", url: "https://github.com/me/mlops/actions/runs/1" });
 * ```
 */
export function batchNotification(
  s: BatchSummary,
  o: { runId?: string | null; experiment?: string | null; url?: string } = {},
): Notification {
  const unknown = Object.entries(s.unknown_categories);
  const lines = [
    `Data: ${s.data.source} (${count(s.data.rows)} rows)`,
    `Predictions: ${
      Object.entries(s.predictions_by_class).map(([c, n]) =>
        `${c} ${count(n)} (${pct(s.class_fractions[c])})`
      ).join(", ")
    }`,
    `Unknown categories: ${
      unknown.length ? unknown.map(([f, n]) => `${f} ×${count(n)}`).join(", ") : "none"
    }`,
    s.drift.max_psi === null
      ? "Drift: no training statistics to compare with"
      : `Drift (PSI vs training): max ${s.drift.max_psi.toFixed(3)} (${s.drift.max_feature}); ${
        s.drift.drifted.length
          ? `over ${s.drift.threshold}: ${s.drift.drifted.join(", ")}`
          : `none over ${s.drift.threshold}`
      }`,
  ];
  if (o.runId) lines.push(`MLflow run: ${o.runId}${o.experiment ? ` (${o.experiment})` : ""}`);
  return {
    title: `Batch inference: ${count(s.data.rows)} rows scored with ${modelLabel(s.model)}`,
    text: lines.join("\n"),
    severity: s.drift.drifted.length > 0 ? "warning" : "info",
    url: o.url,
  };
}

/** The notification for a batch that failed: what, with which model and data. */
export function failureNotification(o: {
  error: string;
  model: string;
  data: string;
  url?: string;
}): Notification {
  return {
    title: "Batch inference failed",
    text: `${o.error}\nModel: ${o.model}\nData: ${o.data}`,
    severity: "critical",
    url: o.url,
  };
}
