/**
 * The PromQL the public status page asks Prometheus, in one place (the
 * Prometheus integration test evaluates every one of them).
 *
 * @module
 */

/** Routes that score, whose answers availability and latency are about. */
const SCORING = '"/v1/predict|/invocations"';

/** A PromQL string literal. */
function lit(s: string): string {
  return JSON.stringify(s);
}

/** The instant queries of the status page for edge job `job`, by name. */
export function statusQueries(job: string): Record<string, string> {
  const j = `job=${lit(job)}`;
  const requests = (w: string, extra = "") =>
    `sum(increase(mlops_http_requests_total{${j}, route=~${SCORING}${extra}}[${w}]))`;
  const availability = (w: string) =>
    `1 - ((${requests(w, ', status=~"5.."')} or vector(0)) / (${requests(w)} > 0))`;
  const p99 = (w: string) =>
    `histogram_quantile(0.99, sum by (le) (increase(mlops_http_request_duration_seconds_bucket{${j}, route=~${SCORING}}[${w}])))`;
  // The public figure is the champion's: a shadow challenger's answers were
  // never given to anyone (they compare on the model dashboard instead).
  const feedback = (extra = "") =>
    `sum(increase(mlops_feedback_total{${j}, model_role!="challenger"${extra}}[1h]))`;
  return {
    availability_24h: availability("24h"),
    availability_7d: availability("7d"),
    latency_p99_24h: p99("24h"),
    latency_p99_7d: p99("7d"),
    accuracy_1h: `${feedback(', outcome="correct"')} / (${feedback()} > 0)`,
    labels_1h: feedback(),
    ready: `max(mlops_model_ready{${j}})`,
    instances: `count(mlops_model_ready{${j}})`,
  };
}

/** Alerts that become incidents on the public page (a range query over 7 days). */
export const INCIDENT_QUERY = 'ALERTS{alertstate="firing", severity=~"critical|warning"}';

/**
 * Feedback of the last hour per model and outcome, for the champion-vs-
 * challenger comparison (several series: one per model and outcome).
 */
export function modelFeedbackQuery(job: string): string {
  return `sum by (model_role, model_version, outcome) (increase(mlops_feedback_total{job=${
    lit(job)
  }}[1h]))`;
}
