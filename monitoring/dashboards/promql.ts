/**
 * The PromQL the dashboards run, built in one place. Every selector carries
 * the dashboard's `job` and `instance` variables (Grafana's dashboard-linter
 * asks for both), so choosing instances narrows every panel; aggregations
 * then sum the chosen instances, the way the recording rules in
 * `monitoring/rules/mlops.rules.yml` sum all of them.
 *
 * @module
 */

/** Routes that score: `/v1/predict` and MLflow's `/invocations`. */
export const SCORING = '"/v1/predict|/invocations"';

/**
 * The labels that tell a champion from a challenger on every model series
 * (`model_name`, `model_version`, `model_role`): aggregations keep them, so
 * two models served side by side are never summed together.
 */
export const MODEL = "model_name, model_version, model_role";

/** Selects the champion's series (and those of edges from before model labels). */
export const CHAMPION = 'model_role!="challenger"';

/** The range Grafana picks for `rate()`, at least four scrape intervals. */
export const RATE = "$__rate_interval";

/**
 * `metric{job=~"$job", instance=~"$instance", ...extra}`.
 *
 * @example
 * ```ts
 * sel("mlops_http_requests_total", 'status=~"5.."');
 * // 'mlops_http_requests_total{job=~"$job", instance=~"$instance", status=~"5.."}'
 * ```
 */
export function sel(metric: string, ...extra: string[]): string {
  return `${metric}{${['job=~"$job"', 'instance=~"$instance"', ...extra].join(", ")}}`;
}

/** `rate(sel[$__rate_interval])`. */
export function rate(metric: string, ...extra: string[]): string {
  return `rate(${sel(metric, ...extra)}[${RATE}])`;
}

/** `increase(sel[window])`. */
export function increase(window: string, metric: string, ...extra: string[]): string {
  return `increase(${sel(metric, ...extra)}[${window}])`;
}

/**
 * Share of requests answered 5xx (or another status class), 0 rather than
 * empty before the first one: non-matching series stand in at zero.
 */
export function statusRatio(status: string, by = "job", ...extra: string[]): string {
  const all = rate("mlops_http_requests_total", ...extra);
  return `sum by (${by}) (${
    rate("mlops_http_requests_total", `status=~"${status}"`, ...extra)
  } or 0 * ${all})\n  /\n(sum by (${by}) (${all}) > 0)`;
}

/** `histogram_quantile(q, sum by (le, ...by) (rate(metric_bucket[...])))`. */
export function quantile(q: number, metric: string, by: string[], ...extra: string[]): string {
  return `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (${
    rate(`${metric}_bucket`, ...extra)
  }))`;
}

/**
 * Population stability index per feature over `window`, the chosen
 * instances summed: the same formula as the `job_feature:mlops_drift_psi:1h`
 * recording rule (shares floored at 1e-4).
 */
export function psi(window: string, ...extra: string[]): string {
  const bins = `sum by (job, ${MODEL}, feature, bin) (${
    increase(window, "mlops_feature_bin_total", ...extra)
  })`;
  const samples = `sum by (job, ${MODEL}, feature) (${
    increase(window, "mlops_feature_bin_total", ...extra)
  })`;
  const live = `clamp_min(${bins} / ignoring (bin) group_left () (${samples} > 0), 0.0001)`;
  const expected = `clamp_min(max by (job, ${MODEL}, feature, bin) (${
    sel("mlops_feature_bin_expected_ratio", ...extra)
  }), 0.0001)`;
  return `sum by (job, ${MODEL}, feature) (\n  (${live} - ${expected})\n    *\n  ln(${live} / ${expected})\n)`;
}

/** Samples per feature over `window`, the chosen instances summed. */
export function driftSamples(window: string, ...extra: string[]): string {
  return `sum by (job, ${MODEL}, feature) (${increase(window, "mlops_feature_bin_total", ...extra)})`;
}

/** Samples FeatureDrift needs per feature: max(30 × bins, 300), as in the rules. */
export function driftMinSamples(...extra: string[]): string {
  return `clamp_min(30 * count by (job, ${MODEL}, feature) (max by (job, ${MODEL}, feature, bin) (${
    sel("mlops_feature_bin_expected_ratio", ...extra)
  })), 300)`;
}
