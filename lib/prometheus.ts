/**
 * Prometheus' instant-query API (`GET /api/v1/query`), reduced to a list of
 * samples with their labels; what the bot's chat and `mlops promote --live`
 * read.
 *
 * @module
 */
import { BackendError, fetchJson } from "./backend_http.ts";

/** One sample of an instant vector. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface QueryBody {
  status?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/**
 * Evaluates `query` now. An answer that is not an instant vector of
 * samples is a {@link BackendError}, like an unreachable server.
 *
 * @example
 * ```ts
 * import { instantQuery } from "./prometheus.ts";
 *
 * const up = await instantQuery("http://127.0.0.1:9090", 'up{job="mlops-edge"}');
 * ```
 */
export async function instantQuery(base: string, query: string): Promise<Sample[]> {
  const body = await fetchJson<QueryBody>(
    "Prometheus",
    `${base.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(query)}`,
  );
  const bad = (why: string) => new BackendError("Prometheus", `Prometheus ${why}`);
  if (body === null || typeof body !== "object") {
    throw bad("answered something that is not a query result");
  }
  if (body.status !== "success") {
    throw bad(`refused the query: ${String(body.error ?? "no reason given").slice(0, 200)}`);
  }
  const { resultType, result } = body.data ?? {};
  if (resultType !== "vector" || !Array.isArray(result)) {
    throw bad(`answered a ${String(resultType)}, not an instant vector`);
  }
  return result.map((r) => {
    const labels = r?.metric;
    const value = Array.isArray(r?.value) ? Number(r.value[1]) : NaN;
    if (labels === null || typeof labels !== "object" || Number.isNaN(value)) {
      throw bad("answered a sample without labels or value");
    }
    return { labels: labels as Record<string, string>, value };
  });
}
