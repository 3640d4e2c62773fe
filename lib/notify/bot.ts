/**
 * The mlops Telegram bot's notify endpoint: the bot formats, paces and
 * retries delivery to its alert chats, so jobs hand notifications to it
 * instead of talking to Telegram themselves.
 *
 * ## The contract
 *
 * ```
 * POST $BOT_URL/notify
 * Authorization: Bearer $ALERT_WEBHOOK_TOKEN
 * Content-Type: application/json
 *
 * { "id": "…", "title": "…", "text": "…", "severity": "info" | "warning" | "critical", "url": "https://…" }
 * ```
 *
 * - `title` (one line) and `text` are plain text: the bot escapes them.
 *   `url` is optional, http(s) only. `id` is optional: a sender's stable id
 *   for this notification; a notification whose `id` the bot has already
 *   queued is answered 2xx again and delivered once (senders retry after a
 *   lost answer).
 * - **2xx** means the notification is durably queued (it survives a bot
 *   restart) and will be delivered to the alert chats.
 * - **401** for a missing or wrong token, **400** for a body that breaks the
 *   rules above (one JSON error naming the field), **413** for a body over
 *   64 KiB, **429/5xx** when the bot cannot queue now: senders retry those.
 *
 * @module
 */
import { postJson, type PostPolicy } from "./_post.ts";
import type { Channel, Notification } from "./types.ts";

/** Where the bot listens and the token it checks. */
export interface BotOptions extends PostPolicy {
  /** The bot's base URL (`BOT_URL`), e.g. `https://mlops-bot.example.deno.net`. */
  url: string;
  /** `ALERT_WEBHOOK_TOKEN`, the bearer token the bot's intake checks. */
  token: string;
}

/** The request body the contract above describes. */
export function botPayload(n: Notification): Record<string, string> {
  const body: Record<string, string> = { title: n.title, text: n.text, severity: n.severity };
  if (n.id) body.id = n.id;
  if (n.url && /^https?:\/\//i.test(n.url)) body.url = n.url;
  return body;
}

/**
 * A channel that hands notifications to the bot.
 *
 * @example
 * ```ts
 * import { botChannel } from "./bot.ts";
 *
 * await botChannel({ url: "http://127.0.0.1:8081", token: "s3cret-token-0123456789" })
 *   .send({ title: "Retrain done", text: "champion v4", severity: "info" });
 * ```
 */
export function botChannel(o: BotOptions): Channel {
  const endpoint = `${o.url.replace(/\/+$/, "")}/notify`;
  return {
    name: "bot",
    async send(n: Notification) {
      // The bot queues each id once, so even a request that may have arrived is retried.
      const answer = await postJson("bot", endpoint, botPayload(n), {
        authorization: `Bearer ${o.token}`,
      }, { ...o, idempotent: true });
      if (answer.status >= 200 && answer.status < 300) return;
      throw new Error(`bot: ${endpoint} refused (${answer.status}): ${answer.text.slice(0, 200)}`);
    },
  };
}
