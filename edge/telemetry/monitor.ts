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
import type { ModelRole } from "../serving/challenger.ts";
import type { FeatureDrift } from "./drift.ts";
import {
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
import { ModelStats } from "./model_stats.ts";
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
  /** Where the challenger is loaded, when the edge has one. */
  challenger?: ModelHolder;
}

/** One loaded model's numbers on this instance, for the status pages. */
export interface ModelSnapshot {
  role: ModelRole;
  name: string;
  version: string | null;
  /** Instances scored since load (a shadow challenger scores every one). */
  predictions: number;
  byClass: Record<string, number>;
  accuracy: AccuracySnapshot;
  /** Highest PSI over the drift window, null until a feature has enough samples. */
  maxPsi: number | null;
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
  /** Every loaded model, champion first. */
  models: ModelSnapshot[];
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
  readonly #holder: ModelHolder;
  readonly #challenger: ModelHolder | undefined;
  #lagRunning = false;

  #inFlight = 0;
  #apiRequests = 0;
  #predictions = 0;
  readonly #routes = new Map<string, RouteMetrics>();
  readonly #rejected = new Tallies((reason) => ({ reason }));
  readonly #unknown = new Tallies((feature) => ({ feature }));
  #startupSeconds: number | null = null;

  // Per model: counts since load, drift, live accuracy. A model that is no
  // longer loaded keeps its entry (late feedback still finds it) but is no
  // longer exported.
  readonly #stats = new Map<ServingModel, ModelStats>();
  #last: ModelStats | undefined;
  #infos: { of: ServingModel; attrs: ModelAttrs }[] = [];

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
    this.#holder = holder;
    this.#challenger = options.challenger;
    this.#window = new LiveWindow(options.liveSeconds ?? 60, options.now);
    this.#accuracy = new LiveAccuracy(options.accuracyWindow);
    observeAll(meter, {
      requests: () => [...this.#routes.values()].flatMap((r) => [...r.tallies()]),
      inFlight: () => this.#inFlight,
      predictions: () => this.#loaded().flatMap((s) => s.classTallies),
      rejected: () => this.#rejected.values(),
      unknownCategories: () => this.#unknown.values(),
      feedback: () => this.#loaded().flatMap((s) => s.feedback),
      models: () => {
        const models = this.#loaded().map((s) => s.model);
        if (
          models.some((m, i) => this.#infos[i]?.of !== m) || models.length !== this.#infos.length
        ) {
          this.#infos = this.#loaded().map((s) => ({ of: s.model, attrs: modelAttrsOf(s) }));
        }
        return this.#infos.map((i) => i.attrs);
      },
      // Bins exist from the moment a model is served, before any traffic.
      driftBins: () => this.#loaded().flatMap((s) => s.drift.binTallies()),
      classShares: () => this.#loaded().flatMap((s) => s.classShares),
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

  /**
   * Whether scoring is timed per model: while a challenger is served, when
   * the comparison needs it. Alone, the champion's time is the request's
   * (`mlops_http_request_duration_seconds`), and one more histogram record
   * per request would cost ~5 µs of attribute hashing in the SDK.
   */
  get timesScoring(): boolean {
    return this.#challenger?.model !== undefined;
  }

  /**
   * Records a batch `model` scored in `seconds`: its class mix, confidence,
   * drift and (while {@link timesScoring}) scoring time. The batch the client got (`answered`) also counts
   * as traffic: the last minute, unseen categories, batch size. A shadow
   * challenger's batch (`answered: false`) counts for that model only.
   */
  predicted(model: ServingModel, batch: BatchPrediction, seconds = 0, answered = true): void {
    const stats = this.stats(model);
    const K = model.classes.length;
    const tallies = stats.classTallies;
    for (let i = 0; i < batch.n; i++) {
      const t = tallies[batch.classIndex[i]];
      t.n++;
      this.#h.probability.record(batch.proba[i * K + batch.classIndex[i]], t.attrs);
    }
    stats.predictions += batch.n;
    stats.drift.observe(batch);
    if (this.timesScoring) this.#h.scoring.record(seconds, stats.labels);
    if (!answered) return;
    for (let i = 0; i < batch.n; i++) {
      const unknown = batch.unknown[i];
      for (let u = 0; u < unknown.length; u++) this.#unknown.get(unknown[u]).n++;
    }
    this.#h.batchSize.record(batch.n);
    this.#predictions += batch.n;
    this.#window.predictions(batch.classIndex, K);
  }

  /**
   * Records ground truth for one prediction: each answer given for it (the
   * client's first, then a shadow challenger's) is counted right or wrong
   * for its model (an answer whose model is no longer served counts only in
   * this instance's live accuracy). With a `key`, feedback whose key is still in the live
   * window is a replay: nothing is counted (not in the windows, not in the
   * exported counters), and the result is false. `lagSeconds` (feedback by
   * prediction id) is how long the label took.
   */
  feedback(
    answers: readonly { model: ServingModel | undefined; label: string }[],
    actual: string,
    key?: number,
    lagSeconds?: number,
  ): boolean {
    if (answers.length === 0) return false;
    if (!this.#accuracy.add(answers[0].label === actual, key)) return false;
    for (const a of answers) {
      // A model no longer served has no series left to count in.
      if (a.model === undefined) continue;
      const stats = this.stats(a.model);
      stats.judged(a.label === actual);
      if (lagSeconds !== undefined) this.#h.labelLag.record(Math.max(0, lagSeconds), stats.labels);
    }
    return true;
  }

  /** Live accuracy of the answers clients got, as it stands on this instance. */
  accuracy(): AccuracySnapshot {
    return this.#accuracy.snapshot();
  }

  /**
   * The counts of `model`, created at zero on first use. Its role is the
   * holder it is loaded in: the challenger's, or else the champion's.
   */
  stats(model: ServingModel): ModelStats {
    const last = this.#last;
    if (last !== undefined && last.model === model) return last;
    let s = this.#stats.get(model);
    if (s === undefined) {
      const role = this.#challenger?.model === model ? "challenger" : "champion";
      this.#stats.set(model, s = new ModelStats(model, role, this.#options));
    }
    return this.#last = s;
  }

  /** Stats of the models loaded now: the champion, then the challenger. */
  #loaded(): ModelStats[] {
    const out: ModelStats[] = [];
    const champion = this.#holder.model, challenger = this.#challenger?.model;
    if (champion) out.push(this.stats(champion));
    if (challenger) out.push(this.stats(challenger));
    return out;
  }

  /** A consistent read of everything, for the status endpoint. */
  snapshot(): MonitorSnapshot {
    const lag = this.#lagRunning ? this.#lag.seconds * 1000 : null;
    const loaded = this.#loaded();
    const champion = loaded.find((s) => s.role === "champion");
    return {
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: (Date.now() - this.#startedAt) / 1000,
      window: this.#window.snapshot(),
      totals: {
        requests: this.#apiRequests,
        predictions: this.#predictions,
        byClass: champion?.classTallies.map((t) => t.n) ?? [],
        unknownCategories: this.#unknown.record(),
        rejected: this.#rejected.record(),
      },
      drift: { window: this.#options.driftWindow, features: champion?.drift.snapshot() ?? [] },
      accuracy: this.#accuracy.snapshot(),
      models: loaded.map((s) => ({
        role: s.role,
        name: s.model.name,
        version: s.model.version,
        predictions: s.predictions,
        byClass: s.byClass(),
        accuracy: s.accuracy.snapshot(),
        maxPsi: maxPsi(s.drift.snapshot()),
      })),
      runtime: { memory: memorySnapshot(), eventLoopLagMs: lag },
    };
  }
}

function maxPsi(features: readonly FeatureDrift[]): number | null {
  let max: number | null = null;
  for (const f of features) if (f.psi !== null && (max === null || f.psi > max)) max = f.psi;
  return max;
}

function modelAttrsOf(s: ModelStats): ModelAttrs {
  const b = s.model.bundle;
  return {
    name: b.name,
    ...(b.version !== null ? { version: b.version } : {}),
    trained_at: b.createdAt,
    ...(b.promotedAt ? { promoted_at: b.promotedAt } : {}),
    model_role: s.role,
  };
}
