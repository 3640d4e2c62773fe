/**
 * Every metric the edge exports, in one place: names, units and buckets
 * follow Prometheus conventions (`_total` counters, base units in the name,
 * seconds and bytes), so dashboards read the same under OTLP and `/metrics`.
 *
 * Only distributions are recorded per request (histograms). Counts are kept
 * in plain tallies by the monitor and reported through asynchronous
 * (observable) instruments when a reader collects: the same OpenTelemetry
 * data, without paying the SDK's per-measurement attribute hashing on the
 * hot path.
 *
 * No instrument sets `valueType`: Deno's built-in meter accepts only the
 * default (double), and counts are exact in doubles anyway.
 *
 * @module
 */
import type { Histogram, Meter } from "@opentelemetry/api";
import type { BinAttrs } from "./drift.ts";
import type { FeedbackAttrs, ModelClassAttrs, ModelLabels } from "./model_stats.ts";

/** Scoring time buckets, seconds: one model validating and scoring a request's instances. */
export const SCORING_BUCKETS = [
  0.00001,
  0.000025,
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.1,
  0.5,
];
/** Request latency buckets, seconds: dense below 10 ms, where predictions live. */
export const LATENCY_BUCKETS = [
  0.00025,
  0.0005,
  0.001,
  0.002,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];
/** Probability buckets: deciles. */
export const PROBABILITY_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** Batch size buckets, instances. */
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000];
/** Label lag buckets, seconds: from a second to a week. */
export const LABEL_LAG_BUCKETS = [1, 10, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400];

/** Attributes of one HTTP request. */
export type RequestAttrs = { method: string; route: string; status: string };
/** Attributes of a latency observation. */
export type RouteAttrs = { method: string; route: string };
/** Attributes naming a class of one model. */
export type ClassAttrs = ModelClassAttrs;

/** The instruments recorded per request. */
export interface Histograms {
  duration: Histogram<RouteAttrs>;
  probability: Histogram<ClassAttrs>;
  batchSize: Histogram;
  /** Seconds from a prediction to the feedback that named its true label, per answer. */
  labelLag: Histogram<ModelLabels>;
  /** Seconds one model took to validate and score a request's instances. */
  scoring: Histogram<ModelLabels>;
}

/**
 * Creates the per-request histograms on `meter`.
 *
 * @example
 * ```ts
 * import { createMeters } from "./meters.ts";
 *
 * const h = createHistograms(createMeters({ otlp: false }).meter);
 * h.duration.record(0.0008, { method: "POST", route: "/v1/predict" });
 * ```
 */
export function createHistograms(meter: Meter): Histograms {
  return {
    duration: meter.createHistogram("mlops_http_request_duration_seconds", {
      description: "Time from request arrival to response, by method and route template.",
      unit: "s",
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    }),
    probability: meter.createHistogram("mlops_prediction_probability", {
      description: "Probability the model gave its predicted class, by model and class.",
      advice: { explicitBucketBoundaries: PROBABILITY_BUCKETS },
    }),
    batchSize: meter.createHistogram("mlops_prediction_batch_size", {
      description: "Instances per scoring request.",
      advice: { explicitBucketBoundaries: BATCH_BUCKETS },
    }),
    labelLag: meter.createHistogram("mlops_feedback_label_lag_seconds", {
      description:
        "Time from a prediction to feedback naming its true label (feedback by prediction_id), " +
        "per model answer; its count over predictions is the share of predictions that get labelled.",
      unit: "s",
      advice: { explicitBucketBoundaries: LABEL_LAG_BUCKETS },
    }),
    scoring: meter.createHistogram("mlops_model_scoring_duration_seconds", {
      description:
        "Time one model took to validate and score a request's instances, by model (shadow work " +
        "included); recorded while a challenger is served.",
      unit: "s",
      advice: { explicitBucketBoundaries: SCORING_BUCKETS },
    }),
  };
}

/** A cumulative count with the attributes it is reported under. */
export interface Tally<A> {
  attrs: A;
  n: number;
}

/** What the asynchronous instruments read when collected. */
export interface Sources {
  requests(): Iterable<Tally<RequestAttrs>>;
  inFlight(): number;
  predictions(): Iterable<Tally<ClassAttrs>>;
  rejected(): Iterable<Tally<{ reason: string }>>;
  unknownCategories(): Iterable<Tally<{ feature: string }>>;
  feedback(): Iterable<Tally<FeedbackAttrs>>;
  /** One entry per loaded model (champion first); empty when none is ready. */
  models(): readonly ModelAttrs[];
  /** Cumulative drift bin counts of every loaded model, with training shares. */
  driftBins(): Iterable<{ attrs: BinAttrs; n: number; expected: number }>;
  /** Training share per class of every loaded model (none when a bundle lacks it). */
  classShares(): Iterable<{ attrs: ClassAttrs; share: number }>;
  /** Seconds from process start until the first model was ready, once it is. */
  startupSeconds(): number | null;
  memory(): { rssBytes: number; heapUsedBytes: number } | null;
  lagSeconds(): number | null;
}

/** Labels identifying a model an instance serves (absent ones left out). */
export type ModelAttrs = {
  name: string;
  version?: string;
  trained_at: string;
  promoted_at?: string;
  model_role: ModelLabels["model_role"];
};

/**
 * Registers every asynchronous instrument; `sources` is only read when a
 * reader (a `/metrics` scrape, an OTLP export) collects.
 *
 * @example
 * ```ts
 * import { createMeters } from "./meters.ts";
 *
 * declare const sources: Sources; // what the monitor reads its gauges and counters from
 * observeAll(createMeters({ otlp: false }).meter, sources);
 * ```
 */
export function observeAll(meter: Meter, sources: Sources): void {
  const counter = <A extends Record<string, string>>(
    name: string,
    description: string,
    read: () => Iterable<Tally<A>>,
  ) =>
    meter.createObservableCounter(name, { description }).addCallback((o) => {
      for (const t of read()) o.observe(t.n, t.attrs);
    });
  const gauge = (
    name: string,
    description: string,
    read: () => number | null,
    unit?: string,
  ) =>
    meter.createObservableGauge(name, { description, ...(unit ? { unit } : {}) }).addCallback(
      (o) => {
        const v = read();
        if (v !== null) o.observe(v);
      },
    );

  counter(
    "mlops_http_requests_total",
    "HTTP requests by method, route template and status code.",
    sources.requests,
  );
  counter(
    "mlops_predictions_total",
    "Instances scored, by model and predicted class (a shadow challenger's included).",
    sources.predictions,
  );
  counter(
    "mlops_validation_failures_total",
    "Requests rejected before scoring, by reason (the error code).",
    sources.rejected,
  );
  counter(
    "mlops_unknown_categories_total",
    "Instances carrying a category unseen in training, by feature.",
    sources.unknownCategories,
  );
  counter(
    "mlops_feedback_total",
    "Ground-truth labels received, by model and whether its answer was right.",
    sources.feedback,
  );
  gauge("mlops_http_requests_in_flight", "Requests currently being handled.", sources.inFlight);

  meter.createObservableGauge("mlops_model_info", {
    description: "Always 1 while a model is loaded, one series per model; its labels identify it " +
      "(no version label: unregistered) and its role (champion or challenger).",
  }).addCallback((o) => {
    for (const m of sources.models()) o.observe(1, m);
  });
  gauge(
    "mlops_model_ready",
    "1 when the champion is loaded and serving, else 0.",
    () => (sources.models().length > 0 ? 1 : 0),
  );
  meter.createObservableCounter("mlops_feature_bin_total", {
    description: "Scored instances by feature and training bin (bin index; " +
      "missing and unseen values are not counted). Sum over instances, then compare " +
      "with mlops_feature_bin_expected_ratio: PSI.",
  }).addCallback((o) => {
    for (const b of sources.driftBins()) o.observe(b.n, b.attrs);
  });
  meter.createObservableGauge("mlops_feature_bin_expected_ratio", {
    description: "Share of training rows in each feature bin, by model (the drift baseline).",
  }).addCallback((o) => {
    for (const b of sources.driftBins()) o.observe(b.expected, b.attrs);
  });
  meter.createObservableGauge("mlops_class_expected_ratio", {
    description: "Share of training rows per class, by model (the class-mix baseline).",
  }).addCallback((o) => {
    for (const c of sources.classShares()) o.observe(c.share, c.attrs);
  });
  // The standard name's meaning: a restart, or a scrape reaching another
  // process behind a load balancer, shows up as a change.
  gauge(
    "mlops_process_start_time_seconds",
    "Start time of the process since the Unix epoch.",
    () => performance.timeOrigin / 1000,
    "s",
  );
  gauge(
    "mlops_startup_duration_seconds",
    "Cold start: seconds from process start until the first model was ready to serve.",
    sources.startupSeconds,
    "s",
  );
  gauge(
    "mlops_process_resident_memory_bytes",
    "Resident set size of the process.",
    () => sources.memory()?.rssBytes ?? null,
    "By",
  );
  gauge(
    "mlops_process_heap_used_bytes",
    "V8 heap in use.",
    () => sources.memory()?.heapUsedBytes ?? null,
    "By",
  );
  gauge(
    "mlops_event_loop_lag_seconds",
    "How late the last event-loop probe timer fired.",
    sources.lagSeconds,
    "s",
  );
}
