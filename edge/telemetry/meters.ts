/**
 * Where measurements go: a pull meter that `/metrics` renders on demand
 * (`pull_meter.ts`), plus, with `OTEL_DENO=true`, the global provider that
 * Deno's built-in OpenTelemetry registers and exports over OTLP.
 *
 * @module
 */
import type { Meter } from "@opentelemetry/api";
import { VERSION } from "../../lib/version.ts";
import { joinableMeter } from "./fanout_meter.ts";
import { PullMeter } from "./pull_meter.ts";

/** Instrumentation scope of every edge instrument. */
export const METER_NAME = "mlops-edge";

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
  /** Resolves once the OTLP path (when on) records too. */
  ready: Promise<void>;
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
 * Creates the meter pipeline. The OTLP side (the OpenTelemetry API and the
 * instance stamp) is loaded in the background: the first prediction does
 * not wait for it, and histogram points recorded before it joins are only in
 * `/metrics` (counters and gauges are read at export time, so OTLP sees all
 * of them).
 *
 * @example
 * ```ts
 * const { meter, scrape } = createMeters({ otlp: Deno.env.get("OTEL_DENO") === "true" });
 * meter.createCounter("mlops_http_requests_total").add(1);
 * console.log(await scrape());
 * ```
 */
export function createMeters(options: MetersOptions): Meters {
  const pull = new PullMeter();
  const instanceId = options.instanceId ?? crypto.randomUUID();
  // Pulled /metrics needs no id: Prometheus names the target it scraped.
  let meter: Meter = pull;
  let ready = Promise.resolve();
  if (options.otlp) {
    const fan = joinableMeter(pull);
    meter = fan;
    ready = Promise.all([import("@opentelemetry/api"), import("./instance_meter.ts")]).then(
      ([{ metrics }, { instanceMeter }]) =>
        fan.join(instanceMeter(metrics.getMeter(METER_NAME, VERSION), instanceId)),
    );
  }
  return {
    meter,
    instanceId,
    scrape: () => pull.render(),
    ready,
    shutdown: () => Promise.resolve(),
  };
}
