/**
 * The grammY bot object every part shares, with the Bot API client set up
 * once: the configured API root (a local emulator in tests), the runtime's
 * own `fetch`, rate-limit retries that honour `retry_after`
 * (`@grammyjs/auto-retry`), and per-method latency and error metrics.
 *
 * 5xx and network errors are not retried here: the outbox owns those
 * retries, so a long Telegram outage is waited out in the store, not in a
 * request held open in memory.
 *
 * @module
 */
import "./_quiet.ts";
import { Bot, GrammyError, HttpError } from "grammy";
import type { Transformer } from "grammy";
import { autoRetry } from "@grammyjs/auto-retry";
import type { BotMetrics } from "../metrics.ts";

/** Options of {@link createTelegramBot}. */
export interface TelegramOptions {
  token: string;
  apiRoot: string;
  metrics: BotMetrics;
  /** Longest `retry_after` waited in place; longer ones are rescheduled by the caller. */
  maxRetryAfterSeconds?: number;
  /** Skips `getMe` (webhook cold starts, tests). */
  botInfo?: Bot["botInfo"];
}

/** Records latency and errors of every call. */
export function metricsTransformer(metrics: BotMetrics): Transformer {
  return async (prev, method, payload, signal) => {
    const t0 = performance.now();
    try {
      const res = await prev(method, payload, signal);
      if (!res.ok) {
        metrics.telegramErrors.add(1, { method, code: String(res.error_code) });
      }
      return res;
    } catch (e) {
      metrics.telegramErrors.add(1, { method, code: e instanceof HttpError ? "network" : "other" });
      throw e;
    } finally {
      metrics.telegramDuration.record((performance.now() - t0) / 1000, { method });
    }
  };
}

/**
 * The runtime's own `fetch` for grammY's npm build, which would otherwise
 * use node-fetch. That build makes its abort signals with a polyfill the
 * runtime's `fetch` does not accept, so each is mirrored onto a native one
 * (and Node's `agent` option is dropped).
 */
export const runtimeFetch =
  ((input: RequestInfo | URL, init?: RequestInit & { agent?: unknown }) => {
    const { agent: _agent, signal, ...rest } = init ?? {};
    let native: AbortSignal | undefined;
    if (signal) {
      const c = new AbortController();
      if (signal.aborted) c.abort();
      else signal.addEventListener("abort", () => c.abort(), { once: true });
      native = c.signal;
    }
    return fetch(input, { ...rest, signal: native });
  }) as typeof fetch;

/**
 * A grammY `Bot` talking to `apiRoot`.
 *
 * @example
 * ```ts
 * import type { BotMetrics } from "../metrics.ts";
 *
 * declare const metrics: BotMetrics;
 * const token = Deno.env.get("TELEGRAM_BOT_TOKEN") ?? "";
 * const bot = createTelegramBot({ token, apiRoot: "https://api.telegram.org", metrics });
 * ```
 */
export function createTelegramBot(o: TelegramOptions): Bot {
  const bot = new Bot(o.token, {
    botInfo: o.botInfo,
    client: {
      apiRoot: o.apiRoot,
      fetch: runtimeFetch,
      timeoutSeconds: 30,
    },
  });
  // Innermost first: metrics see each attempt, auto-retry wraps them.
  bot.api.config.use(metricsTransformer(o.metrics));
  bot.api.config.use(autoRetry({
    maxDelaySeconds: o.maxRetryAfterSeconds ?? 20,
    maxRetryAttempts: 3,
    rethrowHttpErrors: true,
    rethrowInternalServerErrors: true,
  }));
  return bot;
}

/** How a failed Bot API call should be handled by whoever queued it. */
export type Failure =
  | { kind: "retry"; after: number | null; reason: string }
  | { kind: "plain"; reason: string }
  | { kind: "edit_gone"; reason: string }
  | { kind: "not_modified"; reason: string }
  | { kind: "permanent"; reason: string };

/**
 * Sorts an error from a Bot API call: transient (network, 5xx, 429 — retry,
 * after `retry_after` when given), entity parse errors (resend as plain
 * text), edits that cannot be done (reply instead), or permanent (the chat
 * is gone, the bot was blocked: dead-letter at once).
 */
export function classify(e: unknown): Failure {
  if (e instanceof HttpError) return { kind: "retry", after: null, reason: "network error" };
  if (e instanceof GrammyError) {
    const d = e.description;
    const reason = `${e.error_code} ${d}`;
    if (e.error_code === 429) {
      return { kind: "retry", after: e.parameters.retry_after ?? null, reason };
    }
    if (e.error_code >= 500) return { kind: "retry", after: null, reason };
    if (/can't parse entities|can't find end tag|unsupported start tag/i.test(d)) {
      return { kind: "plain", reason };
    }
    if (/message is not modified/i.test(d)) return { kind: "not_modified", reason };
    if (/message to edit not found|message can't be edited/i.test(d)) {
      return { kind: "edit_gone", reason };
    }
    return { kind: "permanent", reason };
  }
  return { kind: "retry", after: null, reason: e instanceof Error ? e.message : String(e) };
}
