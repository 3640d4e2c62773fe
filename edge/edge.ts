/**
 * One edge instance: config in, app plus the state behind it out. Both the
 * server entry point and the tests build the edge this way, so tests run
 * exactly what production runs.
 *
 * @module
 */
import type { Hono } from "hono";
import { UserError } from "../lib/errors.ts";
import type { ModelBundle } from "../lib/model/mod.ts";
import { printable } from "../lib/printable.ts";
import { createApp } from "./app.ts";
import type { EdgeConfig } from "./config.ts";
import type { EdgeEnv } from "./env.ts";
import { Challenger, checkChallenger } from "./serving/challenger.ts";
import { loadBundle, type LoadBundleOptions } from "./serving/load_bundle.ts";
import { ModelHolder, type ModelState } from "./serving/model_holder.ts";
import { createPredictionIds, type PredictionIds, randomSecret } from "./serving/prediction_id.ts";
import { kvReplayGuard, memoryReplayGuard, type ReplayGuard } from "./serving/replay_guard.ts";
import { StatusBoard } from "./status/public_status.ts";
import { createMeters, type Meters } from "./telemetry/meters.ts";
import { Monitor } from "./telemetry/monitor.ts";

/** A wired edge. */
export interface Edge extends AsyncDisposable {
  app: Hono<EdgeEnv>;
  holder: ModelHolder;
  /** The challenger, when the config names one (loaded by {@link load} or {@link loadChallenger}). */
  challenger: Challenger | null;
  monitor: Monitor;
  meters: Meters;
  /**
   * Loads the model from `config.model` (or from `bundle` when given), then,
   * when no `bundle` is given, the configured challenger.
   * Never throws; the resulting state (the champion's) says how it went.
   */
  load(bundle?: ModelBundle, options?: LoadBundleOptions): Promise<ModelState>;
  /**
   * Loads the challenger from `config.challenger` (or from `bundle`), once
   * the champion is ready, refusing one that does not fit it. Never throws;
   * the challenger's state says how it went (the champion serves either way).
   */
  loadChallenger(bundle?: ModelBundle, options?: LoadBundleOptions): Promise<ModelState>;
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
  const challenger = config.challenger
    ? new Challenger(new ModelHolder(), config.challenger.mode, config.challenger.share)
    : null;
  const monitor = new Monitor(meters.meter, holder, {
    driftWindow: config.driftWindow,
    accuracyWindow: config.accuracyWindow,
    challenger: challenger?.holder,
  });
  const ids = createPredictionIds({
    secrets: config.predictionIdSecrets.length > 0 ? config.predictionIdSecrets : [randomSecret()],
    ttlMs: config.predictionIdTtlSeconds * 1000,
  });
  const replay = openReplayGuard(config);
  const board = new StatusBoard({
    holder,
    challenger,
    monitor,
    instanceId: meters.instanceId,
    prometheusUrl: config.prometheusUrl,
    alertmanagerUrl: config.alertmanagerUrl,
    job: config.statusJob,
    cacheMs: config.statusCacheSeconds * 1000,
  });
  const app = createApp(config, {
    holder,
    challenger,
    monitor,
    ids,
    replay,
    scrape: meters.scrape,
    board,
    instanceId: meters.instanceId,
  });
  const loadChallenger = (bundle?: ModelBundle, options?: LoadBundleOptions) => {
    if (!challenger || !config.challenger) {
      return Promise.resolve<ModelState>({
        status: "failed",
        reason: "no challenger is configured",
        at: new Date().toISOString(),
      });
    }
    const source = config.challenger.model;
    return challenger.holder.load(async () => {
      const champion = holder.model;
      if (!champion) throw new UserError("challenger not loaded: the champion is not serving");
      const b = bundle ?? await loadBundle(source, { maxBytes: config.maxModelBytes, ...options });
      checkChallenger(champion.bundle, b);
      return b;
    });
  };
  return {
    app,
    holder,
    challenger,
    monitor,
    meters,
    async load(bundle, options) {
      const state = await holder.load(() =>
        bundle ?? loadBundle(config.model, { maxBytes: config.maxModelBytes, ...options })
      );
      if (!bundle && challenger) await loadChallenger(undefined, options);
      return state;
    },
    loadChallenger,
    async [Symbol.asyncDispose]() {
      monitor[Symbol.dispose]();
      (await replay.catch(() => null))?.close();
      await meters.shutdown();
    },
  };
}

/**
 * Where judged prediction ids are remembered. A `FEEDBACK_KV_PATH` that
 * cannot be opened is not replaced by memory (that would weaken the
 * guarantee silently): feedback by id then answers 503 with the reason.
 * Deno Deploy's own KV is used when the app has one; without it (no KV
 * database attached to the app) the edge says so in one line and keeps
 * judged ids per isolate.
 */
function openReplayGuard(config: EdgeConfig): Promise<ReplayGuard> {
  const store = config.feedbackStore;
  const memory = () => memoryReplayGuard(config.predictionMemory);
  if (store.kind === "memory") return Promise.resolve(memory());
  const opened = (async () => kvReplayGuard(await Deno.openKv(store.path)))();
  if (store.path === undefined) {
    return opened.catch((e) => {
      console.log(printable(
        `mlops edge: Deno KV is not available (${e instanceof Error ? e.message : String(e)}); ` +
          "judged prediction ids are remembered per isolate only",
      ));
      return memory();
    });
  }
  opened.catch(() => {}); // reported when feedback needs it
  return opened;
}

export type { PredictionIds, ReplayGuard };
