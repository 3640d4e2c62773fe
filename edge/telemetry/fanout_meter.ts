/**
 * A {@link Meter} that records every measurement into several meters.
 *
 * `/metrics` reads from our own SDK meter provider, while Deno's built-in
 * OpenTelemetry (`OTEL_DENO=true`) exports whatever goes through the global
 * provider over OTLP. One set of instruments feeding both keeps the two views
 * identical without instrumenting the code twice.
 *
 * @module
 */
import type {
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
  UpDownCounter,
} from "@opentelemetry/api";

/** An observable backed by one observable per underlying meter. */
class FanoutObservable implements Observable {
  constructor(readonly parts: readonly Observable[]) {}
  addCallback(callback: ObservableCallback): void {
    for (const p of this.parts) p.addCallback(callback);
  }
  removeCallback(callback: ObservableCallback): void {
    for (const p of this.parts) p.removeCallback(callback);
  }
}

type Adder = Counter & UpDownCounter;
type Recorder = Histogram & Gauge;

function adder(parts: Adder[]): Adder {
  return { add: (v, a, ctx) => parts.forEach((p) => p.add(v, a, ctx)) };
}

function recorder(parts: Recorder[]): Recorder {
  return { record: (v, a, ctx) => parts.forEach((p) => p.record(v, a, ctx)) };
}

class FanoutMeter implements Meter {
  readonly #meters: readonly Meter[];
  readonly #batch = new Map<BatchObservableCallback, BatchObservableCallback[]>();

  constructor(meters: readonly Meter[]) {
    this.#meters = meters;
  }

  createCounter<A extends MetricAttributes>(name: string, o?: MetricOptions): Counter<A> {
    return adder(this.#meters.map((m) => m.createCounter(name, o)));
  }
  createUpDownCounter<A extends MetricAttributes>(
    name: string,
    o?: MetricOptions,
  ): UpDownCounter<A> {
    return adder(this.#meters.map((m) => m.createUpDownCounter(name, o)));
  }
  createHistogram<A extends MetricAttributes>(name: string, o?: MetricOptions): Histogram<A> {
    return recorder(this.#meters.map((m) => m.createHistogram(name, o)));
  }
  createGauge<A extends MetricAttributes>(name: string, o?: MetricOptions): Gauge<A> {
    return recorder(this.#meters.map((m) => m.createGauge(name, o)));
  }
  createObservableGauge(name: string, o?: MetricOptions): Observable {
    return new FanoutObservable(this.#meters.map((m) => m.createObservableGauge(name, o)));
  }
  createObservableCounter(name: string, o?: MetricOptions): Observable {
    return new FanoutObservable(this.#meters.map((m) => m.createObservableCounter(name, o)));
  }
  createObservableUpDownCounter(name: string, o?: MetricOptions): Observable {
    return new FanoutObservable(
      this.#meters.map((m) => m.createObservableUpDownCounter(name, o)),
    );
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const wrapped = this.#meters.map((meter, i) => {
      const own = (o: Observable) => (o instanceof FanoutObservable ? o.parts[i] : o);
      const cb: BatchObservableCallback = (result) =>
        callback({
          observe: (o, v, a) => result.observe(own(o), v, a),
        } as BatchObservableResult);
      meter.addBatchObservableCallback(cb, observables.map(own));
      return cb;
    });
    this.#batch.set(callback, wrapped);
  }

  removeBatchObservableCallback(
    callback: BatchObservableCallback,
    observables: Observable[],
  ): void {
    const wrapped = this.#batch.get(callback);
    if (!wrapped) return;
    this.#meters.forEach((meter, i) => {
      const own = (o: Observable) => (o instanceof FanoutObservable ? o.parts[i] : o);
      meter.removeBatchObservableCallback(wrapped[i], observables.map(own));
    });
    this.#batch.delete(callback);
  }
}

/**
 * One meter over `meters`; with a single meter, that meter itself, so the
 * common case pays nothing.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { MeterProvider } from "@opentelemetry/sdk-metrics";
 *
 * const sdkProvider = new MeterProvider();
 * const meter = fanoutMeter([sdkProvider.getMeter("mlops-edge"), metrics.getMeter("mlops-edge")]);
 * meter.createCounter("mlops_http_requests_total").add(1); // lands in both
 * ```
 */
export function fanoutMeter(meters: readonly Meter[]): Meter {
  if (meters.length === 0) throw new RangeError("fanoutMeter needs at least one meter");
  return meters.length === 1 ? meters[0] : new FanoutMeter(meters);
}
