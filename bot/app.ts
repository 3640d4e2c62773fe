/**
 * One bot, assembled: the store, the Telegram client, the features (each a
 * grammY composer), the delivery worker, the Watchdog, and the HTTP app
 * (`POST /alerts`, `POST /notify`, `/metrics`, health, and `POST /telegram`
 * for webhook mode). `main.ts` runs it with long polling, `deploy.ts` with a webhook;
 * nothing else differs.
 *
 * @module
 */
import { type Bot, webhookCallback } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { run, type RunnerHandle } from "@grammyjs/runner";
import { Hono } from "hono";
import { ApiError, metricsHandler } from "../edge/http.ts";
import { openStore as openMlflow, type TrackingStore } from "../lib/mlflow/mod.ts";
import { Alertmanager } from "./backends/alertmanager.ts";
import type { BotConfig } from "./config.ts";
import type { BotContext, Deps } from "./context.ts";
import { Pacer } from "./delivery/pacer.ts";
import { DeliveryWorker } from "./delivery/worker.ts";
import { access } from "./features/access.ts";
import { alerts } from "./features/alerts.ts";
import { buttons } from "./features/buttons.ts";
import { COMMANDS } from "./features/commands.ts";
import { drift } from "./features/drift.ts";
import { help, unknownCommand } from "./features/help.ts";
import { model } from "./features/model.ts";
import { predict } from "./features/predict.ts";
import { runs } from "./features/runs.ts";
import { silences } from "./features/silences.ts";
import { status } from "./features/status.ts";
import { intakeHandler } from "./http/intake.ts";
import { notifyHandler } from "./http/notify.ts";
import { createLog, errorText, type Log } from "./log.ts";
import { type BotMetrics, createBotMetrics } from "./metrics.ts";
import { openStore } from "./store/kv.ts";
import { Outbox } from "./store/outbox.ts";
import { classify, createTelegramBot } from "./telegram/client.ts";
import { Watchdog } from "./watchdog.ts";

/** Knobs tests and benchmarks turn; defaults suit production. */
export interface BotAppOptions {
  /** An open store (default: `config.store`). */
  kv?: Deno.Kv;
  /** Skip `getMe` at start. */
  botInfo?: UserFromGetMe;
  log?: Log;
  /** Overrides `config.leaseMs`. */
  leaseMs?: number;
  /** Overrides `config.retryMaxMs`. */
  retryMaxMs?: number;
  /** How often idle queues are looked at (default 500 ms). */
  pollMs?: number;
  /** Longest `retry_after` waited in place (default 20 s). */
  maxRetryAfterSeconds?: number;
  /** Webhook mode: answer Telegram after this long, finishing the update after (default 5 s). */
  webhookAckMs?: number;
}

/** A running (or ready to run) bot. */
export interface BotApp {
  bot: Bot<BotContext>;
  /** `POST /alerts`, `POST /notify`, `GET /metrics`, `/healthz`, `/readyz`, `POST /telegram`. */
  http: Hono;
  outbox: Outbox;
  worker: DeliveryWorker;
  watchdog: Watchdog | null;
  metrics: BotMetrics;
  deps: Deps;
  /**
   * Starts delivery, then reaches Telegram (retrying while it is
   * unreachable), registers the commands and, for "polling", polls.
   * Rejects only when Telegram refuses the token.
   */
  start(mode: "polling" | "webhook"): Promise<void>;
  /** Stops everything and closes the store. */
  stop(): Promise<void>;
}

/** Memoizes an async read for `ms` (one scrape reads the outbox once). */
function memo<T>(read: () => Promise<T>, ms = 500): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | undefined;
  return () => {
    if (!value || Date.now() - at > ms) {
      at = Date.now();
      value = read();
    }
    return value;
  };
}

/**
 * Builds the bot from a validated config.
 *
 * @example
 * ```ts
 * import { configFromEnv } from "./config.ts";
 *
 * const app = await createBotApp(configFromEnv((k) => Deno.env.get(k)));
 * Deno.serve({ port: 8081 }, app.http.fetch);
 * await app.start("polling");
 * ```
 */
export async function createBotApp(config: BotConfig, o: BotAppOptions = {}): Promise<BotApp> {
  const log = o.log ?? createLog([config.token, config.alertToken, config.webhookSecret ?? ""]);
  const kv = o.kv ?? await openStore(config.store);
  const outbox = new Outbox(kv);
  let watchdog: Watchdog | null = null;
  const metrics = createBotMetrics({
    outbox: memo(() => outbox.stats()),
    watchdogLastSeen: async () => {
      const s = await watchdog?.state();
      return s?.seen ? s.lastSeen : null;
    },
  });
  const bot = createTelegramBot({
    token: config.token,
    apiRoot: config.apiRoot,
    metrics,
    botInfo: o.botInfo,
    maxRetryAfterSeconds: o.maxRetryAfterSeconds,
  }) as unknown as Bot<BotContext>;

  let mlflow: TrackingStore | undefined;
  const deps: Deps = {
    config,
    outbox,
    metrics,
    alertmanager: config.alertmanagerUrl ? new Alertmanager(config.alertmanagerUrl) : null,
    mlflow: () => mlflow ??= openMlflow(config.mlflowUri ?? undefined),
    log,
  };
  bot.use((ctx, next) => {
    ctx.mlops = deps;
    return next();
  });
  bot.use(access());
  bot.use(help(), status(), model(), alerts(), silences(), drift(), runs(), predict());
  bot.use(buttons());
  bot.use(unknownCommand());
  bot.catch((err) => log(`update ${err.ctx.update.update_id} failed: ${errorText(err.error)}`));

  const worker = new DeliveryWorker({
    outbox,
    api: bot.api,
    pacer: new Pacer(config),
    metrics,
    chats: config.alertChats,
    format: {
      fullAlerts: config.fullAlerts,
      timeZone: config.timeZone,
      runbookUrl: config.runbookUrl,
    },
    deadLetterAfterMs: config.deadLetterAfterMs,
    editMaxAgeMs: config.editMaxAgeMs,
    buttonTtlMs: config.buttonTtlMs,
    leaseMs: o.leaseMs ?? config.leaseMs,
    retryMaxMs: o.retryMaxMs ?? config.retryMaxMs,
    pollMs: o.pollMs,
    log,
  });
  if (config.watchdogTimeoutMs > 0 && config.alertChats.length > 0) {
    watchdog = new Watchdog({
      outbox,
      chats: config.alertChats,
      timeoutMs: config.watchdogTimeoutMs,
      timeZone: config.timeZone,
      queued: () => worker.wake(),
    });
  }

  const http = new Hono();
  http.post(
    "/alerts",
    intakeHandler({
      token: config.alertToken,
      outbox,
      watchdog,
      watchdogName: config.watchdogName,
      metrics,
      chats: config.alertChats,
      dedupWindowMs: config.dedupWindowMs,
      fullAlerts: config.fullAlerts,
      queued: (chats) => worker.wake(chats),
    }),
  );
  http.post(
    "/notify",
    notifyHandler({
      token: config.alertToken,
      outbox,
      metrics,
      chats: config.alertChats,
      dedupWindowMs: config.dedupWindowMs,
      queued: (chats) => worker.wake(chats),
    }),
  );
  http.get("/metrics", metricsHandler(metrics.scrape));
  http.get("/healthz", (c) => c.json({ status: "ok" }));
  http.get("/readyz", async (c) => {
    const s = await outbox.stats();
    return c.json({ status: "ready", outbox_depth: s.depth, dead_letters: s.dead });
  });
  if (config.webhookSecret) {
    // Telegram waits about a minute for an answer and retries on timeout;
    // answer after at most 5 s and let slow commands finish afterwards.
    http.post(
      "/telegram",
      webhookCallback(bot, "hono", {
        secretToken: config.webhookSecret,
        onTimeout: "return",
        timeoutMilliseconds: o.webhookAckMs ?? 5000,
      }),
    );
  }
  http.onError((err, c) => {
    if (err instanceof ApiError) return err.getResponse();
    log(`${c.req.method} ${c.req.path} failed: ${errorText(err)}`);
    return c.json({ error_code: "INTERNAL_ERROR", message: "internal server error" }, 500);
  });
  http.notFound((c) =>
    c.json({ error_code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}` }, 404)
  );

  let runner: RunnerHandle | undefined;
  let stopping = false;
  let restart: ReturnType<typeof setTimeout> | undefined;
  // Long polling, restarted if it dies (409: another instance polls with
  // this token; the intake and delivery keep working meanwhile).
  const poll = () => {
    runner = run(bot, {
      runner: {
        fetch: { allowed_updates: ["message", "callback_query"] },
        silent: true,
        retryInterval: "exponential",
        maxRetryTime: Infinity,
      },
    });
    runner.task()?.catch((e) => {
      if (stopping) return;
      log(`polling stopped: ${errorText(e)}; retrying in 5 s`);
      restart = setTimeout(() => !stopping && poll(), 5000);
    });
  };
  // getMe until Telegram answers: network errors and 5xx are retried (said
  // once in the log), a refusal (wrong token) is final.
  const connect = async () => {
    if (o.botInfo) return;
    let wait = 1000;
    let told = false;
    while (!stopping) {
      try {
        bot.botInfo = await bot.api.getMe();
        if (told) log("Telegram answers again");
        return;
      } catch (e) {
        const f = classify(e);
        if (f.kind !== "retry") throw new Error(`Telegram refused getMe: ${f.reason}`);
        if (!told) log(`Telegram is unreachable (${f.reason}); alerts are queued meanwhile`);
        told = true;
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 30_000);
      }
    }
  };
  return {
    bot,
    http,
    outbox,
    worker,
    watchdog,
    metrics,
    deps,
    async start(mode) {
      // Delivery first: alerts are accepted and queued even while Telegram
      // is unreachable, and go out as soon as it answers.
      await worker.start();
      watchdog?.start();
      await connect();
      await bot.api.setMyCommands(COMMANDS).catch((e) =>
        log(`setMyCommands failed: ${errorText(e)}`)
      );
      if (mode === "webhook" && config.publicUrl && config.webhookSecret) {
        await bot.api.setWebhook(`${config.publicUrl}/telegram`, {
          secret_token: config.webhookSecret,
          allowed_updates: ["message", "callback_query"],
        });
      }
      if (mode === "polling") {
        // A webhook left from a Deploy run would make getUpdates fail with 409.
        await bot.api.deleteWebhook().catch((e) => log(`deleteWebhook failed: ${errorText(e)}`));
        poll();
      }
    },
    async stop() {
      stopping = true;
      clearTimeout(restart);
      watchdog?.stop();
      if (runner?.isRunning()) await runner.stop();
      await worker.stop();
      kv.close();
    },
  };
}
