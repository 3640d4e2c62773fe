/**
 * What the public status page at `/` says: overall state, components (the
 * prediction API, the model, alerting), the model and when it was promoted,
 * availability and latency over 24 h and 7 d, live accuracy, and recent
 * incidents.
 *
 * With `PROMETHEUS_URL` (and `ALERTMANAGER_URL`) set, figures cover the whole
 * service (every instance of the job) and incidents come from the alerts;
 * answers are cached for {@link REMOTE_CACHE_MS} so a busy page costs
 * Prometheus one round of queries per instance and period. Without them, or
 * when they do not answer, the page shows what this instance knows and says
 * so. Nothing here names a host, a URL or an alert's annotations.
 *
 * @module
 */
import type { Challenger, ModelRole } from "../serving/challenger.ts";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import {
  type ActiveAlert,
  type Component,
  type ComponentState,
  type Incident,
  incidentsFromRange,
  meaningOf,
  worst,
} from "./incidents.ts";
import { INCIDENT_QUERY, modelFeedbackQuery, statusQueries } from "./queries.ts";

/** How long Prometheus' and Alertmanager's answers are reused by default. */
export const REMOTE_CACHE_MS = 15_000;
/** How long each backend call may take. */
const BACKEND_TIMEOUT_MS = 2500;
/** The page refreshes itself this often. */
export const REFRESH_SECONDS = 30;
/** Incident history: 7 days in 5-minute steps. */
const HISTORY_SECONDS = 7 * 86400, STEP_SECONDS = 300;

/** One component's line on the page. */
export interface ComponentStatus {
  id: Component;
  name: string;
  state: ComponentState;
  detail: string;
}

/** The public status document (`GET /v1/status`). */
export interface PublicStatus {
  overall: ComponentState;
  headline: string;
  /** Where the figures come from. */
  source: "prometheus" | "instance";
  /** Plain words on what the figures cover. */
  note: string;
  components: ComponentStatus[];
  model: {
    status: "loading" | "ready" | "failed";
    name: string | null;
    version: string | null;
    trained_at: string | null;
    promoted_at: string | null;
  };
  /** Share of scoring requests answered without a 5xx; null without history or traffic. */
  availability: { "24h": number | null; "7d": number | null };
  latency_p99_ms: { "24h": number | null; "7d": number | null };
  /** This instance's last minute, always there. */
  recent: {
    window_seconds: number;
    p50_ms: number | null;
    p99_ms: number | null;
    error_rate: number;
  };
  live_accuracy: { value: number | null; labels: number; window: string };
  /**
   * Champion and challenger side by side while a challenger is served
   * (empty otherwise): what each answers and how right it is.
   */
  models: ModelComparison[];
  incidents: Incident[];
  instance: { id: string; started_at: string; uptime_seconds: number };
  updated_at: string;
  refresh_seconds: number;
}

/** One model's line in the champion-vs-challenger comparison. */
export interface ModelComparison {
  role: ModelRole;
  name: string;
  version: string | null;
  /** What it answers, in words ("every request", "10% of clients", "none: shadow"). */
  answers: string;
  live_accuracy: { value: number | null; labels: number; window: string };
}

/** What the board needs. */
export interface StatusBoardDeps {
  holder: ModelHolder;
  /** The challenger beside the champion, or null. */
  challenger?: Challenger | null;
  monitor: Monitor;
  instanceId: string;
  prometheusUrl: string | null;
  alertmanagerUrl: string | null;
  job: string;
  /** How long backend answers are reused (default {@link REMOTE_CACHE_MS}). */
  cacheMs?: number;
  /** For tests. */
  now?: () => number;
}

interface Remote {
  /** null when Prometheus is not configured or did not answer. */
  prom: null | {
    values: Record<string, number | null>;
    /** Last hour's feedback by `role/version` and outcome. */
    byModel: Map<string, { correct: number; labels: number }>;
    incidents: Incident[];
    firing: ActiveAlert[];
  };
  promError: string | null;
  /** null when Alertmanager is not configured or did not answer. */
  am: null | { alerts: ActiveAlert[] };
  amError: string | null;
}

const NAMES: Record<Component, string> = {
  edge: "Prediction API",
  model: "Model",
  alerting: "Monitoring and alerting",
};
const HEADLINES: Record<ComponentState, string> = {
  operational: "All systems operational",
  degraded: "Some systems degraded",
  outage: "Service outage",
  unknown: "Status unknown",
};

async function getJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(BACKEND_TIMEOUT_MS) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`answered ${res.status}`);
  }
  return await res.json();
}

type PromResult = {
  status: string;
  data: {
    result: {
      metric: Record<string, string>;
      value?: [number, string];
      values?: [number, string][];
    }[];
  };
};

async function promQuery(base: string, path: string, params: Record<string, string>) {
  const body = await getJson(`${base}/api/v1/${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  }) as PromResult;
  if (body.status !== "success") throw new Error("query failed");
  return body.data.result;
}

/** Builds the public status, with the remote part cached. */
export class StatusBoard {
  readonly #d: StatusBoardDeps;
  readonly #now: () => number;
  #cache: { at: number; remote: Promise<Remote> } | undefined;

  /**
   * @example
   * ```ts
   * import type { ModelHolder } from "../serving/model_holder.ts";
   * import type { Monitor } from "../telemetry/monitor.ts";
   *
   * declare const holder: ModelHolder;
   * declare const monitor: Monitor;
   * const board = new StatusBoard({
   *   holder,
   *   monitor,
   *   instanceId: crypto.randomUUID(),
   *   prometheusUrl: null,
   *   alertmanagerUrl: null,
   *   job: "mlops-edge",
   * });
   * (await board.status()).headline; // "All systems operational"
   * ```
   */
  constructor(deps: StatusBoardDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The status as of now. Never throws: unreachable backends become words on the page. */
  async status(): Promise<PublicStatus> {
    const now = this.#now();
    if (!this.#cache || now - this.#cache.at >= (this.#d.cacheMs ?? REMOTE_CACHE_MS)) {
      this.#cache = { at: now, remote: this.#fetchRemote(now) };
    }
    return this.#assemble(await this.#cache.remote, now);
  }

  async #fetchRemote(now: number): Promise<Remote> {
    const { prometheusUrl, alertmanagerUrl, job } = this.#d;
    const prom = prometheusUrl
      ? (async () => {
        const queries = statusQueries(job);
        const names = Object.keys(queries);
        const end = Math.floor(now / 1000);
        const [instant, range, firing, models] = await Promise.all([
          Promise.all(names.map((n) => promQuery(prometheusUrl, "query", { query: queries[n] }))),
          promQuery(prometheusUrl, "query_range", {
            query: INCIDENT_QUERY,
            start: String(end - HISTORY_SECONDS),
            end: String(end),
            step: String(STEP_SECONDS),
          }),
          promQuery(prometheusUrl, "query", { query: INCIDENT_QUERY }),
          this.#d.challenger
            ? promQuery(prometheusUrl, "query", { query: modelFeedbackQuery(job) })
            : Promise.resolve([]),
        ]);
        const byModel = new Map<string, { correct: number; labels: number }>();
        for (const s of models) {
          const key = `${s.metric.model_role ?? "champion"}/${s.metric.model_version ?? "none"}`;
          const n = Number(s.value?.[1]);
          if (!Number.isFinite(n)) continue;
          const m = byModel.get(key) ?? { correct: 0, labels: 0 };
          m.labels += n;
          if (s.metric.outcome === "correct") m.correct += n;
          byModel.set(key, m);
        }
        const values: Record<string, number | null> = {};
        names.forEach((n, i) => {
          const v = Number(instant[i][0]?.value?.[1]);
          values[n] = Number.isFinite(v) ? v : null;
        });
        return {
          values,
          byModel,
          incidents: incidentsFromRange(
            range.map((s) => ({
              metric: s.metric,
              values: (s.values ?? []).map(([t, v]) => [Number(t), v]),
            })),
            STEP_SECONDS,
            end,
          ),
          firing: firing.map((s) => ({ labels: s.metric, startsAt: new Date(now).toISOString() })),
        };
      })()
      : Promise.resolve(null);
    const am = alertmanagerUrl
      ? getJson(`${alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`)
        .then((a) => ({ alerts: a as ActiveAlert[] }))
      : Promise.resolve(null);
    const [p, a] = await Promise.allSettled([prom, am]);
    return {
      prom: p.status === "fulfilled" ? p.value : null,
      promError: p.status === "rejected" ? "Prometheus did not answer" : null,
      am: a.status === "fulfilled" ? a.value : null,
      amError: a.status === "rejected" ? "Alertmanager did not answer" : null,
    };
  }

  #assemble(remote: Remote, now: number): PublicStatus {
    const { holder, monitor } = this.#d;
    const snap = monitor.snapshot();
    const s = holder.state;
    const bundle = s.status === "ready" ? s.model.bundle : null;
    const w = snap.window;

    // Components from this instance, then from the alerts that are firing.
    const state: Record<Component, ComponentState> = {
      edge: s.status === "ready" ? (w.errorRate >= 0.05 ? "degraded" : "operational") : "outage",
      model: s.status === "ready" ? "operational" : s.status === "loading" ? "degraded" : "outage",
      alerting: "unknown",
    };
    const detail: Record<Component, string> = {
      edge: s.status === "ready" ? "Answering predictions" : "Not answering predictions",
      model: bundle
        ? `${bundle.name} ${
          bundle.version ? `version ${bundle.version}` : "(unregistered)"
        } serving`
        : s.status === "loading"
        ? "Loading"
        : "No model loaded",
      alerting: "Not monitored from this page",
    };
    const acc = snap.accuracy;
    if (!remote.prom && acc.accuracy !== null && acc.n >= 100 && acc.accuracy < 0.75) {
      state.model = worst(state.model, "degraded");
      detail.model = "Prediction quality below target";
    }
    const firing = [...(remote.am?.alerts ?? []), ...(remote.prom?.firing ?? [])];
    for (const alert of firing) {
      const m = meaningOf(alert.labels);
      if (!m) continue;
      const before = state[m.component];
      state[m.component] = worst(before, m.impact(alert.labels.severity ?? ""));
      if (state[m.component] !== before) detail[m.component] = m.title;
    }
    if (remote.am) {
      const watchdog = remote.am.alerts.some((a) => a.labels.alertname === "Watchdog");
      if (state.alerting === "unknown") {
        state.alerting = watchdog ? "operational" : "degraded";
        detail.alerting = watchdog
          ? "Alerts are evaluated and delivered"
          : "The alerting pipeline's heartbeat is missing";
      }
    } else if (remote.amError) detail.alerting = "Alert status unavailable";

    const incidents = remote.prom?.incidents ?? [];
    // Alertmanager knows what is firing now even when Prometheus' history is unavailable.
    for (const a of remote.am?.alerts ?? []) {
      const m = meaningOf(a.labels);
      if (!m || incidents.some((i) => i.title === m.title && i.ended_at === null)) continue;
      incidents.unshift({
        title: m.title,
        component: m.component,
        impact: m.impact(a.labels.severity ?? ""),
        started_at: a.startsAt,
        ended_at: null,
      });
    }

    const components = (Object.keys(NAMES) as Component[]).map((id) => ({
      id,
      name: NAMES[id],
      state: state[id],
      detail: detail[id],
    }));
    const overall = components.reduce((o, c) => worst(o, c.state), "unknown" as ComponentState);
    const v = remote.prom?.values;
    const ms = (x: number | null | undefined) => (x === null || x === undefined ? null : x * 1000);
    const uptime = snap.uptimeSeconds;
    const note = remote.prom
      ? "Figures cover every instance of the service, from Prometheus."
      : `Figures come from this instance alone (up ${
        humanDuration(uptime)
      }; a deployment may run ` +
        `several). ${
          remote.promError ?? "Prometheus is not configured here"
        }, so there is no 24-hour or 7-day history and incidents are not listed.`;
    return {
      overall,
      headline: HEADLINES[overall],
      source: remote.prom ? "prometheus" : "instance",
      note,
      components,
      model: {
        status: s.status,
        name: bundle?.name ?? null,
        version: bundle?.version ?? null,
        trained_at: bundle?.createdAt ?? null,
        promoted_at: bundle?.promotedAt ?? null,
      },
      availability: { "24h": v?.availability_24h ?? null, "7d": v?.availability_7d ?? null },
      latency_p99_ms: { "24h": ms(v?.latency_p99_24h), "7d": ms(v?.latency_p99_7d) },
      recent: {
        window_seconds: w.seconds,
        p50_ms: w.latencyMs.p50,
        p99_ms: w.latencyMs.p99,
        error_rate: w.errorRate,
      },
      live_accuracy: v
        ? {
          value: v.accuracy_1h,
          labels: Math.round(v.labels_1h ?? 0),
          window: "last hour, all instances",
        }
        : {
          value: acc.accuracy,
          labels: acc.n,
          window: `last ${acc.window} labels on this instance`,
        },
      models: this.#compare(remote, snap),
      incidents: incidents.slice(0, 10),
      instance: {
        id: this.#d.instanceId.slice(0, 8),
        started_at: snap.startedAt,
        uptime_seconds: Math.round(uptime),
      },
      updated_at: new Date(now).toISOString(),
      refresh_seconds: REFRESH_SECONDS,
    };
  }

  /** Champion and challenger side by side, or nothing while no challenger is served. */
  #compare(remote: Remote, snap: ReturnType<Monitor["snapshot"]>): ModelComparison[] {
    const challenger = this.#d.challenger;
    if (!challenger?.model || snap.models.length < 2) return [];
    const byModel = remote.prom?.byModel;
    return snap.models.map((m) => {
      const answers = m.role === "champion"
        ? challenger.mode === "split"
          ? `${percent(1 - challenger.share)} of clients`
          : "every request"
        : challenger.mode === "split"
        ? `${percent(challenger.share)} of clients`
        : "none: it scores every request in shadow";
      const remoteAcc = byModel?.get(`${m.role}/${m.version ?? "none"}`);
      return {
        role: m.role,
        name: m.name,
        version: m.version,
        answers,
        live_accuracy: byModel
          ? {
            value: remoteAcc && remoteAcc.labels > 0 ? remoteAcc.correct / remoteAcc.labels : null,
            labels: Math.round(remoteAcc?.labels ?? 0),
            window: "last hour, all instances",
          }
          : {
            value: m.accuracy.accuracy,
            labels: m.accuracy.n,
            window: `last ${m.accuracy.window} labels on this instance`,
          },
      };
    });
  }
}

function percent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function humanDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
