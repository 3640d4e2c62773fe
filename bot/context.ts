/**
 * The context every composer sees: grammY's, plus the bot's dependencies
 * under `ctx.mlops` (put there by the first middleware), so a feature can be
 * tested alone with whatever dependencies a test gives it.
 *
 * @module
 */
import type { Context } from "grammy";
import type { Alertmanager } from "./backends/alertmanager.ts";
import type { BotConfig } from "./config.ts";
import type { Log } from "./log.ts";
import type { BotMetrics } from "./metrics.ts";
import type { Outbox } from "./store/outbox.ts";
import type { TrackingStore } from "../lib/mlflow/mod.ts";

/** What features use. */
export interface Deps {
  config: BotConfig;
  outbox: Outbox;
  metrics: BotMetrics;
  /** Null when `ALERTMANAGER_URL` is not set. */
  alertmanager: Alertmanager | null;
  /** The MLflow store, opened on first use. */
  mlflow: () => TrackingStore;
  log: Log;
}

/** grammY's context with the bot's dependencies. */
export type BotContext = Context & { mlops: Deps };
