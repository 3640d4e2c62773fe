/**
 * `/runs`: the latest training runs across experiments, with their key
 * metric (accuracy when logged, else the first metric).
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { formatTime } from "../alerts/format.ts";
import type { BotContext } from "../context.ts";
import { answer, num } from "./_reply.ts";

const SHOWN = 8;
const KEY_METRICS = ["accuracy", "cv_accuracy_mean", "roc_auc", "f1"];

/** `/runs`. */
export function runs(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(
    "runs",
    answer("runs", async (ctx) => {
      const store = ctx.mlops.mlflow();
      const tz = ctx.mlops.config.timeZone;
      const experiments = await store.listExperiments();
      const names = new Map(experiments.map((e) => [e.experimentId, e.name]));
      const all = experiments.length === 0
        ? []
        : await store.searchRuns(experiments.map((e) => e.experimentId));
      const latest = all.sort((a, b) => b.info.startTime - a.info.startTime).slice(0, SHOWN);
      if (latest.length === 0) return `No runs in MLflow (${escapeHtml(store.uri)}) yet.`;
      const lines = [`🏃 <b>Latest runs</b> (${escapeHtml(store.uri)})`];
      for (const r of latest) {
        const m = r.data.metrics;
        const key = KEY_METRICS.map((k) => m.find((x) => x.key === k)).find(Boolean) ?? m[0];
        const icon = r.info.status === "FINISHED"
          ? "✅"
          : r.info.status === "RUNNING"
          ? "⏳"
          : "❌";
        lines.push(
          `${icon} <b>${escapeHtml(r.info.runName || r.info.runId.slice(0, 8))}</b> · ${
            escapeHtml(names.get(r.info.experimentId) ?? "?")
          } · ${escapeHtml(formatTime(r.info.startTime, tz))}` +
            (key ? ` · ${escapeHtml(key.key)} <b>${num(key.value, 4)}</b>` : ""),
        );
      }
      return lines.join("\n");
    }),
  );
  return c;
}
