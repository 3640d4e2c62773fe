/**
 * The mlops Telegram bot's notify endpoint: the bot formats, paces and
 * retries delivery to its alert chats, so jobs hand notifications to it
 * instead of talking to Telegram themselves.
 *
 * ## The contract
 *
 * ```http
 * POST $BOT_URL/notify
 * Authorization: Bearer $ALERT_WEBHOOK_TOKEN
 * Content-Type: application/json
 *
 * { "id": "…", "title": "…", "text": "…", "severity": "info" | "warning" | "critical", "url": "https://…" }
 * ```
 *
 * - `title` (one line) and `text` are plain text: the bot escapes them.
 *   `url` is optional, an absolute http(s) URL. `id` is optional (1-256
 *   characters): a sender's stable id for this notification; a notification
 *   whose `id` the bot queued within its dedup window (`BOT_DEDUP_WINDOW`,
 *   default 1 h) is answered 2xx again and not queued again, whatever its
 *   content (senders retry after a lost answer). Without an `id`, every
 *   request is a new notification. Other fields are ignored; `null` for an
 *   optional field means absent.
 * - **2xx** (202, `{"status": "queued" | "duplicate", "id": …}`) means the
 *   notification is durably queued (it survives a bot restart, even
 *   `kill -9`) and will be delivered to every alert chat.
 * - **401** for a missing or wrong token, **400** for a body that breaks the
 *   rules above (one JSON error naming the field: `{"error_code":
 *   "INVALID_INPUT", "message": "severity: …", "details": [{"path":
 *   "severity", …}]}`), **413** for a body over 64 KiB, **429/5xx** when the
 *   bot cannot queue now (503 when it has no alert chat): senders retry those.
 *
 * The bot implements it in `bot/http/notify.ts` with {@link parseBotPayload}
 * below, so both sides read the contract from this file.
 *
 * @module
 */
import { postJson, type PostPolicy } from "./_post.ts";
import { type Channel, type Notification, SEVERITIES, type Severity } from "./types.ts";

/** The largest body the bot accepts (413 above). */
export const BOT_BODY_LIMIT = 64 * 1024;

/** The longest `id` the bot accepts. */
export const BOT_ID_LIMIT = 256;

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
  if (n.url && isHttpUrl(n.url)) body.url = n.url;
  return body;
}

/** Whether `s` is an absolute http(s) URL (the only links either side sends). */
function isHttpUrl(s: string): boolean {
  return URL.canParse(s) && /^https?:$/.test(new URL(s).protocol);
}

/** A body that breaks the contract; `field` names what is wrong (`""`: the body itself). */
export class BotPayloadError extends Error {
  override name = "BotPayloadError";
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * The receiving side of the contract: checks a parsed JSON body and returns
 * the notification, or throws a {@link BotPayloadError} naming the first
 * field at fault. Fields the contract does not name are ignored (a newer
 * sender may add some); `null` for an optional field is the same as absent.
 *
 * @example
 * ```ts
 * import { parseBotPayload } from "./bot.ts";
 *
 * parseBotPayload({ title: "Batch done", text: "7043 rows", severity: "info" }).severity; // "info"
 * ```
 */
export function parseBotPayload(body: unknown): Notification {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BotPayloadError("", "body must be a JSON object: {title, text, severity}");
  }
  const b = body as Record<string, unknown>;
  if (typeof b.title !== "string" || b.title.trim() === "" || /[\r\n]/.test(b.title)) {
    throw new BotPayloadError("title", "must be one non-empty line of text");
  }
  if (typeof b.text !== "string") {
    throw new BotPayloadError("text", "must be a string (plain text, may be empty)");
  }
  if (!(SEVERITIES as readonly unknown[]).includes(b.severity)) {
    throw new BotPayloadError("severity", `must be one of ${SEVERITIES.join(", ")}`);
  }
  const n: Notification = { title: b.title, text: b.text, severity: b.severity as Severity };
  if (b.url !== undefined && b.url !== null) {
    if (typeof b.url !== "string" || !isHttpUrl(b.url)) {
      throw new BotPayloadError("url", "must be an absolute http(s) URL");
    }
    n.url = b.url;
  }
  if (b.id !== undefined && b.id !== null) {
    if (typeof b.id !== "string" || b.id === "" || b.id.length > BOT_ID_LIMIT) {
      throw new BotPayloadError("id", `must be a string of 1-${BOT_ID_LIMIT} characters`);
    }
    n.id = b.id;
  }
  return n;
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
