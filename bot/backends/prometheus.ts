/**
 * Prometheus' instant-query API (`GET /api/v1/query`), reduced to what the
 * chat shows: a list of samples with their labels.
 *
 * @module
 */
import { fetchJson } from "./http.ts";

/** One sample of an instant vector. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface QueryBody {
  status: "success" | "error";
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
}

/**
 * Evaluates `query` now.
 *
 * @example
 * ```ts
 * const up = await instantQuery("http://127.0.0.1:9090", 'up{job="mlops-edge"}');
 * ```
 */
export async function instantQuery(base: string, query: string): Promise<Sample[]> {
  const body = await fetchJson<QueryBody>(
    "Prometheus",
    `${base}/api/v1/query?query=${encodeURIComponent(query)}`,
  );
  if (body.status !== "success" || !body.data) return [];
  if (body.data.resultType !== "vector") return [];
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}
