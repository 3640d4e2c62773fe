/**
 * `POST /alerts`: Alertmanager's webhook. Bearer-authenticated with
 * `ALERT_WEBHOOK_TOKEN` (compared in constant time; 401 and nothing stored
 * otherwise), the body checked as webhook format version 4 (400 with the
 * first field at fault), and answered 200 only once the notification is
 * committed to the outbox. The Watchdog is recorded, not forwarded.
 *
 * @module
 */
import type { Handler } from "hono";
import { ApiError, BodyReader } from "../../edge/http.ts";
import { type Notification, parseNotification, PayloadError } from "../alerts/payload.ts";
import type { BotMetrics } from "../metrics.ts";
import type { Outbox } from "../store/outbox.ts";
import type { Watchdog } from "../watchdog.ts";
import { requireBearer } from "./_bearer.ts";

/** What the intake needs. */
export interface IntakeOptions {
  token: string;
  outbox: Outbox;
  watchdog: Watchdog | null;
  watchdogName: string;
  metrics: BotMetrics;
  chats: readonly number[];
  dedupWindowMs: number;
  fullAlerts: number;
  maxBodyBytes?: number;
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
 * declare const options: IntakeOptions; // token, outbox, metrics, chats, …
 * const app = new Hono();
 * app.post("/alerts", intakeHandler(options));
 * ```
 */
export function intakeHandler(o: IntakeOptions): Handler {
  const auth = requireBearer(o.token, () => o.metrics.intake.add(1, { outcome: "unauthorized" }));
  // The edge's reader: memory follows what a client sent, not what it declared.
  const body = new BodyReader({
    maxBytes: o.maxBodyBytes ?? 8 << 20,
    timeoutMs: o.bodyTimeoutMs ?? 10_000,
  });
  return async function intake(c) {
    auth(c);
    let n: Notification;
    try {
      n = parseNotification(await body.json(c));
    } catch (e) {
      o.metrics.intake.add(1, { outcome: "rejected" });
      if (e instanceof PayloadError) throw new ApiError(400, "INVALID_INPUT", e.message);
      throw e;
    }
    const watchdog = n.alerts.filter((a) => a.labels.alertname === o.watchdogName);
    if (watchdog.length > 0) {
      if (n.status === "firing" && watchdog.some((a) => a.status === "firing")) {
        await o.watchdog?.arrived();
      }
      n = { ...n, alerts: n.alerts.filter((a) => a.labels.alertname !== o.watchdogName) };
      if (n.alerts.length === 0) {
        o.metrics.intake.add(1, { outcome: "watchdog" });
        return c.json({ status: "watchdog" });
      }
    }
    o.metrics.received.add(n.alerts.length);
    let result;
    try {
      result = await o.outbox.enqueueAlerts(n, {
        chats: o.chats,
        dedupWindowMs: o.dedupWindowMs,
        fullAlerts: o.fullAlerts,
      });
    } catch (e) {
      if (e instanceof TypeError && /too large|Too many/i.test(e.message)) {
        o.metrics.intake.add(1, { outcome: "rejected" });
        throw new ApiError(
          413,
          "PAYLOAD_TOO_LARGE",
          `notification too large to store: ${e.message}`,
        );
      }
      throw e;
    }
    o.metrics.intake.add(1, { outcome: result.status });
    if (result.status === "duplicate") o.metrics.deduplicated.add(n.alerts.length);
    else o.queued(o.chats);
    return c.json(result);
  };
}
