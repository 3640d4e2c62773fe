/**
 * Where measurements go: an SDK meter provider read on demand by `/metrics`,
 * plus, with `OTEL_DENO=true`, the global provider that Deno's built-in
 * OpenTelemetry registers and exports over OTLP.
 *
 * @module
 */
import { type Meter, metrics } from "@opentelemetry/api";
import type { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { VERSION } from "../../lib/version.ts";
import { fanoutMeter } from "./fanout_meter.ts";
import { instanceMeter } from "./instance_meter.ts";

/** Instrumentation scope of every edge instrument. */
export const METER_NAME = "mlops-edge";

/**
 * A reader that collects only when asked. Prometheus pulls, so there is
 * nothing to push, flush or shut down; cumulative temporality is what the
 * text format expects.
 */
class PullMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * The Prometheus text serializer, loaded on the first scrape: its package
 * also brings Node's HTTP server (for an exporter we do not use) and the
 * full semantic-conventions table, ~30 ms of start-up that would otherwise
 * sit between process start and the first prediction.
 */
async function loadSerializer(): Promise<PrometheusSerializer> {
  const { PrometheusSerializer } = await import("@opentelemetry/exporter-prometheus");
  // No target_info or otel_scope_* labels: one service, one scope, and every
  // extra label multiplies series in Prometheus.
  return new PrometheusSerializer("", false, undefined, true, true);
}

/** A meter to record with and a way to read everything back. */
export interface Meters {
  meter: Meter;
  /**
   * This process's random id: the `service.instance.id` of every OTLP point
   * (Prometheus' `instance` label once through the collector).
   */
  instanceId: string;
  /** All metrics in the Prometheus text exposition format (version 0.0.4). */
  scrape(): Promise<string>;
  shutdown(): Promise<void>;
}

/** Options for {@link createMeters}. */
export interface MetersOptions {
  /** Also record into the global provider (Deno's OTLP exporter when on). */
  otlp: boolean;
  /** The instance id (default: a random UUID). */
  instanceId?: string;
}

/**
 * Creates the meter pipeline.
 *
 * @example
 * ```ts
 * const { meter, scrape } = createMeters({ otlp: Deno.env.get("OTEL_DENO") === "true" });
 * meter.createCounter("mlops_http_requests_total").add(1);
 * console.log(await scrape());
 * ```
 */
export function createMeters(options: MetersOptions): Meters {
  const reader = new PullMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  const own = provider.getMeter(METER_NAME, VERSION);
  const instanceId = options.instanceId ?? crypto.randomUUID();
  // Pulled /metrics needs no id: Prometheus names the target it scraped.
  const meter = options.otlp
    ? fanoutMeter([own, instanceMeter(metrics.getMeter(METER_NAME, VERSION), instanceId)])
    : own;
  let serializer: Promise<PrometheusSerializer> | undefined;
  return {
    meter,
    instanceId,
    async scrape() {
      serializer ??= loadSerializer();
      const { resourceMetrics, errors } = await reader.collect();
      for (const e of errors) console.error("metrics: collection error:", e);
      return (await serializer).serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}
