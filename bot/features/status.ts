/**
 * `/status`: is the edge up, which model does it serve, and how is it doing
 * — request rate, error ratio, p99 latency, live accuracy. From Prometheus
 * (the recording rules in `monitoring/rules/`), or from the edge's own
 * operator view (`/v1/ops`, one instance) when no Prometheus is configured.
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { formatDuration } from "../alerts/format.ts";
import { edgeStatus } from "../backends/edge.ts";
import { notConfigured } from "../../lib/backend_http.ts";
import { instantQuery, type Sample } from "../../lib/prometheus.ts";
import type { BotContext } from "../context.ts";
import { answer, num, pct } from "./_reply.ts";

const first = (s: Sample[]) => (s.length > 0 ? s[0].value : null);

/** The status text from Prometheus. */
export async function statusFromPrometheus(base: string): Promise<string> {
  const [up, info, rps, errors, p99, acc, n] = await Promise.all([
    instantQuery(base, 'up{job="mlops-edge"}'),
    instantQuery(base, "mlops_model_info"),
    instantQuery(base, "sum(job:mlops_scoring_requests:rate5m)"),
    instantQuery(base, "max(job:mlops_http_errors:ratio_rate5m)"),
    instantQuery(
      base,
      'max(job_route:mlops_http_request_duration_seconds:p99_5m{route=~"/v1/predict|/invocations"})',
    ),
    // The champion's: a challenger's answers (model_role="challenger") are
    // compared on the dashboards, not mixed into what clients get.
    instantQuery(base, 'min(job:mlops_live_accuracy:ratio_1h{model_role!="challenger"})'),
    instantQuery(base, 'sum(job:mlops_feedback:increase1h{model_role!="challenger"})'),
  ]);
  const lines = ["📊 <b>Edge status</b> (Prometheus)"];
  if (up.length === 0) lines.push("❔ Prometheus has no edge target (job mlops-edge)");
  for (const s of up) {
    lines.push(
      `${s.value === 1 ? "✅ up" : "🔴 DOWN"}: <code>${
        escapeHtml(s.labels.instance ?? "?")
      }</code>`,
    );
  }
  for (const s of info) {
    lines.push(
      `${s.labels.model_role === "challenger" ? "Challenger" : "Model"}: <b>${
        escapeHtml(s.labels.name ?? "?")
      }</b> version ${escapeHtml(s.labels.version ?? "?")}`,
    );
  }
  if (info.length === 0) lines.push("Model: none loaded");
  const p = first(p99);
  lines.push(
    `Requests: ${num(first(rps))}/s · errors ${pct(first(errors))} · p99 ${
      p === null || !Number.isFinite(p) ? "n/a" : `${num(p * 1000)} ms`
    }`,
  );
  lines.push(`Live accuracy: ${pct(first(acc))} (${num(first(n), 6)} labelled in the last hour)`);
  return lines.join("\n");
}

/** The status text from the edge itself. */
export async function statusFromEdge(base: string, apiKey?: string | null): Promise<string> {
  const s = await edgeStatus(base, apiKey);
  const m = s.model;
  const lines = ["📊 <b>Edge status</b> (one edge instance, /v1/ops)"];
  lines.push(`✅ up for ${formatDuration(s.uptime_seconds * 1000)}`);
  lines.push(
    m.status === "ready"
      ? `Model: <b>${escapeHtml(m.name ?? "?")}</b> version ${
        escapeHtml(String(m.version ?? "unregistered"))
      }`
      : `Model: ${escapeHtml(m.status)}${m.reason ? ` (${escapeHtml(m.reason)})` : ""}`,
  );
  const t = s.traffic;
  lines.push(
    `Requests: ${num(t.rps)}/s · errors ${pct(t.error_rate)} · p99 ${
      t.latency_ms.p99 === null ? "n/a" : `${num(t.latency_ms.p99)} ms`
    } (last ${t.window_seconds} s)`,
  );
  lines.push(`Live accuracy: ${pct(s.live_accuracy.accuracy)} (${s.live_accuracy.n} labelled)`);
  return lines.join("\n");
}

/** `/status`. */
export function status(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(
    "status",
    answer("status", (ctx) => {
      const { prometheusUrl, edgeUrl } = ctx.mlops.config;
      if (prometheusUrl) return statusFromPrometheus(prometheusUrl);
      if (edgeUrl) return statusFromEdge(edgeUrl, ctx.mlops.config.edgeApiKey);
      throw notConfigured("Prometheus", "PROMETHEUS_URL or EDGE_URL");
    }),
  );
  return c;
}
