/**
 * Runs the bot against the Telegram emulator: in-process (fast, for most
 * tests) or as the real `bot/main.ts` child process (for kill -9 and
 * restart), plus builders for Alertmanager webhook payloads.
 *
 * @module
 */
import { type BotApp, type BotAppOptions, createBotApp } from "../../bot/app.ts";
import { configFromEnv } from "../../bot/config.ts";
import { spawnChild } from "./child.ts";
import { TelegramEmulator } from "./telegram_emulator.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** A bot token shaped like a real one (the redactor must recognise it). */
export const TOKEN = "123456789:AAHtest-token-0123456789abcdefghijklmn";
/** The bearer token Alertmanager sends in tests. */
export const ALERT_TOKEN = "alert-webhook-token-0123456789";
/** The alert chat tests use (a group). */
export const ALERT_CHAT = -1001234567890;
/** An allowed user. */
export const ADMIN = { id: 42, username: "ada", first_name: "Ada" };
/** A user nobody allowed. */
export const STRANGER = { id: 666, username: "mallory", first_name: "Mallory" };

/** Environment for a test bot talking to `emu`, with fast pacing. */
export function botEnv(
  emu: TelegramEmulator,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: emu.apiRoot,
    TELEGRAM_ALERT_CHATS: String(ALERT_CHAT),
    TELEGRAM_ALLOWED_USERS: String(ADMIN.id),
    ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
    BOT_PORT: "0",
    BOT_STORE: ":memory:",
    BOT_CHAT_INTERVAL: "30ms",
    BOT_GROUP_INTERVAL: "30ms",
    BOT_GLOBAL_RATE: "200",
    WATCHDOG_TIMEOUT: "0s",
    ...extra,
  };
}

/** An emulator with the alert chat and a private chat for {@link ADMIN}, fast flood limits. */
export async function startEmulator(
  options: Partial<ConstructorParameters<typeof TelegramEmulator>[0]> = {},
): Promise<TelegramEmulator> {
  const emu = new TelegramEmulator({
    token: TOKEN,
    chatIntervalMs: 25,
    groupPerMinute: 1000,
    groupWindowMs: 1000,
    globalPerSecond: 1000,
    ...options,
  });
  await emu.start();
  emu.addChat(ALERT_CHAT, "oncall");
  emu.addChat(ADMIN.id, "Ada");
  emu.addChat(STRANGER.id, "Mallory");
  return emu;
}

/** A bot running in this process. */
export interface InProcessBot extends AsyncDisposable {
  app: BotApp;
  /** Base URL of its HTTP server. */
  url: string;
  /** What it logged. */
  logs: string[];
}

/**
 * Starts the bot in-process on a free port, polling `emu`.
 *
 * @example
 * ```ts
 * await using emu = await startEmulator();
 * await using bot = await startBot(emu);
 * ```
 */
export async function startBot(
  emu: TelegramEmulator,
  env: Record<string, string> = {},
  options: BotAppOptions & { mode?: "polling" | "webhook" | "none" } = {},
): Promise<InProcessBot> {
  const all = botEnv(emu, env);
  const config = configFromEnv((k) => all[k]);
  const logs: string[] = [];
  const app = await createBotApp(config, {
    log: (l) => logs.push(l),
    leaseMs: 3000,
    retryMaxMs: 300,
    pollMs: 50,
    maxRetryAfterSeconds: 3,
    ...options,
  });
  const ready = Promise.withResolvers<number>();
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => ready.resolve(port),
  }, app.http.fetch);
  const port = await ready.promise;
  if (options.mode !== "none") await app.start(options.mode ?? "polling");
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    logs,
    async [Symbol.asyncDispose]() {
      await app.stop();
      await server.shutdown();
    },
  };
}

/** A bot running as `deno run bot/main.ts`. */
export interface BotProcess extends AsyncDisposable {
  url: string;
  output(): string;
  child: Deno.ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<Deno.CommandStatus>;
}

/** Starts `bot/main.ts` with `env` and waits for its "listening" line. */
export async function startBotProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<BotProcess> {
  const child = spawnChild(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}bot/main.ts`],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
  });
  const t0 = Date.now();
  const listening = /listening on http:\/\/[^:]+:(\d+)\//;
  await child.waitFor((out) => listening.test(out), { timeoutMs, what: "bot did not start" });
  // Polling starts after listening; wait for the line that says so.
  await child.until((out) => /is polling/.test(out), { timeoutMs: timeoutMs - (Date.now() - t0) });
  return {
    url: `http://127.0.0.1:${listening.exec(child.output())![1]}`,
    output: child.output,
    child: child.process,
    exited: child.status,
    async [Symbol.asyncDispose]() {
      await child.stop();
    },
  };
}

/** One alert for {@link notification}. */
export interface AlertSpec {
  name?: string;
  status?: "firing" | "resolved";
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
}

/** An Alertmanager webhook payload (version 4) as Alertmanager builds it. */
export function notification(alerts: AlertSpec[], group: Record<string, string> = {}) {
  const built = alerts.map((a, i) => {
    const labels: Record<string, string> = {
      alertname: a.name ?? "EdgeDown",
      severity: "critical",
      ...a.labels,
    };
    return {
      status: a.status ?? "firing",
      labels,
      annotations: { summary: `${labels.alertname} ${i}`, ...a.annotations },
      startsAt: a.startsAt ?? "2025-03-01T10:00:00Z",
      endsAt: a.endsAt ??
        (a.status === "resolved" ? "2025-03-01T10:05:00Z" : "0001-01-01T00:00:00Z"),
      generatorURL: "http://prometheus.example:9090/graph?g0.expr=up",
      fingerprint: a.fingerprint ?? `f${i.toString(16).padStart(15, "0")}`,
    };
  });
  const common = (key: "labels") => {
    const first = built[0]?.[key] ?? {};
    return Object.fromEntries(
      Object.entries(first).filter(([k, v]) => built.every((b) => b[key][k] === v)),
    );
  };
  const groupLabels = { alertname: built[0]?.labels.alertname ?? "x", ...group };
  return {
    version: "4",
    groupKey: `{}:{alertname="${groupLabels.alertname}"}`,
    truncatedAlerts: 0,
    status: built.some((a) => a.status === "firing") ? "firing" : "resolved",
    receiver: "mlops-bot",
    groupLabels,
    commonLabels: common("labels"),
    commonAnnotations: {},
    externalURL: "http://alertmanager.example:9093",
    alerts: built,
  };
}

/** POSTs a payload to the bot's `/alerts`. */
export function postAlerts(
  url: string,
  body: unknown,
  token: string | null = ALERT_TOKEN,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return postTo(`${url}/alerts`, body, token);
}

/** POSTs a notification (lib/notify/bot.ts's contract) to the bot's `/notify`. */
export function postNotify(
  url: string,
  body: unknown,
  token: string | null = ALERT_TOKEN,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return postTo(`${url}/notify`, body, token);
}

/** POSTs JSON (or a raw string) with a bearer token; the status and the JSON answer. */
async function postTo(
  endpoint: string,
  body: unknown,
  token: string | null,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: await res.json() };
}
