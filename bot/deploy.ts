/**
 * The bot on Deno Deploy (or any host that can take Telegram's webhook):
 * the same app as `main.ts`, but updates arrive on `POST /telegram`
 * (Telegram's `X-Telegram-Bot-Api-Secret-Token` header checked against
 * `TELEGRAM_WEBHOOK_SECRET`), the store is the platform's KV, and the
 * webhook is registered at `BOT_PUBLIC_URL/telegram` on start.
 *
 * Telegram waits for the webhook's answer; the bot answers within 5 s and
 * finishes slow commands after acknowledging. Deliveries run in the isolate
 * while it lives; a cron (where `Deno.cron` exists) wakes the queue every
 * minute so nothing waits for the next alert to be sent.
 *
 * Deployed with `deno deploy` (Deno Deploy Classic and its `deployctl` were
 * shut down on 2026-07-20) by `.github/scripts/deploy.sh` with `APP=bot`: it
 * points deno.json's `deploy.runtime.entrypoint` at this file and runs
 * `deno deploy --org <org> --app <app> --prod .`. The app's environment
 * variables (bot/README.md) are set on the app in the Deno Deploy console.
 * Deploy chooses the port; elsewhere `PORT` and `HOST` do, as for the edge.
 *
 * @module
 */
import { isUserError } from "../lib/errors.ts";
import { createBotApp } from "./app.ts";
import { configFromEnv } from "./config.ts";
import { createLog, errorText } from "./log.ts";
import { printable } from "../lib/printable.ts";

const env = (name: string) => Deno.env.get(name);
let config;
try {
  // Deploy's KV unless BOT_STORE names a file.
  config = { ...configFromEnv(env, { webhook: true }), store: env("BOT_STORE") ?? null };
} catch (e) {
  if (!isUserError(e)) throw e;
  for (const line of e.message.split("\n")) console.error(printable(`mlops bot: ${line}`));
  throw new Error("mlops bot: invalid configuration (see above)");
}
const log = createLog([config.token, config.alertToken, config.webhookSecret ?? ""]);
const app = await createBotApp(config, { log });
const port = env("PORT");
Deno.serve({
  ...(port ? { port: Number(port) } : {}),
  ...(env("HOST") ? { hostname: env("HOST") } : {}),
}, app.http.fetch);
await app.start("webhook").catch((e) => log(`start: ${errorText(e)}`));
try {
  Deno.cron("mlops-bot delivery", "* * * * *", () => app.worker.wake());
} catch {
  // Deno.cron needs --unstable-cron outside Deploy; the worker's own timer still runs.
}
