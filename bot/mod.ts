/**
 * The mlops Telegram bot: durable alert delivery from Alertmanager, silences
 * from the chat, and answers about the live system.
 *
 * Two ways to run the same app: {@link runBot} (long polling; `deno task
 * bot`, `mlops bot`) and `deploy.ts` (webhook, Deno Deploy). Each feature is
 * a grammY composer in `features/`, testable alone.
 *
 * ```ts
 * import { configFromEnv, createBotApp } from "./mod.ts";
 *
 * const app = await createBotApp(configFromEnv((k) => Deno.env.get(k)));
 * Deno.serve({ port: 8081 }, app.http.fetch);
 * await app.start("polling");
 * ```
 *
 * @module
 */
export { type BotApp, type BotAppOptions, createBotApp } from "./app.ts";
export {
  type BotConfig,
  configFromEnv,
  configWarnings,
  DEFAULTS,
  parseDuration,
  TELEGRAM_API_ROOT,
} from "./config.ts";
export { runBot } from "./main.ts";
export type { BotContext, Deps } from "./context.ts";
export { COMMANDS } from "./features/commands.ts";
export { type Notification, parseNotification } from "./alerts/payload.ts";
