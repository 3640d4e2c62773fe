/**
 * The dead man's switch. Prometheus fires `Watchdog` all the time and
 * Alertmanager routes it to the bot every few minutes; as long as it keeps
 * arriving, the whole path (Prometheus → Alertmanager → bot) works. When it
 * stops for longer than the timeout, the bot tells the alert chats itself —
 * straight to Telegram, since the path that would carry an alert about it is
 * the one that broke — and says so again when it comes back.
 *
 * The state lives in the store (`["meta", "watchdog"]`), so a restart
 * neither forgets an alarm nor raises it twice.
 *
 * @module
 */
import { escapeHtml } from "./alerts/html.ts";
import { formatDuration, formatTime } from "./alerts/format.ts";
import type { Outbox } from "./store/outbox.ts";

/** Persisted watchdog state. */
export interface WatchdogState {
  /** Last arrival, or when watching began. */
  lastSeen: number;
  /** Whether it has ever arrived. */
  seen: boolean;
  alarmed: boolean;
}

const KEY: Deno.KvKey = ["meta", "watchdog"];

/** Options of {@link Watchdog}. */
export interface WatchdogOptions {
  outbox: Outbox;
  chats: readonly number[];
  timeoutMs: number;
  timeZone: string;
  /** Called after a message was queued. */
  queued?: () => void;
}

/** Tracks the Watchdog alert. */
export class Watchdog {
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly o: WatchdogOptions) {}

  /** The stored state (null before the first check or arrival). */
  async state(): Promise<WatchdogState | null> {
    return (await this.o.outbox.kv.get<WatchdogState>(KEY)).value;
  }

  /** Records an arrival; queues the all-clear if an alarm was raised. */
  async arrived(now = Date.now()): Promise<void> {
    const kv = this.o.outbox.kv;
    for (let i = 0; i < 5; i++) {
      const cur = await kv.get<WatchdogState>(KEY);
      const next: WatchdogState = { lastSeen: now, seen: true, alarmed: false };
      if (cur.value?.alarmed) {
        const down = formatDuration(now - cur.value.lastSeen);
        const ok = await this.o.outbox.enqueueText(
          `✅ <b>Alerting pipeline is back</b>\nThe Watchdog alert arrives again after ${
            escapeHtml(down)
          } of silence. Alerts that fired meanwhile are now delivered by Alertmanager.`,
          this.o.chats,
          (op) => op.check(cur).set(KEY, next),
        );
        if (ok) return this.o.queued?.();
        continue;
      }
      if ((await kv.atomic().check(cur).set(KEY, next).commit()).ok) return;
    }
  }

  /** Raises the alarm if the Watchdog has been silent for too long. */
  async check(now = Date.now()): Promise<void> {
    const kv = this.o.outbox.kv;
    const cur = await kv.get<WatchdogState>(KEY);
    if (!cur.value) {
      // Start watching now: a Watchdog that never arrives is a broken pipeline too.
      await kv.atomic().check(cur).set(KEY, { lastSeen: now, seen: false, alarmed: false })
        .commit();
      return;
    }
    const s = cur.value;
    if (s.alarmed || now - s.lastSeen <= this.o.timeoutMs) return;
    const since = formatTime(s.lastSeen, this.o.timeZone, now);
    const what = s.seen
      ? `No Watchdog alert from Alertmanager since ${since} (${formatDuration(now - s.lastSeen)}).`
      : `No Watchdog alert has arrived since the bot started watching at ${since}.`;
    const ok = await this.o.outbox.enqueueText(
      `🚨 <b>Alerting pipeline is broken</b>\n${escapeHtml(what)}\n` +
        "Prometheus or Alertmanager is down, or cannot reach the bot: " +
        "alerts are not being delivered. Check <code>deno task monitor</code>.",
      this.o.chats,
      (op) => op.check(cur).set(KEY, { ...s, alarmed: true }),
    );
    if (ok) this.o.queued?.();
  }

  /** Checks every `everyMs` until stopped. */
  start(everyMs = Math.min(5000, Math.max(100, this.o.timeoutMs / 4))): void {
    const loop = async () => {
      await this.check().catch(() => {});
      this.#timer = setTimeout(loop, everyMs);
    };
    this.#timer = setTimeout(loop, 0);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
