/**
 * `/alerts`: what is firing now (Alertmanager's active, unsilenced alerts)
 * and what the bot could not deliver (the dead-letter list).
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { formatDuration, formatTime } from "../alerts/format.ts";
import { BackendError } from "../../lib/backend_http.ts";
import type { BotContext } from "../context.ts";
import { answer } from "./_reply.ts";

const MAX = 25;
const ICONS: Record<string, string> = { critical: "🔥", warning: "⚠️", info: "ℹ️" };

/** `/alerts`. */
export function alerts(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(
    "alerts",
    answer("alerts", async (ctx) => {
      const d = ctx.mlops;
      const tz = d.config.timeZone;
      const lines: string[] = [];
      if (!d.alertmanager) {
        lines.push("⚠️ Alertmanager is not configured (set ALERTMANAGER_URL)");
      } else {
        try {
          const active = (await d.alertmanager.alerts())
            .filter((a) => a.labels.alertname !== d.config.watchdogName)
            .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
          lines.push(
            active.length === 0
              ? "✅ <b>No active alerts.</b>"
              : `<b>${active.length} active alert${active.length === 1 ? "" : "s"}</b>`,
          );
          for (const a of active.slice(0, MAX)) {
            const sev = a.labels.severity ?? "";
            const start = Date.parse(a.startsAt);
            const where = a.labels.instance ?? a.labels.feature ?? a.labels.route ?? "";
            lines.push(
              `${ICONS[sev] ?? "🔔"} <b>${escapeHtml(a.labels.alertname ?? "?")}</b>` +
                (sev ? ` · ${escapeHtml(sev)}` : "") +
                (where ? ` · <code>${escapeHtml(where)}</code>` : "") +
                ` · since ${escapeHtml(formatTime(start, tz))} (${
                  formatDuration(Date.now() - start)
                })`,
            );
            if (a.annotations.summary) lines.push(`   ${escapeHtml(a.annotations.summary)}`);
          }
          if (active.length > MAX) lines.push(`…and ${active.length - MAX} more`);
        } catch (e) {
          if (!(e instanceof BackendError)) throw e;
          lines.push(`⚠️ ${escapeHtml(e.message)}`);
        }
      }
      const dead = await d.outbox.deadLetters(10);
      const { dead: total } = await d.outbox.stats();
      lines.push("");
      if (total === 0) lines.push("📭 No undeliverable notifications.");
      else {
        lines.push(
          `📪 <b>${total} undeliverable notification${total === 1 ? "" : "s"}</b> (dead letters):`,
        );
        for (const x of dead) {
          lines.push(
            `• ${escapeHtml(x.title)} → chat <code>${x.chat}</code>, ${
              escapeHtml(formatTime(x.at, tz))
            }: ${escapeHtml(x.reason.slice(0, 200))}`,
          );
        }
      }
      return lines.join("\n");
    }),
  );
  return c;
}
