/**
 * `GET /v1/ops`: the operator view's JSON — this instance's own numbers:
 * model identity, the last minute of traffic, class mix, drift over the last
 * `DRIFT_WINDOW` instances, live accuracy over the last `ACCURACY_WINDOW`
 * labels, rejections, unseen categories, runtime. Guard it with the API key:
 * it is not for the public (that is `GET /v1/status`).
 *
 * @module
 */
import type { Handler } from "hono";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { Monitor, MonitorSnapshot } from "../telemetry/monitor.ts";

/** Model part of the status document. */
export interface StatusModel {
  status: "loading" | "ready" | "failed";
  reason?: string;
  name?: string;
  version?: string | null;
  created_at?: string;
  promoted_at?: string | null;
  loaded_at?: string;
  classes?: readonly string[];
  /** Holdout metrics from training, for comparison with live accuracy. */
  training_metrics?: Record<string, number>;
}

/** The operator document (snake_case, like the rest of the API). */
export interface StatusBody {
  /** This instance's id (the first 8 characters of its service.instance.id). */
  instance: string;
  model: StatusModel;
  started_at: string;
  uptime_seconds: number;
  traffic: {
    window_seconds: number;
    requests: number;
    rps: number;
    client_errors: number;
    server_errors: number;
    error_rate: number;
    latency_ms: { p50: number | null; p90: number | null; p99: number | null };
    /** Per second, oldest first: `[requests, errors]`. */
    series: [number, number][];
    /** API requests since start. */
    total_requests: number;
  };
  predictions: {
    total: number;
    /** Predictions per class label in the traffic window. */
    window_by_class: Record<string, number>;
    /** Predictions per class label since the model loaded. */
    total_by_class: Record<string, number>;
  };
  drift: MonitorSnapshot["drift"];
  live_accuracy: MonitorSnapshot["accuracy"];
  /** Every loaded model side by side (champion first): since load, on this instance. */
  models: {
    role: string;
    name: string;
    version: string | null;
    predictions: number;
    by_class: Record<string, number>;
    live_accuracy: MonitorSnapshot["accuracy"];
    max_psi: number | null;
  }[];
  unknown_categories: Record<string, number>;
  rejected: Record<string, number>;
  runtime: {
    rss_bytes: number | null;
    heap_used_bytes: number | null;
    event_loop_lag_ms: number | null;
  };
}

/**
 * Builds the operator document.
 *
 * @example
 * ```ts
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import type { Meters } from "../telemetry/meters.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const holder: ModelHolder;
 * declare const monitor: Monitor;
 * declare const meters: Meters;
 * opsOf(holder, monitor, meters.instanceId).traffic.rps; // 12.5
 * ```
 */
export function opsOf(holder: ModelHolder, monitor: Monitor, instanceId: string): StatusBody {
  const s = holder.state;
  const snap = monitor.snapshot();
  let model: StatusModel;
  let classes: readonly string[] = [];
  if (s.status === "ready") {
    const b = s.model.bundle;
    classes = b.schema.classes;
    model = {
      status: "ready",
      name: b.name,
      version: b.version,
      created_at: b.createdAt,
      promoted_at: b.promotedAt,
      loaded_at: s.loadedAt,
      classes,
      training_metrics: b.training.metrics,
    };
  } else if (s.status === "failed") model = { status: "failed", reason: s.reason };
  else model = { status: "loading", reason: "model is still loading" };
  const byLabel = (counts: number[]) =>
    Object.fromEntries(classes.map((c, k) => [c, counts[k] ?? 0]));
  const w = snap.window;
  return {
    instance: instanceId.slice(0, 8),
    model,
    started_at: snap.startedAt,
    uptime_seconds: Math.round(snap.uptimeSeconds),
    traffic: {
      window_seconds: w.seconds,
      requests: w.requests,
      rps: w.rps,
      client_errors: w.clientErrors,
      server_errors: w.serverErrors,
      error_rate: w.errorRate,
      latency_ms: w.latencyMs,
      series: w.series,
      total_requests: snap.totals.requests,
    },
    predictions: {
      total: snap.totals.predictions,
      window_by_class: byLabel(w.classCounts),
      total_by_class: byLabel(snap.totals.byClass),
    },
    drift: snap.drift,
    live_accuracy: snap.accuracy,
    models: snap.models.map((m) => ({
      role: m.role,
      name: m.name,
      version: m.version,
      predictions: m.predictions,
      by_class: m.byClass,
      live_accuracy: m.accuracy,
      max_psi: m.maxPsi,
    })),
    unknown_categories: snap.totals.unknownCategories,
    rejected: snap.totals.rejected,
    runtime: {
      rss_bytes: snap.runtime.memory?.rssBytes ?? null,
      heap_used_bytes: snap.runtime.memory?.heapUsedBytes ?? null,
      event_loop_lag_ms: snap.runtime.eventLoopLagMs,
    },
  };
}

/**
 * The handler (guard it with `apiKeyAuth`).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { apiKeyAuth } from "../middleware/api_key.ts";
 * import { guarded } from "../middleware/guard.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import type { Meters } from "../telemetry/meters.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const holder: ModelHolder;
 * declare const monitor: Monitor;
 * declare const meters: Meters;
 * const app = new Hono<EdgeEnv>();
 * app.get("/v1/ops", guarded(apiKeyAuth(["k3y"]))(opsHandler(holder, monitor, meters.instanceId)));
 * ```
 */
export function opsHandler(holder: ModelHolder, monitor: Monitor, instanceId: string): Handler {
  return function ops(c) {
    c.header("cache-control", "no-store");
    return c.json(opsOf(holder, monitor, instanceId));
  };
}
