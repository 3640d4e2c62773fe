/**
 * `POST /notify`: notifications from jobs (`mlops batch --notify`, `mlops
 * notify`, anything that speaks lib/notify/bot.ts's contract), delivered to
 * every alert chat through the same outbox, pacing and retries as alerts.
 *
 * Bearer-authenticated with `ALERT_WEBHOOK_TOKEN` (401 and nothing stored
 * otherwise), the body at most 64 KiB (413) and checked field by field (400
 * naming the field), answered 202 only once the notification and a job per
 * alert chat are committed. A notification whose `id` was queued within the
 * dedup window is answered 202 `duplicate` and not queued again.
 *
 * @module
 */
import type { Handler } from "hono";
import { ApiError, BodyReader, invalidInput } from "../../edge/http.ts";
import {
  BOT_BODY_LIMIT,
  BotPayloadError,
  type Notification,
  parseBotPayload,
} from "../../lib/notify/mod.ts";
import type { BotMetrics } from "../metrics.ts";
import type { Outbox } from "../store/outbox.ts";
import { requireBearer } from "./_bearer.ts";

/** What the notify endpoint needs. */
export interface NotifyOptions {
  token: string;
  outbox: Outbox;
  metrics: BotMetrics;
  chats: readonly number[];
  dedupWindowMs: number;
  /** How long a body may take to arrive (408 after); default 10 s. */
  bodyTimeoutMs?: number;
  /** Called with the chats that got new jobs. */
  queued: (chats: readonly number[]) => void;
}

/**
 * The handler.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * declare const options: NotifyOptions; // token, outbox, metrics, chats, dedupWindowMs, queued
 * const app = new Hono();
 * app.post("/notify", notifyHandler(options));
 * ```
 */
export function notifyHandler(o: NotifyOptions): Handler {
  const count = (outcome: string) => o.metrics.notices.requests.add(1, { outcome });
  const auth = requireBearer(o.token, () => count("unauthorized"));
  const body = new BodyReader({ maxBytes: BOT_BODY_LIMIT, timeoutMs: o.bodyTimeoutMs ?? 10_000 });
  return async function notify(c) {
    auth(c);
    let n: Notification;
    try {
      n = parseBotPayload(await body.json(c));
    } catch (e) {
      count("rejected");
      if (e instanceof BotPayloadError) {
        throw invalidInput([{ path: e.field, message: e.message }]);
      }
      throw e;
    }
    if (o.chats.length === 0) {
      // Accepting it would tell the sender it reached people when it reaches no one.
      count("no_chats");
      throw new ApiError(
        503,
        "NOT_CONFIGURED",
        "the bot has no alert chat to deliver to (TELEGRAM_ALERT_CHATS is empty)",
      );
    }
    o.metrics.notices.received.add(1);
    const result = await o.outbox.enqueueNotice(n, {
      chats: o.chats,
      dedupWindowMs: o.dedupWindowMs,
    });
    count(result.status);
    if (result.status === "duplicate") o.metrics.notices.deduplicated.add(1);
    else o.queued(o.chats);
    // The sender's id is the one it knows; the outbox's only when it sent none.
    return c.json({ ...result, id: n.id ?? result.id }, 202);
  };
}
