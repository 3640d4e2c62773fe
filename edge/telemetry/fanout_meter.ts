/**
 * A {@link Meter} that records every measurement into several meters, and
 * can take on another meter later.
 *
 * `/metrics` reads from our own pull meter, while Deno's built-in
 * OpenTelemetry (`OTEL_DENO=true`) exports whatever goes through the global
 * provider over OTLP. One set of instruments feeding both keeps the two views
 * identical without instrumenting the code twice. The global provider's API
 * is loaded after start-up (it is not needed for the first prediction), so a
 * meter can {@link JoinableMeter.join} once its instruments exist: each one
 * is created on the newcomer too, and observable callbacks registered there.
 * Synchronous measurements made before the join reach only the meters that
 * were there.
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

/** A fanout meter that can add a meter after instruments were created. */
export interface JoinableMeter extends Meter {
  /** Records into `meter` too from now on. */
  join(meter: Meter): void;
}

/** An observable backed by one observable per underlying meter. */
class FanoutObservable implements Observable {
  readonly parts: Observable[] = [];
  readonly callbacks: ObservableCallback[] = [];
  constructor(readonly make: (m: Meter) => Observable) {}
  addCallback(callback: ObservableCallback): void {
    this.callbacks.push(callback);
    for (const p of this.parts) p.addCallback(callback);
  }
  removeCallback(callback: ObservableCallback): void {
    const i = this.callbacks.indexOf(callback);
    if (i >= 0) this.callbacks.splice(i, 1);
    for (const p of this.parts) p.removeCallback(callback);
  }
  join(m: Meter): Observable {
    const part = this.make(m);
    for (const cb of this.callbacks) part.addCallback(cb);
    this.parts.push(part);
    return part;
  }
}

type Adder = Counter & UpDownCounter;
type Recorder = Histogram & Gauge;

interface BatchEntry {
  callback: BatchObservableCallback;
  observables: Observable[];
  /** The wrapped callback registered on each meter, in meter order. */
  wrapped: BatchObservableCallback[];
}

class FanoutMeter implements JoinableMeter {
  readonly #meters: Meter[] = [];
  /** Joins each instrument created so far to a new meter. */
  readonly #joiners: ((m: Meter) => void)[] = [];
  readonly #batch: BatchEntry[] = [];

  constructor(first: Meter) {
    this.#meters.push(first);
  }

  join(meter: Meter): void {
    const index = this.#meters.length;
    this.#meters.push(meter);
    for (const j of this.#joiners) j(meter);
    for (const b of this.#batch) b.wrapped.push(this.#addBatch(meter, index, b));
  }

  createCounter<A extends MetricAttributes>(name: string, o?: MetricOptions): Counter<A> {
    return this.#adder((m) => m.createCounter(name, o));
  }
  createUpDownCounter<A extends MetricAttributes>(
    name: string,
    o?: MetricOptions,
  ): UpDownCounter<A> {
    return this.#adder((m) => m.createUpDownCounter(name, o));
  }
  createHistogram<A extends MetricAttributes>(name: string, o?: MetricOptions): Histogram<A> {
    return this.#recorder((m) => m.createHistogram(name, o));
  }
  createGauge<A extends MetricAttributes>(name: string, o?: MetricOptions): Gauge<A> {
    return this.#recorder((m) => m.createGauge(name, o));
  }
  createObservableGauge(name: string, o?: MetricOptions): Observable {
    return this.#observable((m) => m.createObservableGauge(name, o));
  }
  createObservableCounter(name: string, o?: MetricOptions): Observable {
    return this.#observable((m) => m.createObservableCounter(name, o));
  }
  createObservableUpDownCounter(name: string, o?: MetricOptions): Observable {
    return this.#observable((m) => m.createObservableUpDownCounter(name, o));
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const entry: BatchEntry = { callback, observables, wrapped: [] };
    this.#meters.forEach((m, i) => entry.wrapped.push(this.#addBatch(m, i, entry)));
    this.#batch.push(entry);
  }

  removeBatchObservableCallback(callback: BatchObservableCallback): void {
    const at = this.#batch.findIndex((b) => b.callback === callback);
    if (at < 0) return;
    const entry = this.#batch[at];
    this.#meters.forEach((m, i) =>
      m.removeBatchObservableCallback(entry.wrapped[i], entry.observables.map(own(i)))
    );
    this.#batch.splice(at, 1);
  }

  #addBatch(meter: Meter, i: number, entry: BatchEntry): BatchObservableCallback {
    const cb: BatchObservableCallback = (result) =>
      entry.callback({
        observe: (o, v, a) => result.observe(own(i)(o), v, a),
      } as BatchObservableResult);
    meter.addBatchObservableCallback(cb, entry.observables.map(own(i)));
    return cb;
  }

  #adder(make: (m: Meter) => Adder): Adder {
    const parts = this.#meters.map(make);
    this.#joiners.push((m) => parts.push(make(m)));
    return {
      add: (v, a, ctx) => {
        for (let i = 0; i < parts.length; i++) parts[i].add(v, a, ctx);
      },
    };
  }

  #recorder(make: (m: Meter) => Recorder): Recorder {
    const parts = this.#meters.map(make);
    this.#joiners.push((m) => parts.push(make(m)));
    return {
      record: (v, a, ctx) => {
        for (let i = 0; i < parts.length; i++) parts[i].record(v, a, ctx);
      },
    };
  }

  #observable(make: (m: Meter) => Observable): Observable {
    const o = new FanoutObservable(make);
    for (const m of this.#meters) o.join(m);
    this.#joiners.push((m) => o.join(m));
    return o;
  }
}

/** The part of `o` on the meter at `i` (observables not made here pass through). */
function own(i: number): (o: Observable) => Observable {
  return (o) => (o instanceof FanoutObservable ? o.parts[i] : o);
}

/**
 * A meter that starts with `first` and can {@link JoinableMeter.join} others.
 *
 * @example
 * ```ts
 * import { PullMeter } from "./pull_meter.ts";
 *
 * const meter = joinableMeter(new PullMeter());
 * const requests = meter.createCounter("mlops_http_requests_total");
 * import("@opentelemetry/api").then(({ metrics }) => meter.join(metrics.getMeter("mlops-edge")));
 * ```
 */
export function joinableMeter(first: Meter): JoinableMeter {
  return new FanoutMeter(first);
}

/**
 * One meter over `meters`; with a single meter, that meter itself, so the
 * common case pays nothing.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { PullMeter } from "./pull_meter.ts";
 *
 * const meter = fanoutMeter([new PullMeter(), metrics.getMeter("mlops-edge")]);
 * meter.createCounter("mlops_http_requests_total").add(1); // lands in both
 * ```
 */
export function fanoutMeter(meters: readonly Meter[]): Meter {
  if (meters.length === 0) throw new RangeError("fanoutMeter needs at least one meter");
  if (meters.length === 1) return meters[0];
  const fan = new FanoutMeter(meters[0]);
  for (const m of meters.slice(1)) fan.join(m);
  return fan;
}
