/**
 * A {@link Meter} that stamps every measurement with this instance's id.
 *
 * On Deno Deploy one deployment runs as many isolates, all with the same
 * environment, and Deno's built-in OpenTelemetry names none of them in its
 * resource (no `service.instance.id`), so their OTLP series would carry
 * identical labels and overwrite each other in the collector: counters jump
 * between isolates and `rate()` lies. Each edge process therefore draws a
 * random id at start and attaches it as the `service.instance.id` attribute
 * of every point it exports over OTLP. The collector config
 * (`monitoring/otel-collector.yml`) moves that attribute to the resource,
 * where its Prometheus exporter turns it into the `instance` label.
 *
 * Merged attribute objects are cached per original object: the edge reuses
 * one attributes object per route, class and tally, so stamping allocates
 * nothing per request.
 *
 * @module
 */
import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MetricAttributes,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableResult,
  UpDownCounter,
} from "@opentelemetry/api";

/** The attribute carrying the instance id (OpenTelemetry's semantic convention). */
export const INSTANCE_ATTRIBUTE = "service.instance.id";

/** Adds `extra` to attribute objects, once per distinct object. */
function merger(extra: Attributes): (a?: Attributes) => Attributes {
  const cache = new WeakMap<Attributes, Attributes>();
  return (a) => {
    if (a === undefined) return extra;
    let merged = cache.get(a);
    if (merged === undefined) cache.set(a, merged = { ...a, ...extra });
    return merged;
  };
}

class StampedObservable implements Observable {
  readonly #wrapped = new Map<ObservableCallback, ObservableCallback>();
  constructor(readonly inner: Observable, readonly stamp: (a?: Attributes) => Attributes) {}
  addCallback(callback: ObservableCallback): void {
    const cb: ObservableCallback = (result) =>
      callback({ observe: (v, a) => result.observe(v, this.stamp(a)) } as ObservableResult);
    this.#wrapped.set(callback, cb);
    this.inner.addCallback(cb);
  }
  removeCallback(callback: ObservableCallback): void {
    const cb = this.#wrapped.get(callback);
    if (cb) this.inner.removeCallback(cb);
    this.#wrapped.delete(callback);
  }
}

class StampedMeter implements Meter {
  readonly #inner: Meter;
  readonly #stamp: (a?: Attributes) => Attributes;
  readonly #batch = new Map<BatchObservableCallback, BatchObservableCallback>();

  constructor(inner: Meter, extra: Attributes) {
    this.#inner = inner;
    this.#stamp = merger(extra);
  }

  createCounter<A extends MetricAttributes>(name: string, o?: MetricOptions): Counter<A> {
    const c = this.#inner.createCounter(name, o);
    return { add: (v, a, ctx) => c.add(v, this.#stamp(a), ctx) };
  }
  createUpDownCounter<A extends MetricAttributes>(
    name: string,
    o?: MetricOptions,
  ): UpDownCounter<A> {
    const c = this.#inner.createUpDownCounter(name, o);
    return { add: (v, a, ctx) => c.add(v, this.#stamp(a), ctx) };
  }
  createHistogram<A extends MetricAttributes>(name: string, o?: MetricOptions): Histogram<A> {
    const h = this.#inner.createHistogram(name, o);
    return { record: (v, a, ctx) => h.record(v, this.#stamp(a), ctx) };
  }
  createGauge<A extends MetricAttributes>(name: string, o?: MetricOptions): Gauge<A> {
    const g = this.#inner.createGauge(name, o);
    return { record: (v, a, ctx) => g.record(v, this.#stamp(a), ctx) };
  }
  createObservableGauge(name: string, o?: MetricOptions): Observable {
    return new StampedObservable(this.#inner.createObservableGauge(name, o), this.#stamp);
  }
  createObservableCounter(name: string, o?: MetricOptions): Observable {
    return new StampedObservable(this.#inner.createObservableCounter(name, o), this.#stamp);
  }
  createObservableUpDownCounter(name: string, o?: MetricOptions): Observable {
    return new StampedObservable(this.#inner.createObservableUpDownCounter(name, o), this.#stamp);
  }
  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const inner = (o: Observable) => (o instanceof StampedObservable ? o.inner : o);
    const cb: BatchObservableCallback = (result) =>
      callback({
        observe: (o, v, a) => result.observe(inner(o), v, this.#stamp(a)),
      } as BatchObservableResult);
    this.#batch.set(callback, cb);
    this.#inner.addBatchObservableCallback(cb, observables.map(inner));
  }
  removeBatchObservableCallback(
    callback: BatchObservableCallback,
    observables: Observable[],
  ): void {
    const cb = this.#batch.get(callback);
    if (!cb) return;
    const inner = (o: Observable) => (o instanceof StampedObservable ? o.inner : o);
    this.#inner.removeBatchObservableCallback(cb, observables.map(inner));
    this.#batch.delete(callback);
  }
}

/**
 * `meter`, with `{ "service.instance.id": instanceId }` added to every
 * measurement's attributes.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * const meter = instanceMeter(metrics.getMeter("mlops-edge"), crypto.randomUUID());
 * meter.createCounter("mlops_http_requests_total").add(1, { route: "/v1/predict" });
 * // exported with route and service.instance.id
 * ```
 */
export function instanceMeter(meter: Meter, instanceId: string): Meter {
  return new StampedMeter(meter, { [INSTANCE_ATTRIBUTE]: instanceId });
}
