/**
 * The bot's own metrics, on `/metrics` in the Prometheus text format, with
 * the edge's conventions (same meter pipeline, `mlops_` prefix, `_total`
 * counters, seconds). Queue depth and age are read from the store at scrape
 * time, so they are right whichever process did the work.
 *
 * @module
 */
import type { Counter, Histogram } from "@opentelemetry/api";
import { createMeters } from "../edge/http.ts";

/** Telegram API latency buckets, seconds. */
export const TELEGRAM_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the gauges read at scrape time. */
export interface GaugeSources {
  outbox(): Promise<{ depth: number; oldest: number | null; dead: number }>;
  watchdogLastSeen(): Promise<number | null>;
}

/** Every instrument the bot records into. */
export interface BotMetrics {
  /** Alerts in valid notifications posted to `/alerts`. */
  received: Counter;
  /** Alerts in notifications collapsed as duplicates. */
  deduplicated: Counter;
  /** Alerts delivered to a chat (counted per chat). */
  delivered: Counter;
  /** Alerts given up on (per chat). */
  deadLettered: Counter;
  /** `/alerts` requests by outcome. */
  intake: Counter<{ outcome: string }>;
  /**
   * Notifications posted to `/notify` (lib/notify's; "notices" in the code,
   * apart from Alertmanager's notifications), with the same conventions.
   */
  notices: {
    /** Valid ones, duplicates included. */
    received: Counter;
    /** Ones whose `id` was already queued within the dedup window. */
    deduplicated: Counter;
    /** Delivered to a chat, counted once per chat. */
    delivered: Counter;
    /** Given up on, per chat. */
    deadLettered: Counter;
    /** `/notify` requests by outcome. */
    requests: Counter<{ outcome: string }>;
  };
  telegramDuration: Histogram<{ method: string }>;
  telegramErrors: Counter<{ method: string; code: string }>;
  commands: Counter<{ command: string; outcome: string }>;
  buttons: Counter<{ action: string; outcome: string }>;
  scrape(): Promise<string>;
}

/**
 * Creates the instruments; `sources` is read on each scrape.
 *
 * @example
 * ```ts
 * import type { Outbox } from "./store/outbox.ts";
 *
 * declare const outbox: Outbox;
 * const m = createBotMetrics({ outbox: () => outbox.stats(), watchdogLastSeen: async () => null });
 * m.commands.add(1, { command: "status", outcome: "ok" });
 * ```
 */
export function createBotMetrics(sources: GaugeSources): BotMetrics {
  const { meter, scrape } = createMeters({ otlp: false });
  const counter = (name: string, description: string) => meter.createCounter(name, { description });
  const m: BotMetrics = {
    received: counter(
      "mlops_bot_alerts_received_total",
      "Alerts in notifications accepted on /alerts (duplicates included).",
    ),
    deduplicated: counter(
      "mlops_bot_alerts_deduplicated_total",
      "Alerts in notifications dropped as duplicates (HA twins, retries).",
    ),
    delivered: counter(
      "mlops_bot_alerts_delivered_total",
      "Alerts delivered to a chat, counted once per chat.",
    ),
    deadLettered: counter(
      "mlops_bot_alerts_dead_lettered_total",
      "Alerts given up on after the delivery deadline or a permanent refusal, per chat.",
    ),
    intake: counter("mlops_bot_intake_requests_total", "POST /alerts requests by outcome."),
    notices: {
      received: counter(
        "mlops_bot_notifications_received_total",
        "Notifications accepted on /notify (duplicates included).",
      ),
      deduplicated: counter(
        "mlops_bot_notifications_deduplicated_total",
        "Notifications on /notify dropped because their id was already queued (sender retries).",
      ),
      delivered: counter(
        "mlops_bot_notifications_delivered_total",
        "Notifications from /notify delivered to a chat, counted once per chat.",
      ),
      deadLettered: counter(
        "mlops_bot_notifications_dead_lettered_total",
        "Notifications from /notify given up on, per chat.",
      ),
      requests: counter(
        "mlops_bot_notify_requests_total",
        "POST /notify requests by outcome (queued, duplicate, unauthorized, rejected, no_chats).",
      ),
    },
    telegramDuration: meter.createHistogram("mlops_bot_telegram_request_duration_seconds", {
      description: "Bot API call latency by method (retries included).",
      unit: "s",
      advice: { explicitBucketBoundaries: TELEGRAM_BUCKETS },
    }),
    telegramErrors: counter(
      "mlops_bot_telegram_errors_total",
      'Failed Bot API calls by method and error code (network errors: code "network").',
    ),
    commands: counter(
      "mlops_bot_commands_total",
      "Chat commands by name and outcome (ok, backend_down, refused, bad_input, unknown).",
    ),
    buttons: counter(
      "mlops_bot_button_presses_total",
      "Inline button presses by action and outcome.",
    ),
    scrape,
  };
  // The alert counters exist from the start, at 0: "no dead letters" reads 0,
  // not nothing, on dashboards and in rules.
  for (const c of [m.received, m.deduplicated, m.delivered, m.deadLettered]) c.add(0);
  meter.createObservableGauge("mlops_bot_outbox_depth", {
    description: "Deliveries waiting in the outbox (one per alert chat and notification).",
  }).addCallback(async (o) => o.observe((await sources.outbox()).depth));
  meter.createObservableGauge("mlops_bot_outbox_oldest_age_seconds", {
    description: "Age of the oldest undelivered notification; 0 when the outbox is empty.",
    unit: "s",
  }).addCallback(async (o) => {
    const { oldest } = await sources.outbox();
    o.observe(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
  });
  meter.createObservableGauge("mlops_bot_dead_letters", {
    description: "Deliveries in the dead-letter list (kept 8 days).",
  }).addCallback(async (o) => o.observe((await sources.outbox()).dead));
  meter.createObservableGauge("mlops_bot_watchdog_last_seen_timestamp_seconds", {
    description: "When the Watchdog alert last arrived (Unix seconds).",
    unit: "s",
  }).addCallback(async (o) => {
    const t = await sources.watchdogLastSeen();
    if (t !== null) o.observe(t / 1000);
  });
  return m;
}
