/**
 * Bot configuration: every knob is an environment variable, read and
 * validated once at start. Every problem found is reported, one line each,
 * so a user fixes them all in one go; no message ever repeats a secret.
 *
 * | Variable | Default | Meaning |
 * |---|---|---|
 * | `TELEGRAM_BOT_TOKEN` | — (required) | The token from @BotFather. |
 * | `TELEGRAM_API_ROOT` | `https://api.telegram.org` | Bot API server (tests: a local emulator). |
 * | `TELEGRAM_ALERT_CHATS` | — | Comma-separated chat ids that receive alerts. |
 * | `TELEGRAM_ALLOWED_USERS` | — | User ids who may query and press buttons. |
 * | `TELEGRAM_ALLOWED_CHATS` | — | Chat ids whose members may query and press buttons. |
 * | `TELEGRAM_WEBHOOK_SECRET` | — | `secret_token` for webhook mode (required there). |
 * | `BOT_PUBLIC_URL` | — | Webhook mode: the bot's public https URL; the webhook is set to `<url>/telegram`. |
 * | `ALERT_WEBHOOK_TOKEN` | — (required) | Bearer token Alertmanager sends to `POST /alerts`. |
 * | `BOT_PORT` | `8081` | Port of the intake/metrics server. |
 * | `BOT_HOST` | `127.0.0.1` | Interface it listens on. |
 * | `BOT_STORE` | `.mlops/bot.kv` | Deno KV file of the outbox (`:memory:` for throwaway runs). |
 * | `PROMETHEUS_URL` | — | For `/status` and `/drift`. |
 * | `ALERTMANAGER_URL` | — | For silences, `/alerts` and `/silences`. |
 * | `EDGE_URL` | — | For `/predict`, and `/status` without Prometheus. |
 * | `EDGE_API_KEY` | — | Bearer key for the edge when it has `API_KEYS` (`/predict`, its `/v1/ops`). |
 * | `MLFLOW_TRACKING_URI` | `./mlruns` | For `/model` and `/runs`. |
 * | `MODEL_NAME` | the edge's model | Registered model `/model` describes. |
 * | `RUNBOOK_URL` | — | Base URL of runbooks (`<base>/<alertname>`), unless an alert carries `runbook_url`. |
 * | `BOT_TIMEZONE` | `UTC` | Time zone of times shown in chats. |
 * | `BOT_BUTTON_TTL` | `8h` | How long alert buttons work. |
 * | `BOT_DEDUP_WINDOW` | `1h` | Identical notifications within it are delivered once. |
 * | `BOT_DEAD_LETTER_AFTER` | `1h` | Undeliverable this long → dead-letter list. |
 * | `BOT_EDIT_MAX_AGE` | `47h` | Older firing messages get a reply instead of an edit. |
 * | `BOT_CHAT_INTERVAL` | `1s` | Least time between two messages to one private chat. |
 * | `BOT_GROUP_INTERVAL` | `3s` | … to one group (Telegram allows 20 a minute). |
 * | `BOT_GLOBAL_RATE` | `25` | Messages per second over all chats (Telegram: about 30). |
 * | `BOT_LEASE` | `30s` | How long a delivering process owns a job (after a crash, others wait this long). |
 * | `BOT_RETRY_MAX` | `60s` | Longest back-off between delivery attempts. |
 * | `BOT_FULL_ALERTS` | `10` | Alerts shown in full in one message; the rest are counted. |
 * | `WATCHDOG_ALERTNAME` | `Watchdog` | The always-firing alert that proves the pipeline works. |
 * | `WATCHDOG_TIMEOUT` | `10m` | Silence from the Watchdog this long raises a Telegram message (`0s`: off). |
 *
 * Durations are a number with a unit: `500ms`, `30s`, `10m`, `8h`, `2d`.
 *
 * @module
 */
import { UserError } from "../lib/errors.ts";

/** Reads one environment variable; `Deno.env.get` fits. */
export type EnvReader = (name: string) => string | undefined;

/** Telegram's own Bot API server. */
export const TELEGRAM_API_ROOT = "https://api.telegram.org";

/** Everything the bot needs, resolved and validated. */
export interface BotConfig {
  token: string;
  apiRoot: string;
  alertChats: readonly number[];
  allowedUsers: readonly number[];
  allowedChats: readonly number[];
  webhookSecret: string | null;
  publicUrl: string | null;
  alertToken: string;
  port: number;
  hostname: string;
  /** Deno KV path; null opens the platform's default (Deno Deploy). */
  store: string | null;
  prometheusUrl: string | null;
  alertmanagerUrl: string | null;
  edgeUrl: string | null;
  /** Bearer key the edge accepts (its `API_KEYS`), or null. */
  edgeApiKey: string | null;
  mlflowUri: string | null;
  modelName: string | null;
  runbookUrl: string | null;
  timeZone: string;
  buttonTtlMs: number;
  dedupWindowMs: number;
  deadLetterAfterMs: number;
  editMaxAgeMs: number;
  chatIntervalMs: number;
  groupIntervalMs: number;
  globalRate: number;
  fullAlerts: number;
  leaseMs: number;
  retryMaxMs: number;
  watchdogName: string;
  watchdogTimeoutMs: number;
}

/** Defaults for everything that has one. */
export const DEFAULTS = {
  apiRoot: TELEGRAM_API_ROOT,
  port: 8081,
  hostname: "127.0.0.1",
  store: ".mlops/bot.kv",
  timeZone: "UTC",
  buttonTtlMs: 8 * 3600_000,
  dedupWindowMs: 3600_000,
  deadLetterAfterMs: 3600_000,
  editMaxAgeMs: 47 * 3600_000,
  chatIntervalMs: 1000,
  groupIntervalMs: 3000,
  globalRate: 25,
  fullAlerts: 10,
  leaseMs: 30_000,
  retryMaxMs: 60_000,
  watchdogName: "Watchdog",
  watchdogTimeoutMs: 10 * 60_000,
} as const;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/**
 * Milliseconds in a duration such as `30s` or `8h`; null when malformed.
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // null: one unit only
 * parseDuration("90m"); // 5400000
 * ```
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : null;
}

/**
 * Builds the config, or throws one {@link UserError} whose message has one
 * line per problem.
 *
 * @example
 * ```ts
 * const config = configFromEnv((name) => Deno.env.get(name));
 * ```
 */
export function configFromEnv(env: EnvReader, options: { webhook?: boolean } = {}): BotConfig {
  const problems: string[] = [];
  const get = (name: string) => {
    const v = env(name)?.trim();
    return v ? v : undefined;
  };

  const token = get("TELEGRAM_BOT_TOKEN");
  if (!token) problems.push("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)");
  else if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) {
    problems.push("TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<letters>)");
  }
  const alertToken = get("ALERT_WEBHOOK_TOKEN");
  if (!alertToken) {
    problems.push("ALERT_WEBHOOK_TOKEN is not set (the bearer token Alertmanager sends)");
  } else if (!/^[A-Za-z0-9._~+/-]+=*$/.test(alertToken) || alertToken.length < 16) {
    problems.push(
      "ALERT_WEBHOOK_TOKEN must be at least 16 characters of letters, digits and . _ ~ + / -",
    );
  }
  const webhookSecret = get("TELEGRAM_WEBHOOK_SECRET") ?? null;
  if (webhookSecret !== null && !/^[A-Za-z0-9_-]{1,256}$/.test(webhookSecret)) {
    problems.push("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -");
  }
  if (options.webhook && webhookSecret === null) {
    problems.push("TELEGRAM_WEBHOOK_SECRET is required in webhook mode");
  }

  const ids = (name: string): number[] => {
    const raw = get(name);
    if (!raw) return [];
    const out: number[] = [];
    for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
      const n = Number(part);
      if (!/^-?\d+$/.test(part) || !Number.isSafeInteger(n)) {
        problems.push(`${name}: "${part}" is not a numeric Telegram id`);
      } else out.push(n);
    }
    return out;
  };
  const url = (name: string, fallback: string | null = null): string | null => {
    const raw = get(name);
    if (!raw) return fallback;
    try {
      const u = new URL(raw);
      if (u.protocol !== "http:" && u.protocol !== "https:") {
        problems.push(`${name} must be an http(s) URL, got ${u.protocol}`);
        return null;
      }
      return raw.replace(/\/+$/, "");
    } catch {
      problems.push(`${name} is not a valid URL`);
      return null;
    }
  };
  const duration = (name: string, fallback: number, min = 1): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const ms = parseDuration(raw);
    if (ms === null || ms < min) {
      problems.push(`${name} must be a duration like 30s, 10m or 8h, got "${raw}"`);
      return fallback;
    }
    return ms;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return n;
  };

  const timeZone = get("BOT_TIMEZONE") ?? DEFAULTS.timeZone;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
  } catch {
    problems.push(`BOT_TIMEZONE: unknown time zone "${timeZone}"`);
  }
  const storeRaw = get("BOT_STORE");

  const config: BotConfig = {
    token: token ?? "",
    apiRoot: url("TELEGRAM_API_ROOT", DEFAULTS.apiRoot) ?? DEFAULTS.apiRoot,
    alertChats: ids("TELEGRAM_ALERT_CHATS"),
    allowedUsers: ids("TELEGRAM_ALLOWED_USERS"),
    allowedChats: ids("TELEGRAM_ALLOWED_CHATS"),
    webhookSecret,
    publicUrl: url("BOT_PUBLIC_URL"),
    alertToken: alertToken ?? "",
    port: int("BOT_PORT", DEFAULTS.port, 0, 65535),
    hostname: get("BOT_HOST") ?? DEFAULTS.hostname,
    store: storeRaw ?? DEFAULTS.store,
    prometheusUrl: url("PROMETHEUS_URL"),
    alertmanagerUrl: url("ALERTMANAGER_URL"),
    edgeUrl: url("EDGE_URL"),
    edgeApiKey: get("EDGE_API_KEY") ?? null,
    mlflowUri: get("MLFLOW_TRACKING_URI") ?? null,
    modelName: get("MODEL_NAME") ?? null,
    runbookUrl: url("RUNBOOK_URL"),
    timeZone,
    buttonTtlMs: duration("BOT_BUTTON_TTL", DEFAULTS.buttonTtlMs),
    dedupWindowMs: duration("BOT_DEDUP_WINDOW", DEFAULTS.dedupWindowMs),
    deadLetterAfterMs: duration("BOT_DEAD_LETTER_AFTER", DEFAULTS.deadLetterAfterMs),
    editMaxAgeMs: duration("BOT_EDIT_MAX_AGE", DEFAULTS.editMaxAgeMs),
    chatIntervalMs: duration("BOT_CHAT_INTERVAL", DEFAULTS.chatIntervalMs, 0),
    groupIntervalMs: duration("BOT_GROUP_INTERVAL", DEFAULTS.groupIntervalMs, 0),
    globalRate: int("BOT_GLOBAL_RATE", DEFAULTS.globalRate, 1, 1000),
    fullAlerts: int("BOT_FULL_ALERTS", DEFAULTS.fullAlerts, 1, 100),
    leaseMs: duration("BOT_LEASE", DEFAULTS.leaseMs, 500),
    retryMaxMs: duration("BOT_RETRY_MAX", DEFAULTS.retryMaxMs, 10),
    watchdogName: get("WATCHDOG_ALERTNAME") ?? DEFAULTS.watchdogName,
    watchdogTimeoutMs: duration("WATCHDOG_TIMEOUT", DEFAULTS.watchdogTimeoutMs, 0),
  };
  if (problems.length > 0) {
    throw new UserError(problems.join("\n"), { code: "BAD_CONFIG" });
  }
  return config;
}

/** Whether `user` in `chat` may query the bot and press its buttons. */
export function isAllowed(config: BotConfig, user: number | undefined, chat: number | undefined) {
  return (user !== undefined && config.allowedUsers.includes(user)) ||
    (chat !== undefined && config.allowedChats.includes(chat));
}

/** Settings that are valid but probably not what the user meant, one line each. */
export function configWarnings(config: BotConfig): string[] {
  const out: string[] = [];
  if (config.alertChats.length === 0) {
    out.push("TELEGRAM_ALERT_CHATS is empty: alerts are accepted but sent to no chat");
  }
  if (config.allowedUsers.length === 0 && config.allowedChats.length === 0) {
    out.push(
      "neither TELEGRAM_ALLOWED_USERS nor TELEGRAM_ALLOWED_CHATS is set: every query is refused",
    );
  }
  return out;
}
