/**
 * The edge's own API, for `/predict` and for `/status` and `/drift` when no
 * Prometheus is configured (its operator view, `/v1/ops`: this instance's
 * numbers, behind the edge's API key when it has keys).
 *
 * @module
 */
import { fetchJson } from "../../lib/backend_http.ts";

/** The parts of `GET /v1/ops` the bot shows. */
export interface EdgeStatus {
  model: {
    status: string;
    reason?: string;
    name?: string;
    version?: string | null;
    training_metrics?: Record<string, number>;
  };
  uptime_seconds: number;
  traffic: {
    rps: number;
    error_rate: number;
    requests: number;
    window_seconds: number;
    latency_ms: { p50: number | null; p99: number | null };
  };
  drift: { window: number; features: { name: string; psi: number | null }[] };
  live_accuracy: { accuracy: number | null; n: number };
}

/** One prediction as `/v1/predict` returns it. */
export interface EdgePrediction {
  prediction_id: string;
  label: string;
  probabilities: Record<string, number>;
  unknown_categories?: string[];
}

function auth(apiKey: string | null | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** The edge's operator document (one instance's view). */
export function edgeStatus(base: string, apiKey?: string | null): Promise<EdgeStatus> {
  return fetchJson<EdgeStatus>("the edge", `${base}/v1/ops`, { headers: auth(apiKey) });
}

/** Scores one instance. */
export function edgePredict(
  base: string,
  instance: Record<string, unknown>,
  apiKey?: string | null,
): Promise<EdgePrediction> {
  return fetchJson<EdgePrediction>("the edge", `${base}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth(apiKey) },
    body: JSON.stringify(instance),
  });
}
