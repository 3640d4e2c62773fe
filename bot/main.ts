/**
 * `deno task bot` and `mlops bot`: the bot with long polling, plus its HTTP
 * server (`POST /alerts`, `POST /notify`, `/metrics`) on `BOT_HOST:BOT_PORT`. For a laptop
 * or a VM; `deploy.ts` is the webhook variant for Deno Deploy.
 *
 * @module
 */
import { isUserError } from "../lib/errors.ts";
import { createBotApp } from "./app.ts";
import { type BotConfig, configFromEnv, configWarnings } from "./config.ts";
import { createLog, errorText } from "./log.ts";
import { printable } from "../lib/printable.ts";

/**
 * Runs until SIGINT/SIGTERM; resolves with the exit code.
 *
 * @example
 * ```ts
 * Deno.exit(await runBot((k) => Deno.env.get(k)));
 * ```
 */
export async function runBot(env: (name: string) => string | undefined): Promise<number> {
  let config: BotConfig;
  try {
    config = configFromEnv(env);
  } catch (e) {
    if (!isUserError(e)) throw e;
    for (const line of e.message.split("\n")) console.error(printable(`mlops bot: ${line}`));
    return 2;
  }
  const log = createLog([config.token, config.alertToken, config.webhookSecret ?? ""]);
  // Whatever escapes is printed through the redactor, never as a raw stack.
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log(`unhandled: ${errorText(e.reason)}`);
  });
  for (const w of configWarnings(config)) log(`warning: ${w}`);

  const app = await createBotApp(config, { log });
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: ({ hostname, port }) =>
      log(`listening on http://${hostname}:${port}/ (POST /alerts, POST /notify, GET /metrics)`),
  }, app.http.fetch);
  const stopped = Promise.withResolvers<number>();
  app.start("polling").then(
    () =>
      log(
        `@${app.bot.botInfo.username} is polling ${
          new URL(config.apiRoot).host
        }; alerts go to ${config.alertChats.length} chat(s)`,
      ),
    (e) => {
      log(`could not start: ${errorText(e)}`);
      stopped.resolve(1);
    },
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => stopped.resolve(0));
    } catch {
      // not on this platform
    }
  }
  const code = await stopped.promise;
  log("stopping");
  await server.shutdown();
  await app.stop();
  return code;
}

if (import.meta.main) {
  Deno.exit(await runBot((name) => Deno.env.get(name)));
}
