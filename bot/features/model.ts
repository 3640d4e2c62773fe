/**
 * `/model`: the registered model in MLflow — its versions, the champion,
 * the champion's metrics, and when, by whom and why it was promoted (the
 * tags `mlops promote` writes).
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { formatTime } from "../alerts/format.ts";
import { edgeStatus } from "../backends/edge.ts";
import type { BotContext } from "../context.ts";
import { PROMOTE_TAGS } from "../../lib/registry/mod.ts";
import { answer, BadInput, num } from "./_reply.ts";

const SHOWN_VERSIONS = 5;

async function modelName(ctx: BotContext): Promise<string> {
  const { modelName, edgeUrl } = ctx.mlops.config;
  if (modelName) return modelName;
  if (edgeUrl) {
    const s = await edgeStatus(edgeUrl, ctx.mlops.config.edgeApiKey).catch(() => null);
    if (s?.model.name) return s.model.name;
  }
  throw new BadInput("which model? set MODEL_NAME (or EDGE_URL, to ask the edge what it serves)");
}

/** `/model`. */
export function model(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(
    "model",
    answer("model", async (ctx) => {
      const d = ctx.mlops;
      const tz = d.config.timeZone;
      const name = await modelName(ctx);
      const store = d.mlflow();
      const registered = await store.getRegisteredModel(name);
      if (!registered) {
        return `No registered model <b>${escapeHtml(name)}</b> in MLflow (${
          escapeHtml(store.uri)
        }).`;
      }
      const versions = (await store.searchModelVersions({ name }))
        .sort((a, b) => Number(b.version) - Number(a.version));
      const lines = [
        `🧠 <b>${escapeHtml(name)}</b>: ${versions.length} version${
          versions.length === 1 ? "" : "s"
        }`,
      ];
      const champ = registered.aliases.champion;
      if (champ) {
        const v = await store.getModelVersion(name, champ);
        lines.push(`🏆 champion: <b>version ${escapeHtml(v.version)}</b>`);
        const at = v.tags[PROMOTE_TAGS.at];
        const by = v.tags[PROMOTE_TAGS.by];
        const why = v.tags[PROMOTE_TAGS.reason];
        if (at || by) {
          lines.push(
            `promoted${at ? ` ${escapeHtml(formatTime(Date.parse(at), tz))}` : ""}${
              by ? ` by ${escapeHtml(by)}` : ""
            }`,
          );
        }
        if (why) lines.push(`<i>${escapeHtml(why)}</i>`);
        if (v.runId) {
          const run = await store.getRun(v.runId).catch(() => null);
          const metrics = run?.data.metrics ?? [];
          if (metrics.length > 0) {
            lines.push(
              metrics.slice(0, 8).map((m) => `${escapeHtml(m.key)} <b>${num(m.value, 4)}</b>`).join(
                " · ",
              ),
            );
          }
        }
      } else lines.push("No champion alias yet: run <code>mlops promote</code>.");
      lines.push("");
      for (const v of versions.slice(0, SHOWN_VERSIONS)) {
        const aliases = v.aliases.length ? ` [${escapeHtml(v.aliases.join(", "))}]` : "";
        lines.push(
          `v${escapeHtml(v.version)}${aliases} · registered ${
            escapeHtml(formatTime(v.creationTimestamp, tz))
          }${v.runId ? ` · run <code>${escapeHtml(v.runId.slice(0, 8))}</code>` : ""}`,
        );
      }
      return lines.join("\n");
    }),
  );
  return c;
}
