/**
 * `/drift`: the features whose recent distribution moved furthest from
 * training (population stability index), from Prometheus or the edge.
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { edgeStatus } from "../backends/edge.ts";
import { notConfigured } from "../../lib/backend_http.ts";
import { instantQuery } from "../../lib/prometheus.ts";
import type { BotContext } from "../context.ts";
import { answer, num } from "./_reply.ts";

const TOP = 5;

function verdict(psi: number): string {
  return psi > 0.3 ? "🔴" : psi > 0.2 ? "🟠" : psi > 0.1 ? "🟡" : "🟢";
}

function render(rows: { name: string; psi: number }[], source: string): string {
  if (rows.length === 0) {
    return `📈 <b>Drift</b> (${source}): no drift measured yet (too few samples)`;
  }
  return [
    `📈 <b>Most drifted features</b> (PSI, ${source})`,
    ...rows.map((r) => `${verdict(r.psi)} <code>${escapeHtml(r.name)}</code> ${num(r.psi)}`),
    "<i>PSI above 0.2 is a significant shift.</i>",
  ].join("\n");
}

/** `/drift`. */
export function drift(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(
    "drift",
    answer("drift", async (ctx) => {
      const { prometheusUrl, edgeUrl } = ctx.mlops.config;
      if (prometheusUrl) {
        // PSI over the last hour of every instance, for features with enough
        // samples to mean something (the guard FeatureDrift applies).
        const rows = await instantQuery(
          prometheusUrl,
          `topk(${TOP}, job_feature:mlops_drift_psi:1h and on (job, feature) ` +
            "(job_feature:mlops_drift_samples:increase1h >= job_feature:mlops_drift_min_samples:count))",
        );
        return render(
          rows.map((r) => ({ name: r.labels.feature ?? "?", psi: r.value }))
            .sort((a, b) => b.psi - a.psi),
          "Prometheus, last hour",
        );
      }
      if (edgeUrl) {
        const s = await edgeStatus(edgeUrl, ctx.mlops.config.edgeApiKey);
        const rows = s.drift.features.flatMap((f) =>
          f.psi === null ? [] : [{ name: f.name, psi: f.psi }]
        )
          .sort((a, b) => b.psi - a.psi).slice(0, TOP);
        return render(rows, `edge, last ${s.drift.window} rows`);
      }
      throw notConfigured("Prometheus", "PROMETHEUS_URL or EDGE_URL");
    }),
  );
  return c;
}
