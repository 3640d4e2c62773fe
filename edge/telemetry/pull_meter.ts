/**
 * An OpenTelemetry {@link Meter} that aggregates in memory, cumulatively, and
 * renders the Prometheus text exposition format (0.0.4) when scraped.
 *
 * Why not the OpenTelemetry SDK's MeterProvider and Prometheus serializer:
 * the SDK is the largest module graph the edge would load (about a third of
 * its cold start, before the first prediction), and recording into it hashes
 * each measurement's attributes: three histogram records per prediction were
 * about 3 µs of the ~40 µs a prediction took. Here a series is found by the
 * identity of its attributes object (the edge reuses one object per route,
 * class and model), so recording is a weak-map lookup and a bucket search.
 * The API is OpenTelemetry's, so the same instruments also feed Deno's
 * built-in OTLP exporter through the fanout meter (`fanout_meter.ts`).
 *
 * What is implemented is what the edge and the bot use: counters, up-down
 * counters, histograms with explicit buckets, gauges, and observable
 * counters, up-down counters and gauges (callbacks may be async), batch
 * callbacks included. Families without a point are not rendered.
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

/** The Prometheus type a family is rendered as. */
type Kind = "counter" | "gauge" | "histogram";

/** OpenTelemetry's default histogram boundaries, for histograms without advice. */
const DEFAULT_BUCKETS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** One labelled series of a family. */
interface Series {
  labels: string;
  value: number;
  /** Histograms: count per bucket (the last is +Inf), not cumulative. */
  counts?: Float64Array;
  sum?: number;
}

/** Series by attributes: the same object finds its series without hashing. */
class SeriesMap {
  readonly #byObject = new WeakMap<object, Series>();
  readonly #byLabels = new Map<string, Series>();
  readonly #buckets: number;

  constructor(buckets = 0) {
    this.#buckets = buckets;
  }

  get(attrs: Attributes | undefined): Series {
    if (attrs !== undefined) {
      const hit = this.#byObject.get(attrs);
      if (hit !== undefined) return hit;
    }
    // One series per label set, whatever order the keys come in; it is
    // written in the order it was first given.
    const key = labelText(attrs, true);
    let s = this.#byLabels.get(key);
    if (s === undefined) {
      s = { labels: labelText(attrs), value: 0 };
      if (this.#buckets > 0) {
        s.counts = new Float64Array(this.#buckets + 1);
        s.sum = 0;
      }
      this.#byLabels.set(key, s);
    }
    if (attrs !== undefined) this.#byObject.set(attrs, s);
    return s;
  }

  values(): IterableIterator<Series> {
    return this.#byLabels.values();
  }

  clear(): void {
    this.#byLabels.clear();
  }
}

/** A metric family: its header and how to read its series. */
interface Family {
  name: string;
  help: string;
  kind: Kind;
  /** Synchronous instruments' series; observables collect into a fresh map per scrape. */
  series: SeriesMap;
  boundaries?: readonly number[];
  observable?: PullObservable;
}

class PullObservable implements Observable {
  readonly callbacks: ObservableCallback[] = [];
  constructor(readonly family: Family) {}
  addCallback(callback: ObservableCallback): void {
    if (!this.callbacks.includes(callback)) this.callbacks.push(callback);
  }
  removeCallback(callback: ObservableCallback): void {
    const i = this.callbacks.indexOf(callback);
    if (i >= 0) this.callbacks.splice(i, 1);
  }
}

/** A {@link Meter} whose measurements {@link PullMeter.render} reads back. */
export class PullMeter implements Meter {
  readonly #families: Family[] = [];
  readonly #byName = new Map<string, Family>();
  readonly #batch: { callback: BatchObservableCallback; observables: Observable[] }[] = [];

  createCounter<A extends MetricAttributes>(name: string, o?: MetricOptions): Counter<A> {
    const f = this.#family(name, "counter", o);
    return {
      add(v, a) {
        if (v >= 0) f.series.get(a).value += v;
      },
    };
  }

  createUpDownCounter<A extends MetricAttributes>(
    name: string,
    o?: MetricOptions,
  ): UpDownCounter<A> {
    const f = this.#family(name, "gauge", o);
    return {
      add(v, a) {
        f.series.get(a).value += v;
      },
    };
  }

  createHistogram<A extends MetricAttributes>(name: string, o?: MetricOptions): Histogram<A> {
    const f = this.#family(name, "histogram", o);
    const b = f.boundaries!;
    return {
      record(v, a) {
        if (!(v === v)) return; // NaN: no bucket holds it
        const s = f.series.get(a);
        let lo = 0, hi = b.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (b[mid] < v) lo = mid + 1;
          else hi = mid;
        }
        s.counts![lo]++;
        s.sum! += v;
        s.value++;
      },
    };
  }

  createGauge<A extends MetricAttributes>(name: string, o?: MetricOptions): Gauge<A> {
    const f = this.#family(name, "gauge", o);
    return {
      record(v, a) {
        f.series.get(a).value = v;
      },
    };
  }

  createObservableGauge(name: string, o?: MetricOptions): Observable {
    return this.#observable(name, "gauge", o);
  }

  createObservableCounter(name: string, o?: MetricOptions): Observable {
    return this.#observable(name, "counter", o);
  }

  createObservableUpDownCounter(name: string, o?: MetricOptions): Observable {
    return this.#observable(name, "gauge", o);
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.#batch.push({ callback, observables });
  }

  removeBatchObservableCallback(callback: BatchObservableCallback): void {
    const i = this.#batch.findIndex((b) => b.callback === callback);
    if (i >= 0) this.#batch.splice(i, 1);
  }

  /**
   * Every family with at least one point, in the order the instruments were
   * created, as Prometheus text. Observable callbacks run now (async ones are
   * awaited); one that throws is reported and its family left out.
   *
   * @example
   * ```ts
   * const meter = new PullMeter();
   * meter.createCounter("jobs_total", { description: "Jobs." }).add(1, { kind: "a" });
   * await meter.render(); // '# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{kind="a"} 1\n'
   * ```
   */
  async render(): Promise<string> {
    const observed = new Map<Family, SeriesMap>();
    const into = (o: Observable) => {
      const f = (o as PullObservable).family;
      let m = observed.get(f);
      if (!m) observed.set(f, m = new SeriesMap());
      return m;
    };
    const runs: Promise<unknown>[] = [];
    for (const f of this.#families) {
      if (!f.observable) continue;
      const target = into(f.observable);
      const result: ObservableResult = {
        observe: (v, a) => {
          if (typeof v === "number") target.get(a).value = v;
        },
      };
      for (const cb of f.observable.callbacks) runs.push(settle(f.name, () => cb(result)));
    }
    for (const { callback } of this.#batch) {
      const result: BatchObservableResult = {
        observe: (o, v, a) => {
          if (o instanceof PullObservable && typeof v === "number") into(o).get(a).value = v;
        },
      };
      runs.push(settle("batch callback", () => callback(result)));
    }
    await Promise.all(runs);

    let out = "";
    for (const f of this.#families) {
      const series = f.observable ? observed.get(f) : f.series;
      if (!series) continue;
      let body = "";
      for (const s of series.values()) {
        body += f.kind === "histogram" ? histogramLines(f, s) : sample(f.name, s.labels, s.value);
      }
      if (body === "") continue;
      out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.kind}\n${body}`;
    }
    return out;
  }

  #family(name: string, kind: Kind, o?: MetricOptions, observable = false): Family {
    const existing = this.#byName.get(name);
    if (existing) {
      if (existing.kind !== kind || Boolean(existing.observable) !== observable) {
        throw new TypeError(`metric ${name} is already registered as another kind`);
      }
      return existing;
    }
    const boundaries = kind === "histogram"
      ? [...(o?.advice?.explicitBucketBoundaries ?? DEFAULT_BUCKETS)].sort((a, b) => a - b)
      : undefined;
    const f: Family = {
      name: sanitizeName(name),
      help: o?.description ?? "",
      kind,
      series: new SeriesMap(boundaries?.length ?? 0),
      ...(boundaries ? { boundaries } : {}),
    };
    if (observable) f.observable = new PullObservable(f);
    this.#families.push(f);
    this.#byName.set(name, f);
    return f;
  }

  #observable(name: string, kind: Kind, o?: MetricOptions): Observable {
    return this.#family(name, kind, o, true).observable!;
  }
}

async function settle(what: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (e) {
    console.error(`metrics: collecting ${what} failed:`, e);
  }
}

function histogramLines(f: Family, s: Series): string {
  const b = f.boundaries!, counts = s.counts!;
  const sep = s.labels === "" ? "" : ",";
  let out = "", cumulative = 0;
  for (let i = 0; i < b.length; i++) {
    cumulative += counts[i];
    out += `${f.name}_bucket{${s.labels}${sep}le="${formatNumber(b[i])}"} ${cumulative}\n`;
  }
  out += `${f.name}_bucket{${s.labels}${sep}le="+Inf"} ${s.value}\n`;
  out += sample(f.name + "_sum", s.labels, s.sum!);
  out += sample(f.name + "_count", s.labels, s.value);
  return out;
}

function sample(name: string, labels: string, value: number): string {
  return labels === ""
    ? `${name} ${formatNumber(value)}\n`
    : `${name}{${labels}} ${formatNumber(value)}\n`;
}

/**
 * `k1="v1",k2="v2"` in the order the attributes were given (as
 * OpenTelemetry's exporter writes them), or `sorted` by key (the series'
 * identity), escaped as the text format requires.
 */
function labelText(attrs: Attributes | undefined, sorted = false): string {
  if (attrs === undefined) return "";
  const keys = Object.keys(attrs).filter((k) => attrs[k] !== undefined);
  if (sorted) keys.sort();
  return keys.map((k) => `${sanitizeLabel(k)}="${escapeValue(String(attrs[k]))}"`).join(",");
}

function formatNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";
}

function sanitizeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1");
}

function sanitizeLabel(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([0-9])/, "_$1");
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
