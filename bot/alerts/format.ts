/**
 * How an alert notification reads in a chat: a pure function from the
 * notification (and what the chat already knows of it) to Telegram HTML.
 *
 * Every label and annotation is escaped; tags never span a line, so the
 * splitter can cut between lines freely. Large groups show the first
 * `fullAlerts` alerts in full, then a count and a link to Alertmanager.
 *
 * @module
 */
import type { Alert, AlertStatus } from "./payload.ts";
import { escapeHtml, link } from "./html.ts";

/** What a message says about a group. */
export interface MessageView {
  /** "firing": new alerts; "reminder": still firing; "resolved": all done. */
  kind: "firing" | "reminder" | "resolved";
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL: string;
  /** The alerts this message is about (statuses may have moved on since). */
  alerts: Alert[];
  /** Alerts of the group Alertmanager left out (`truncatedAlerts`). */
  truncated: number;
  /** Other alerts of the group that were reported before and still fire. */
  alreadyReported: number;
  /** Extra lines, already HTML (who silenced or acked it). */
  notes: string[];
}

/** Rendering settings. */
export interface FormatOptions {
  fullAlerts: number;
  timeZone: string;
  runbookUrl: string | null;
  /** Clock for "5m ago"; milliseconds. */
  now: number;
}

const ICONS: Record<string, string> = { critical: "🔥", warning: "⚠️", info: "ℹ️" };
const HIDDEN_LABELS = new Set(["alertname", "severity"]);
const SHOWN_ANNOTATIONS = new Set(["summary", "description", "runbook_url"]);

/** "2m 5s", "3h 10m", "2d 4h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "14:05 UTC" today, "Mar 3 14:05 UTC" otherwise. */
export function formatTime(ms: number, timeZone: string, now = Date.now()): string {
  const day = (t: number) => new Intl.DateTimeFormat("en-CA", { timeZone }).format(t);
  const hm = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(ms);
  const zone = timeZone === "UTC" ? "UTC" : new Intl.DateTimeFormat("en-GB", {
    timeZone,
    timeZoneName: "short",
  }).formatToParts(ms).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
  if (day(ms) === day(now)) return `${hm} ${zone}`;
  const md = new Intl.DateTimeFormat("en-US", { timeZone, month: "short", day: "numeric" })
    .format(ms);
  return `${md} ${hm} ${zone}`;
}

/** Whether Alertmanager's end time is a real one (it sends year 1 while firing). */
function ended(a: Alert): number | null {
  const t = Date.parse(a.endsAt);
  return a.status === "resolved" && t > 0 ? t : null;
}

function labelLine(labels: Record<string, string>, skip: Set<string>): string {
  return Object.entries(labels)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${escapeHtml(k)}=<code>${escapeHtml(v)}</code>`)
    .join(" ");
}

/** Alertmanager's page for the group, filtered to its labels. */
export function alertmanagerLink(externalURL: string, labels: Record<string, string>): string {
  if (!/^https?:\/\//.test(externalURL)) return "";
  const filter = "{" +
    Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",") + "}";
  return `${externalURL.replace(/\/+$/, "")}/#/alerts?filter=${encodeURIComponent(filter)}`;
}

function runbookOf(a: Alert, base: string | null): string | null {
  if (a.annotations.runbook_url) return a.annotations.runbook_url;
  if (base && a.labels.alertname) return `${base}/${encodeURIComponent(a.labels.alertname)}`;
  return null;
}

function alertBlock(a: Alert, view: MessageView, o: FormatOptions): string[] {
  const lines: string[] = [];
  const end = ended(a);
  const start = Date.parse(a.startsAt);
  const title = a.annotations.summary ?? a.labels.alertname ?? "alert";
  const mark = end !== null ? "✅ " : "";
  lines.push(`${mark}<b>${escapeHtml(title)}</b>`);
  if (a.annotations.description) {
    for (const l of a.annotations.description.split("\n")) lines.push(escapeHtml(l));
  }
  for (const [k, v] of Object.entries(a.annotations)) {
    if (!SHOWN_ANNOTATIONS.has(k)) lines.push(`${escapeHtml(k)}: ${escapeHtml(v)}`);
  }
  const skip = new Set([...HIDDEN_LABELS, ...Object.keys(view.commonLabels)]);
  const labels = labelLine(a.labels, skip);
  if (labels) lines.push(labels);
  const when = end !== null
    ? `resolved ${escapeHtml(formatTime(end, o.timeZone, o.now))} after ${
      formatDuration(end - start)
    }`
    : `since ${escapeHtml(formatTime(start, o.timeZone, o.now))} (${
      formatDuration(o.now - start)
    })`;
  const links = [
    link(a.generatorURL, "Prometheus"),
    link(runbookOf(a, o.runbookUrl), "Runbook"),
  ].filter((l) => l.startsWith("<a "));
  lines.push(`<i>${when}</i>${links.length ? " · " + links.join(" · ") : ""}`);
  return lines;
}

/**
 * The message's HTML (possibly over the length limit: split it with
 * `splitHtml`).
 *
 * @example
 * ```ts
 * declare const view: MessageView;
 * const html = renderMessage(view, { fullAlerts: 10, timeZone: "UTC", runbookUrl: null, now: Date.now() });
 * ```
 */
export function renderMessage(view: MessageView, o: FormatOptions): string {
  const all = view.alerts;
  const resolved = all.filter((a) => a.status === "resolved").length;
  const status: AlertStatus = resolved === all.length ? "resolved" : "firing";
  const name = view.commonLabels.alertname ?? view.groupLabels.alertname ??
    [...new Set(all.map((a) => a.labels.alertname ?? "?"))].join(", ");
  const severity = view.commonLabels.severity ?? "";
  let icon = status === "resolved" ? "✅" : ICONS[severity] ?? "🔔";
  let word = status === "resolved" ? "RESOLVED" : "FIRING";
  if (view.kind === "reminder" && status === "firing") {
    icon = "🔁";
    word = "STILL FIRING";
  }
  const count = all.length + view.truncated;
  let head = `${icon} <b>${word}: ${escapeHtml(name)}</b>`;
  if (severity) head += ` · ${escapeHtml(severity)}`;
  if (count > 1) {
    head += status === "firing" && resolved > 0
      ? ` · ${count - resolved} of ${count} firing`
      : ` · ${count} alerts`;
  }
  if (status === "resolved") {
    const starts = all.map((a) => Date.parse(a.startsAt));
    const ends = all.map((a) => ended(a) ?? o.now);
    head += ` · after ${formatDuration(Math.max(...ends) - Math.min(...starts))}`;
  }
  const lines = [head];
  const group = labelLine(view.commonLabels, HIDDEN_LABELS);
  if (group) lines.push(group);
  for (const n of view.notes) lines.push(n);

  const shown = all.slice(0, o.fullAlerts);
  for (const a of shown) {
    lines.push("");
    lines.push(...alertBlock(a, view, o));
  }
  const hidden = all.length - shown.length + view.truncated;
  const amLink = alertmanagerLink(view.externalURL, view.groupLabels);
  if (hidden > 0) {
    lines.push("");
    const firingHidden = all.slice(o.fullAlerts).filter((a) => a.status === "firing").length;
    lines.push(
      `…and ${hidden} more (${firingHidden + view.truncated} firing)` +
        (amLink ? `: ${link(amLink, "see all in Alertmanager")}` : ""),
    );
  }
  if (view.alreadyReported > 0) {
    lines.push("");
    lines.push(`<i>+${view.alreadyReported} reported earlier, still firing</i>`);
  }
  if (amLink && hidden === 0) {
    lines.push("");
    lines.push(link(amLink, "Alertmanager"));
  }
  return lines.join("\n");
}
