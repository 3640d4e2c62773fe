/**
 * One edge instance: config in, app plus the state behind it out. Both the
 * server entry point and the tests build the edge this way, so tests run
 * exactly what production runs.
 *
 * @module
 */
import type { Hono } from "hono";
import type { ModelBundle } from "../lib/model/types.ts";
import { createApp } from "./app.ts";
import type { EdgeConfig } from "./config.ts";
import type { EdgeEnv } from "./env.ts";
import { loadBundle, type LoadBundleOptions } from "./serving/load_bundle.ts";
import { ModelHolder, type ModelState } from "./serving/model_holder.ts";
import { PredictionLog } from "./serving/prediction_log.ts";
import { StatusBoard } from "./status/public_status.ts";
import { createMeters, type Meters } from "./telemetry/meters.ts";
import { Monitor } from "./telemetry/monitor.ts";

/** A wired edge. */
export interface Edge extends AsyncDisposable {
  app: Hono<EdgeEnv>;
  holder: ModelHolder;
  monitor: Monitor;
  meters: Meters;
  /**
   * Loads the model from `config.model` (or from `bundle` when given).
   * Never throws; the resulting state says how it went.
   */
  load(bundle?: ModelBundle, options?: LoadBundleOptions): Promise<ModelState>;
}

/**
 * Builds an edge; the model is not loaded until `load()` is called, so a
 * server can listen (and answer `/healthz`) while it loads.
 *
 * @example
 * ```ts
 * import { configFromEnv } from "./config.ts";
 *
 * await using edge = createEdge(configFromEnv((k) => Deno.env.get(k)));
 * Deno.serve(edge.app.fetch);
 * await edge.load();
 * ```
 */
export function createEdge(config: EdgeConfig): Edge {
  const meters = createMeters({ otlp: config.otel });
  const holder = new ModelHolder();
  const monitor = new Monitor(meters.meter, holder, {
    driftWindow: config.driftWindow,
    accuracyWindow: config.accuracyWindow,
  });
  const log = new PredictionLog(config.predictionMemory);
  const board = new StatusBoard({
    holder,
    monitor,
    instanceId: meters.instanceId,
    prometheusUrl: config.prometheusUrl,
    alertmanagerUrl: config.alertmanagerUrl,
    job: config.statusJob,
    cacheMs: config.statusCacheSeconds * 1000,
  });
  const app = createApp(config, {
    holder,
    monitor,
    log,
    scrape: meters.scrape,
    board,
    instanceId: meters.instanceId,
  });
  return {
    app,
    holder,
    monitor,
    meters,
    load: (bundle, options) =>
      holder.load(() =>
        bundle ?? loadBundle(config.model, { maxBytes: config.maxModelBytes, ...options })
      ),
    async [Symbol.asyncDispose]() {
      monitor[Symbol.dispose]();
      await meters.shutdown();
    },
  };
}
