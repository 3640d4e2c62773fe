/**
 * Telegram, straight to the Bot API: `sendMessage` to one chat, in HTML
 * parse mode, within Telegram's 4,096-character limit.
 *
 * @module
 */
import { postJson, type PostPolicy } from "./_post.ts";
import { escapeHtml, escapeWithin } from "./html.ts";
import type { Channel, Notification, Severity } from "./types.ts";

/** Telegram's limit for a message text (after entity parsing; we count the HTML, never less). */
export const MESSAGE_LIMIT = 4096;

/** The Bot API server; `TELEGRAM_API_ROOT` overrides it (a local Bot API server, a test). */
export const DEFAULT_API_ROOT = "https://api.telegram.org";

const EMOJI: Record<Severity, string> = { info: "ℹ️", warning: "⚠️", critical: "🚨" };

/**
 * The message text: severity mark and bold title, the text, a link. Every
 * part is escaped; the text is cut (with `…`) so the whole fits the limit.
 *
 * @example
 * ```ts
 * import { telegramHtml } from "./telegram.ts";
 *
 * telegramHtml({ title: "Batch <ok>", text: "7043 rows", severity: "info" });
 * // "ℹ️ <b>Batch &lt;ok&gt;</b>\n\n7043 rows"
 * ```
 */
export function telegramHtml(n: Notification, limit = MESSAGE_LIMIT): string {
  const head = `${EMOJI[n.severity]} <b>${escapeWithin(n.title, 256)}</b>`;
  const link = n.url && /^https?:\/\//i.test(n.url)
    ? `\n\n<a href="${escapeHtml(n.url)}">Details</a>`
    : "";
  // A link too long to fit is dropped rather than cut (a cut URL leads nowhere).
  const tail = head.length + link.length + 2 < limit ? link : "";
  const room = limit - head.length - tail.length - 2;
  const text = n.text.trim() ? `\n\n${escapeWithin(n.text.trim(), room)}` : "";
  return head + text + tail;
}

/** Where and how to send. */
export interface TelegramOptions extends PostPolicy {
  /** From @BotFather. */
  token: string;
  /** A chat id (`-1001234567890`) or `@channelname`. */
  chatId: string;
  apiRoot?: string;
}

/**
 * A channel that sends to one Telegram chat.
 *
 * @example
 * ```ts
 * import { telegramChannel } from "./telegram.ts";
 *
 * const tg = telegramChannel({ token: "123456:ABC...", chatId: "-1001234567890" });
 * await tg.send({ title: "Retrain done", text: "champion v4", severity: "info" });
 * ```
 */
export function telegramChannel(o: TelegramOptions): Channel {
  const root = (o.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, "");
  const chatId = /^-?\d{1,15}$/.test(o.chatId) ? Number(o.chatId) : o.chatId;
  return {
    name: "telegram",
    async send(n: Notification) {
      const answer = await postJson(
        "telegram",
        `${root}/bot${o.token}/sendMessage`,
        {
          chat_id: chatId,
          text: telegramHtml(n),
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
        },
        {},
        o,
      );
      const body = answer.body as { ok?: boolean; description?: string } | string;
      if (answer.status === 200 && typeof body === "object" && body.ok === true) return;
      const why = typeof body === "object" && body.description
        ? body.description
        : answer.text.slice(0, 200);
      throw new Error(`telegram: sendMessage refused (${answer.status}): ${why}`);
    },
  };
}
