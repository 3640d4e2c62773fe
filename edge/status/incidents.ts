/**
 * From alerts to what a public status page says: which component an alert
 * is about, how bad it is for users, and a title fit for the public. Alert
 * annotations are never shown (they name hosts and internals); alerts not
 * listed here (the Watchdog, monitoring-configuration warnings) are not
 * incidents.
 *
 * @module
 */

/** The components users see. */
export type Component = "edge" | "model" | "alerting";
/** How a component is doing; `unknown` when nothing here can tell. */
export type ComponentState = "operational" | "degraded" | "outage" | "unknown";

/** What an alert means publicly. */
interface Meaning {
  component: Component;
  title: string;
  /** Impact while firing: critical alerts may be worse. */
  impact: (severity: string) => ComponentState;
}

const degraded = () => "degraded" as const;
const bySeverity = (s: string) => (s === "critical" ? "outage" : "degraded") as ComponentState;

/** The alerts (monitoring/rules) that are public incidents. */
export const PUBLIC_ALERTS: Readonly<Record<string, Meaning>> = {
  EdgeDown: { component: "edge", title: "Prediction API unreachable", impact: () => "outage" },
  HighErrorRate: { component: "edge", title: "Elevated error rate", impact: bySeverity },
  HighLatencyP99: { component: "edge", title: "Slow responses", impact: degraded },
  ValidationFailuresSpike: {
    component: "edge",
    title: "Many requests rejected",
    impact: degraded,
  },
  ModelNotReady: { component: "model", title: "Model not loaded", impact: () => "outage" },
  NoPredictions: { component: "model", title: "No predictions served", impact: degraded },
  LiveAccuracyDrop: { component: "model", title: "Prediction quality degraded", impact: degraded },
  FeatureDrift: { component: "model", title: "Input data has drifted", impact: degraded },
  BotDown: { component: "alerting", title: "Alert delivery interrupted", impact: degraded },
  BotDeliveryStalled: { component: "alerting", title: "Alert delivery delayed", impact: degraded },
  BotDeadLetters: { component: "alerting", title: "Some alerts undelivered", impact: degraded },
};

/** One incident on the page. */
export interface Incident {
  title: string;
  component: Component;
  impact: ComponentState;
  started_at: string;
  /** null while ongoing. */
  ended_at: string | null;
}

/** A firing alert, from Alertmanager or Prometheus' ALERTS series. */
export interface ActiveAlert {
  labels: Record<string, string>;
  startsAt: string;
}

/** The public meaning of an alert, or null when it is not an incident. */
export function meaningOf(labels: Record<string, string>): Meaning | null {
  return PUBLIC_ALERTS[labels.alertname ?? ""] ?? null;
}

const RANK: Record<ComponentState, number> = { unknown: 0, operational: 1, degraded: 2, outage: 3 };

/** The worse of two states (`unknown` loses to anything known). */
export function worst(a: ComponentState, b: ComponentState): ComponentState {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Incidents from a range query of `ALERTS` (one series per alert, points
 * every `stepSeconds` while it fired): consecutive points form one incident;
 * one still firing at `endSeconds` is ongoing. Same title and component
 * overlapping in time merge. Newest first.
 *
 * @example
 * ```ts
 * incidentsFromRange([{ metric: { alertname: "HighErrorRate", severity: "warning" }, values: [[1000, "1"], [1300, "1"]] }], 300, 1300);
 * // [{ title: "Elevated error rate", component: "edge", impact: "degraded", started_at: ..., ended_at: null }]
 * ```
 */
export function incidentsFromRange(
  series: { metric: Record<string, string>; values: [number, string][] }[],
  stepSeconds: number,
  endSeconds: number,
): Incident[] {
  const spans: Incident[] = [];
  for (const s of series) {
    const m = meaningOf(s.metric);
    if (!m || s.values.length === 0) continue;
    let start = s.values[0][0], last = start;
    const close = (ongoing: boolean) =>
      spans.push({
        title: m.title,
        component: m.component,
        impact: m.impact(s.metric.severity ?? ""),
        started_at: iso(start),
        ended_at: ongoing ? null : iso(last + stepSeconds),
      });
    for (const [t] of s.values.slice(1)) {
      if (t - last > stepSeconds * 1.5) {
        close(false);
        start = t;
      }
      last = t;
    }
    close(endSeconds - last <= stepSeconds * 1.5);
  }
  return merge(spans);
}

function merge(spans: Incident[]): Incident[] {
  const sorted = spans.sort((a, b) => a.started_at.localeCompare(b.started_at));
  const out: Incident[] = [];
  for (const s of sorted) {
    const prev = out.findLast((o) => o.title === s.title && o.component === s.component);
    const end = (i: Incident) => i.ended_at ?? "9999";
    if (prev && s.started_at <= end(prev)) {
      prev.ended_at = prev.ended_at === null || s.ended_at === null
        ? null
        : (end(prev) > end(s) ? prev.ended_at : s.ended_at);
      prev.impact = worst(prev.impact, s.impact);
    } else out.push({ ...s });
  }
  return out.reverse();
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
