/**
 * The buttons under alert messages and silence lists.
 *
 * `callback_data` holds at most 64 bytes, so a button carries a short
 * reference (`s:<ref>:1h`, `a:<ref>`, `u:<ref>`) to what the store keeps
 * under `["btn", ref]`: the alert's identifying label matchers, its thread,
 * and when the buttons expire. `/silences` buttons carry the silence id
 * itself (`x:<uuid>`, 38 bytes).
 *
 * Silence creates an Alertmanager silence (v2 API) with those matchers,
 * `createdBy` the Telegram user and a comment saying where it came from,
 * then edits the message ("silenced by @x until 14:00"). Ack only edits
 * the message. Unsilence expires the silence.
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { formatTime } from "../alerts/format.ts";
import { parseDuration } from "../config.ts";
import type { BotContext } from "../context.ts";
import { renderThread } from "../delivery/render.ts";
import { errorText } from "../log.ts";
import { type ButtonRef, type Thread, THREAD_TTL_MS, threadKeys } from "../store/threads.ts";
import { silencesAnswer } from "./silences.ts";

/** How a Telegram user is named in messages and in `createdBy`. */
export function userName(
  from: { id: number; username?: string; first_name: string; last_name?: string },
) {
  return from.username
    ? `@${from.username}`
    : [from.first_name, from.last_name].filter(Boolean).join(" ");
}

const SILENCE_DURATIONS = new Set(["1h", "4h", "24h"]);

/** The button handlers. */
export function buttons(): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(/^([sau]):([0-9a-z]{1,40})(?::(\w+))?$/, async (ctx) => {
    const [, kind, ref, arg] = ctx.match;
    const action = kind === "s" ? "silence" : kind === "a" ? "ack" : "unsilence";
    const d = ctx.mlops;
    const done = (outcome: string, text: string, alert = false) => {
      d.metrics.buttons.add(1, { action, outcome });
      return ctx.answerCallbackQuery({ text, show_alert: alert });
    };
    const kv = d.outbox.kv;
    const b = await kv.get<ButtonRef>(threadKeys.button(ref));
    const chat = ctx.chat?.id;
    if (!b.value || b.value.expiresAt < Date.now() || b.value.chat !== chat) {
      await done("expired", "These buttons have expired. Use /silences or Alertmanager.", true);
      await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => {});
      return;
    }
    const tkey = threadKeys.thread(b.value.chat, b.value.thread);
    const who = userName(ctx.from);
    const now = Date.now();
    const fmt = {
      fullAlerts: d.config.fullAlerts,
      timeZone: d.config.timeZone,
      runbookUrl: d.config.runbookUrl,
      now,
    };

    // Side effect first (Alertmanager), then record it on the thread.
    let change: (t: Thread) => Thread;
    let toast: string;
    if (action === "silence") {
      if (!SILENCE_DURATIONS.has(arg ?? "")) return await done("bad", "Unknown duration.");
      if (!d.alertmanager) {
        return await done(
          "backend_down",
          "Alertmanager is not configured (ALERTMANAGER_URL).",
          true,
        );
      }
      const until = now + parseDuration(arg!)!;
      let id: string;
      try {
        id = await d.alertmanager.createSilence({
          matchers: b.value.matchers,
          startsAt: new Date(now),
          endsAt: new Date(until),
          createdBy: `${who} (telegram ${ctx.from.id})`,
          comment:
            `Silenced for ${arg} from Telegram via the mlops bot (alert ${b.value.alertname})`,
        });
      } catch (e) {
        return await done("backend_down", errorText(e).slice(0, 190), true);
      }
      const untilText = formatTime(until, d.config.timeZone, now);
      toast = `Silenced for ${arg}, until ${untilText}.`;
      change = (t) => ({
        ...t,
        silence: { id, until },
        notes: [...t.notes, `🔕 silenced by ${escapeHtml(who)} until ${escapeHtml(untilText)}`],
      });
    } else if (action === "ack") {
      toast = "Acknowledged.";
      change = (t) => ({ ...t, notes: [...t.notes, `👀 acked by ${escapeHtml(who)}`] });
    } else {
      const cur = (await kv.get<Thread>(tkey)).value;
      if (!cur?.silence) return await done("bad", "No silence to remove.");
      if (!d.alertmanager) {
        return await done(
          "backend_down",
          "Alertmanager is not configured (ALERTMANAGER_URL).",
          true,
        );
      }
      try {
        await d.alertmanager.expireSilence(cur.silence.id);
      } catch (e) {
        return await done("backend_down", errorText(e).slice(0, 190), true);
      }
      toast = "Silence removed.";
      change = (t) => ({
        ...t,
        silence: null,
        notes: [...t.notes, `🔔 unsilenced by ${escapeHtml(who)}`],
      });
    }

    for (let attempt = 0; attempt < 5; attempt++) {
      const t = await kv.get<Thread>(tkey);
      if (!t.value) break;
      const next = change(t.value);
      const ok = await kv.atomic().check(t).set(tkey, next, { expireIn: THREAD_TTL_MS }).commit();
      if (!ok.ok) continue;
      const stored = await d.outbox.load(next.nid);
      if (stored?.kind === "alerts" && next.messageIds.length > 0) {
        const { text, keyboard } = renderThread(next, stored, fmt);
        await ctx.api.editMessageText(next.chat, next.messageIds[0], text, {
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
          reply_markup: { inline_keyboard: keyboard },
        }).catch((e) => d.log(`could not update the message after ${action}: ${errorText(e)}`));
      }
      break;
    }
    await done("ok", toast);
  });

  // From /silences: expire by id, then show the list again.
  c.callbackQuery(/^x:([0-9a-f-]{36})$/, async (ctx) => {
    const d = ctx.mlops;
    const done = (outcome: string, text: string, alert = false) => {
      d.metrics.buttons.add(1, { action: "unsilence", outcome });
      return ctx.answerCallbackQuery({ text, show_alert: alert });
    };
    if (!d.alertmanager) {
      return await done("backend_down", "Alertmanager is not configured (ALERTMANAGER_URL).", true);
    }
    try {
      await d.alertmanager.expireSilence(ctx.match[1]);
    } catch (e) {
      return await done("backend_down", errorText(e).slice(0, 190), true);
    }
    await done("ok", "Silence removed.");
    const list = await silencesAnswer(ctx).catch(() => null);
    if (list) {
      await ctx.editMessageText(list.html.slice(0, 4096), {
        parse_mode: "HTML",
        reply_markup: { inline_keyboard: list.keyboard ?? [] },
      }).catch(() => {});
    }
  });

  c.on("callback_query:data", async (ctx) => {
    ctx.mlops.metrics.buttons.add(1, { action: "unknown", outcome: "expired" });
    await ctx.answerCallbackQuery({ text: "This button no longer works.", show_alert: true });
  });
  return c;
}
