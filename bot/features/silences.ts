/**
 * `/silences`: Alertmanager's active silences, each with an Unsilence
 * button.
 *
 * @module
 */
import { Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { escapeHtml } from "../alerts/html.ts";
import { formatTime } from "../alerts/format.ts";
import { notConfigured } from "../../lib/backend_http.ts";
import type { BotContext } from "../context.ts";
import { answer } from "./_reply.ts";

const MAX = 20;

/** The list and its buttons. */
export async function silencesAnswer(
  ctx: BotContext,
): Promise<{ html: string; keyboard?: InlineKeyboardButton[][] }> {
  const am = ctx.mlops.alertmanager;
  if (!am) throw notConfigured("Alertmanager", "ALERTMANAGER_URL");
  const tz = ctx.mlops.config.timeZone;
  const active = (await am.silences()).filter((s) => s.status.state === "active")
    .sort((a, b) => a.endsAt.localeCompare(b.endsAt));
  if (active.length === 0) return { html: "🔔 No active silences." };
  const lines = [`🔕 <b>${active.length} active silence${active.length === 1 ? "" : "s"}</b>`];
  const keyboard: InlineKeyboardButton[][] = [];
  active.slice(0, MAX).forEach((s, i) => {
    const matchers = s.matchers.map((m) =>
      `${m.name}${m.isEqual === false ? "!" : ""}${m.isRegex ? "=~" : "="}"${m.value}"`
    ).join(", ");
    lines.push("");
    lines.push(`${i + 1}. <code>${escapeHtml(matchers)}</code>`);
    lines.push(
      `until ${escapeHtml(formatTime(Date.parse(s.endsAt), tz))} · by ${escapeHtml(s.createdBy)}`,
    );
    if (s.comment) lines.push(`<i>${escapeHtml(s.comment)}</i>`);
    keyboard.push([{ text: `🔔 Unsilence ${i + 1}`, callback_data: `x:${s.id}` }]);
  });
  if (active.length > MAX) lines.push("", `…and ${active.length - MAX} more in Alertmanager`);
  return { html: lines.join("\n"), keyboard };
}

/** `/silences`. */
export function silences(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("silences", answer("silences", silencesAnswer));
  return c;
}
