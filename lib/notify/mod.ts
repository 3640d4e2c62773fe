/**
 * Notifications for people: a batch job's summary, a failed deploy. One
 * {@link Notification} goes to every configured channel: the mlops bot's
 * notify endpoint when `BOT_URL` is set (else Telegram's Bot API directly,
 * with `TELEGRAM_BOT_TOKEN` and `TELEGRAM_CHAT_ID`), and a Slack incoming
 * webhook when `SLACK_WEBHOOK_URL` is set.
 *
 * | Variable | Meaning |
 * |---|---|
 * | `BOT_URL`, `ALERT_WEBHOOK_TOKEN` | the bot's base URL and the bearer token it checks |
 * | `TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID` | direct to Telegram (when no `BOT_URL`) |
 * | `TELEGRAM_API_ROOT` | Bot API server (default `https://api.telegram.org`) |
 * | `SLACK_WEBHOOK_URL` | a Slack incoming webhook |
 *
 * @example
 * ```ts
 * import { channelsFromEnv, notify } from "./mod.ts";
 *
 * const results = await notify(
 *   { title: "Batch inference: 7043 rows", text: "No 73%, Yes 27%", severity: "info" },
 *   channelsFromEnv((k) => Deno.env.get(k)),
 * );
 * for (const r of results) if (!r.ok) console.error(r.error);
 * ```
 *
 * @module
 */
import { UserError } from "../errors.ts";
import { botChannel } from "./bot.ts";
import type { PostPolicy } from "./_post.ts";
import { slackChannel } from "./slack.ts";
import { telegramChannel } from "./telegram.ts";
import type { Channel, Notification } from "./types.ts";

export type { Channel, Fetch, Notification, Severity } from "./types.ts";
export { SEVERITIES } from "./types.ts";
export {
  BOT_BODY_LIMIT,
  BOT_ID_LIMIT,
  botChannel,
  botPayload,
  BotPayloadError,
  parseBotPayload,
} from "./bot.ts";
export { MESSAGE_LIMIT, telegramChannel, telegramHtml } from "./telegram.ts";
export { escapeSlack, slackChannel, slackPayload } from "./slack.ts";
export { escapeHtml } from "./html.ts";

/** Reads one environment variable; `(k) => Deno.env.get(k)` fits. */
export type EnvReader = (name: string) => string | undefined;

/**
 * The channels the environment configures (possibly none). A half-configured
 * channel (a token without its chat, a URL that is not one) is an error
 * naming the variable, never its value.
 */
export function channelsFromEnv(env: EnvReader, policy: PostPolicy = {}): Channel[] {
  const get = (k: string) => env(k)?.trim() || undefined;
  const channels: Channel[] = [];
  const botUrl = get("BOT_URL");
  const tgToken = get("TELEGRAM_BOT_TOKEN"), tgChat = get("TELEGRAM_CHAT_ID");
  if (botUrl) {
    checkUrl("BOT_URL", botUrl);
    const token = get("ALERT_WEBHOOK_TOKEN");
    if (!token) throw configError("BOT_URL is set but ALERT_WEBHOOK_TOKEN is not");
    channels.push(botChannel({ ...policy, url: botUrl, token }));
  } else if (tgToken || tgChat) {
    if (!tgToken) throw configError("TELEGRAM_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not");
    if (!tgChat) throw configError("TELEGRAM_BOT_TOKEN is set but TELEGRAM_CHAT_ID is not");
    const apiRoot = get("TELEGRAM_API_ROOT");
    if (apiRoot) checkUrl("TELEGRAM_API_ROOT", apiRoot);
    channels.push(telegramChannel({ ...policy, token: tgToken, chatId: tgChat, apiRoot }));
  }
  const slack = get("SLACK_WEBHOOK_URL");
  if (slack) {
    checkUrl("SLACK_WEBHOOK_URL", slack);
    channels.push(slackChannel({ ...policy, webhookUrl: slack }));
  }
  return channels;
}

function checkUrl(name: string, value: string): void {
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) {
    throw configError(`${name} is not an http(s) URL`);
  }
}

function configError(message: string): UserError {
  return new UserError(`notify: ${message}`, { code: "BAD_CONFIG" });
}

/** What happened on one channel. */
export interface Delivery {
  channel: string;
  ok: boolean;
  /** One line, when not ok. */
  error?: string;
}

/**
 * Sends `n` to every channel, all at once; never throws (each failure is a
 * {@link Delivery} with its error). Gives `n` an id when it has none, the
 * same on every channel.
 */
export async function notify(n: Notification, channels: readonly Channel[]): Promise<Delivery[]> {
  const withId = { ...n, id: n.id ?? crypto.randomUUID() };
  return await Promise.all(channels.map(async (c): Promise<Delivery> => {
    try {
      await c.send(withId);
      return { channel: c.name, ok: true };
    } catch (e) {
      return { channel: c.name, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }));
}
