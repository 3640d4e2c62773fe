/**
 * What the store remembers about messages already in a chat: a thread is
 * one posted alert message (maybe split in parts), the alerts it covers,
 * what happened to them since (resolved, silenced, acked), and its buttons.
 * An index from each alert to its threads lets a later "resolved" edit the
 * message that announced the alert instead of posting a new one.
 *
 * | key | value |
 * |---|---|
 * | `["thread", chat, tid]` | {@link Thread} |
 * | `["amsg", chat, fingerprint, startsAtMs]` | thread ids, newest last |
 * | `["btn", ref]` | {@link ButtonRef} |
 *
 * @module
 */
import type { Alert } from "../alerts/payload.ts";
import type { MessageView } from "../alerts/format.ts";
import type { StoredAlerts } from "./outbox.ts";
import { NOTIFICATION_TTL_MS } from "./outbox.ts";

/** One alert message in one chat. */
export interface Thread {
  id: string;
  chat: number;
  nid: string;
  mode: "firing" | "reminder" | "resolved";
  /** Indices into the stored notification's alerts. */
  alerts: number[];
  already: number;
  /** Telegram message ids of the parts, first part first. */
  messageIds: number[];
  sentAt: number;
  /** End times of alerts resolved since, by fingerprint. */
  resolved: Record<string, string>;
  /** Lines shown under the heading (already HTML). */
  notes: string[];
  button: string | null;
  /** Active silence created from this message, if any. */
  silence: { id: string; until: number } | null;
}

/** What a button's short `callback_data` points to. */
export interface ButtonRef {
  chat: number;
  thread: string;
  alertname: string;
  /** Label matchers a silence is built from (the alert's identifying labels). */
  matchers: Record<string, string>;
  expiresAt: number;
}

/** Keys, in one place. */
export const threadKeys = {
  thread: (chat: number, tid: string): Deno.KvKey => ["thread", chat, tid],
  alert: (chat: number, fp: string, startsAt: string): Deno.KvKey => [
    "amsg",
    chat,
    fp,
    Date.parse(startsAt),
  ],
  button: (ref: string): Deno.KvKey => ["btn", ref],
};

/** How long threads are remembered. */
export const THREAD_TTL_MS = NOTIFICATION_TTL_MS;

/** The alerts of `thread`, with what happened to them since it was posted. */
export function threadAlerts(thread: Thread, stored: StoredAlerts): Alert[] {
  return thread.alerts.map((i) => {
    const a = stored.alerts[i];
    const end = thread.resolved[a.fingerprint];
    return end ? { ...a, status: "resolved" as const, endsAt: end } : a;
  });
}

/** The message view a thread renders from. */
export function threadView(thread: Thread, stored: StoredAlerts): MessageView {
  const alerts = threadAlerts(thread, stored);
  return {
    kind: thread.mode,
    groupLabels: stored.groupLabels,
    commonLabels: stored.commonLabels,
    externalURL: stored.externalURL,
    alerts,
    truncated: thread.mode === "resolved" ? 0 : stored.truncated,
    alreadyReported: thread.already,
    notes: thread.notes,
  };
}

/** Whether every alert of the thread has resolved. */
export function allResolved(thread: Thread, stored: StoredAlerts): boolean {
  return threadAlerts(thread, stored).every((a) => a.status === "resolved");
}

/** Inline keyboard of a thread: silence and ack while firing, unsilence once silenced. */
export function keyboardOf(
  thread: Thread,
  stored: StoredAlerts,
  now = Date.now(),
  expiresAt = Infinity,
): { text: string; callback_data: string }[][] {
  if (!thread.button || allResolved(thread, stored) || now > expiresAt) return [];
  const ref = thread.button;
  if (thread.silence && thread.silence.until > now) {
    return [[{ text: "🔔 Unsilence", callback_data: `u:${ref}` }]];
  }
  return [
    [
      { text: "🔕 1h", callback_data: `s:${ref}:1h` },
      { text: "🔕 4h", callback_data: `s:${ref}:4h` },
      { text: "🔕 24h", callback_data: `s:${ref}:24h` },
    ],
    [{ text: "👀 Ack", callback_data: `a:${ref}` }],
  ];
}

/**
 * Label matchers that identify exactly the alerts of a message: all labels
 * of a single alert, else the labels the group's alerts share.
 */
export function matchersFor(alerts: Alert[], stored: StoredAlerts): Record<string, string> {
  if (alerts.length === 1) return alerts[0].labels;
  const common = Object.keys(stored.commonLabels).length > 0
    ? stored.commonLabels
    : stored.groupLabels;
  return common;
}
