/**
 * The edge's self-knowledge: one object the request path reports to, which
 * feeds the OpenTelemetry instruments (for `/metrics` and OTLP) and the
 * in-memory views the operator page reads (last minute, drift, live accuracy).
 *
 * What goes to Prometheus is only counters, histograms and per-process gauges
 * (memory, lag, in-flight, readiness): quantities that sum or group across
 * instances, so a fleet of isolates reports one correct total. The windows
 * (last minute, last `accuracyWindow` feedback events, last `driftWindow`
 * instances) describe this instance only and are never exported.
 *
 * @module
 */
import type { Meter } from "@opentelemetry/api";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { BatchPrediction, ServingModel } from "../serving/serving_model.ts";
import { DriftTracker, type FeatureDrift } from "./drift.ts";
import {
  type ClassAttrs,
  createHistograms,
  type Histograms,
  type ModelAttrs,
  observeAll,
  type RequestAttrs,
  type RouteAttrs,
  type Tally,
} from "./instruments.ts";
import { type AccuracySnapshot, LiveAccuracy } from "./live_accuracy.ts";
import { LiveWindow, type WindowSnapshot } from "./live_window.ts";
import { EventLoopLag, type MemorySnapshot, memorySnapshot } from "./runtime.ts";

/** Sizes of the monitoring windows. */
export interface MonitorOptions {
  /** Instances compared with training statistics for drift. */
  driftWindow: number;
  /** Feedback events in the live-accuracy window. */
  accuracyWindow: number;
  /** Seconds of traffic the status page summarises. */
  liveSeconds?: number;
  /** Clock for the live window (tests). */
  now?: () => number;
}

/** Everything the status page shows except the model itself. */
export interface MonitorSnapshot {
  startedAt: string;
  uptimeSeconds: number;
  window: WindowSnapshot;
  totals: {
    /** API requests (the live routes) since start. */
    requests: number;
    predictions: number;
    /** Predictions per class index since the current model loaded. */
    byClass: number[];
    /** Instances with an unseen category, per feature, since start. */
    unknownCategories: Record<string, number>;
    /** Rejected requests per reason since start. */
    rejected: Record<string, number>;
  };
  drift: { window: number; features: FeatureDrift[] };
  accuracy: AccuracySnapshot;
  runtime: { memory: MemorySnapshot | null; eventLoopLagMs: number | null };
}

/** Counts by key, each with the attributes it is reported under. */
class Tallies<A, K extends string | number = string> {
  readonly #map = new Map<K, Tally<A>>();
  constructor(readonly attrsOf: (key: K) => A) {}
  /** The tally for `key`, created at zero on first use. */
  get(key: K): Tally<A> {
    let t = this.#map.get(key);
    if (!t) this.#map.set(key, t = { attrs: this.attrsOf(key), n: 0 });
    return t;
  }
  values(): Iterable<Tally<A>> {
    return this.#map.values();
  }
  record(): Record<string, number> {
    return Object.fromEntries([...this.#map].map(([k, t]) => [k, t.n]));
  }
}

/** Request counters of one route, by status. */
export class RouteMetrics {
  /** Attributes of the route's latency observations. */
  readonly attrs: RouteAttrs;
  readonly #byStatus: Tallies<RequestAttrs, number>;

  constructor(method: string, route: string, readonly live: boolean) {
    this.attrs = { method, route };
    this.#byStatus = new Tallies((status) => ({ method, route, status: String(status) }));
  }

  /** Counts one response with `status`. */
  count(status: number): void {
    this.#byStatus.get(status).n++;
  }

  /** Counts per status, for the requests counter. */
  tallies(): Iterable<Tally<RequestAttrs>> {
    return this.#byStatus.values();
  }
}

/** Reports from the request path, and snapshots for readers. */
export class Monitor implements Disposable {
  readonly #h: Histograms;
  readonly #options: MonitorOptions;
  readonly #window: LiveWindow;
  readonly #accuracy: LiveAccuracy;
  readonly #lag = new EventLoopLag();
  readonly #startedAt = Date.now();
  #lagRunning = false;

  #inFlight = 0;
  #apiRequests = 0;
  #predictions = 0;
  readonly #routes = new Map<string, RouteMetrics>();
  readonly #byLabel = new Tallies<ClassAttrs>((c) => ({ class: c }));
  readonly #rejected = new Tallies((reason) => ({ reason }));
  readonly #unknown = new Tallies((feature) => ({ feature }));
  readonly #feedback = new Tallies((outcome) => ({ outcome: outcome as "correct" | "incorrect" }));
  #startupSeconds: number | null = null;

  // Per model: class tallies by index, counts since load, drift.
  #model: ServingModel | undefined;
  #classTallies: Tally<ClassAttrs>[] = [];
  #byClass = new Float64Array(0);
  #drift: DriftTracker | undefined;
  #classShares: { attrs: ClassAttrs; share: number }[] = [];

  /**
   * @example
   * ```ts
   * import { createMeters } from "./meters.ts";
   * import { ModelHolder } from "../serving/model_holder.ts";
   *
   * const holder = new ModelHolder();
   * const { meter } = createMeters({ otlp: false });
   * const monitor = new Monitor(meter, holder, { driftWindow: 5000, accuracyWindow: 500 });
   * const predict = monitor.route("POST", "/v1/predict", true);
   * monitor.requestStarted();
   * monitor.requestFinished(predict, 200, 0.0008);
   * ```
   */
  constructor(meter: Meter, holder: ModelHolder, options: MonitorOptions) {
    this.#h = createHistograms(meter);
    this.#options = options;
    this.#window = new LiveWindow(options.liveSeconds ?? 60, options.now);
    this.#accuracy = new LiveAccuracy(options.accuracyWindow);
    // Both outcomes exist from the start, so accuracy reads 0 of n, not nothing.
    this.#feedback.get("correct");
    this.#feedback.get("incorrect");
    let modelAttrs: { of: ServingModel; attrs: ModelAttrs } | undefined;
    observeAll(meter, {
      requests: () => [...this.#routes.values()].flatMap((r) => [...r.tallies()]),
      inFlight: () => this.#inFlight,
      predictions: () => this.#byLabel.values(),
      rejected: () => this.#rejected.values(),
      unknownCategories: () => this.#unknown.values(),
      feedback: () => this.#feedback.values(),
      model: () => {
        const m = holder.model;
        if (!m) return null;
        if (modelAttrs?.of !== m) modelAttrs = { of: m, attrs: modelAttrsOf(m) };
        return modelAttrs.attrs;
      },
      driftBins: () => {
        // Bins exist from the moment a model is served, before any traffic.
        const m = holder.model;
        if (m && m !== this.#model) this.#useModel(m);
        return this.#drift?.binTallies() ?? [];
      },
      classShares: () => this.#classShares,
      startupSeconds: () => {
        if (this.#startupSeconds === null && holder.state.status === "ready") {
          const ready = Date.parse(holder.state.loadedAt);
          this.#startupSeconds = Math.max(0, (ready - performance.timeOrigin) / 1000);
        }
        return this.#startupSeconds;
      },
      memory: memorySnapshot,
      lagSeconds: () => (this.#lagRunning ? this.#lag.seconds : null),
    });
  }

  /** Starts the event-loop lag probe (servers only; tests leave it off). */
  startLagProbe(intervalMs = 500): void {
    this.#lag.start(intervalMs);
    this.#lagRunning = true;
  }

  [Symbol.dispose](): void {
    this.#lag.stop();
    this.#lagRunning = false;
  }

  requestStarted(): void {
    this.#inFlight++;
  }

  /**
   * The counters of one route, created on first use. `route` must be a
   * route template (or a fixed placeholder), never a raw path: raw paths are
   * unbounded label values. `live` requests also count on the status page.
   */
  route(method: string, route: string, live: boolean): RouteMetrics {
    const key = method + " " + route;
    let r = this.#routes.get(key);
    if (!r) this.#routes.set(key, r = new RouteMetrics(method, route, live));
    return r;
  }

  /** Records a finished request on `route` (from {@link route}). */
  requestFinished(route: RouteMetrics, status: number, seconds: number): void {
    this.#inFlight--;
    route.count(status);
    this.#h.duration.record(seconds, route.attrs);
    if (route.live) {
      this.#apiRequests++;
      this.#window.request(status, seconds);
    }
  }

  /** Records a request rejected before scoring; `reason` is the error code. */
  rejected(reason: string): void {
    this.#rejected.get(reason.toLowerCase()).n++;
  }

  /** Records a scored batch: class mix, confidence, unknown categories, drift. */
  predicted(model: ServingModel, batch: BatchPrediction): void {
    if (model !== this.#model) this.#useModel(model);
    const K = model.classes.length;
    for (let i = 0; i < batch.n; i++) {
      const k = batch.classIndex[i];
      const t = this.#classTallies[k];
      t.n++;
      this.#byClass[k]++;
      this.#h.probability.record(batch.proba[i * K + k], t.attrs);
      const unknown = batch.unknown[i];
      for (let u = 0; u < unknown.length; u++) this.#unknown.get(unknown[u]).n++;
    }
    this.#h.batchSize.record(batch.n);
    this.#predictions += batch.n;
    this.#window.predictions(batch.classIndex, K);
    this.#drift!.observe(batch);
  }

  /**
   * Records ground truth for one prediction. With a `key`, feedback whose key
   * is still in the live window is a replay: it is not counted (not in the
   * window, not in the exported counters), and the result is false.
   * `lagSeconds` (feedback by prediction id) is how long the label took.
   */
  feedback(correct: boolean, key?: number, lagSeconds?: number): boolean {
    if (!this.#accuracy.add(correct, key)) return false;
    this.#feedback.get(correct ? "correct" : "incorrect").n++;
    if (lagSeconds !== undefined) this.#h.labelLag.record(Math.max(0, lagSeconds));
    return true;
  }

  /** Live accuracy as it stands. */
  accuracy(): AccuracySnapshot {
    return this.#accuracy.snapshot();
  }

  /** A consistent read of everything, for the status endpoint. */
  snapshot(): MonitorSnapshot {
    const lag = this.#lagRunning ? this.#lag.seconds * 1000 : null;
    return {
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: (Date.now() - this.#startedAt) / 1000,
      window: this.#window.snapshot(),
      totals: {
        requests: this.#apiRequests,
        predictions: this.#predictions,
        byClass: Array.from(this.#byClass),
        unknownCategories: this.#unknown.record(),
        rejected: this.#rejected.record(),
      },
      drift: { window: this.#options.driftWindow, features: this.#drift?.snapshot() ?? [] },
      accuracy: this.#accuracy.snapshot(),
      runtime: { memory: memorySnapshot(), eventLoopLagMs: lag },
    };
  }

  /** Per-model state starts afresh when the holder serves a new model. */
  #useModel(model: ServingModel): void {
    this.#model = model;
    this.#classTallies = model.classes.map((c) => this.#byLabel.get(c));
    this.#byClass = new Float64Array(model.classes.length);
    this.#drift = new DriftTracker(
      model.bundle.schema,
      model.bundle.featureStats,
      this.#options.driftWindow,
    );
    const shares = model.bundle.training.classShares ?? [];
    this.#classShares = shares.length === model.classes.length
      ? this.#classTallies.map((t, k) => ({ attrs: t.attrs, share: shares[k] }))
      : [];
  }
}

function modelAttrsOf(m: ServingModel): ModelAttrs {
  const b = m.bundle;
  return {
    name: b.name,
    ...(b.version !== null ? { version: b.version } : {}),
    trained_at: b.createdAt,
    ...(b.promotedAt ? { promoted_at: b.promotedAt } : {}),
  };
}
