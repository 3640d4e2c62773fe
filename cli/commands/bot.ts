/**
 * `mlops bot`: runs the Telegram alert bot in the foreground (long polling,
 * plus `POST /alerts` for Alertmanager and `/metrics`), the same as
 * `deno task bot`. Everything is configured by environment variables (see
 * bot/README.md); bad values are listed one per line, exit code 2.
 *
 * @module
 */
import type { Command } from "commander";

/** Registers `bot`. */
export function register(program: Command): void {
  program.command("bot")
    .description("run the Telegram alert bot (configured by TELEGRAM_* and BOT_* variables)")
    .addHelpText(
      "after",
      `
Required: TELEGRAM_BOT_TOKEN (from @BotFather) and ALERT_WEBHOOK_TOKEN (what
Alertmanager sends as its bearer token). Usually also TELEGRAM_ALERT_CHATS and
TELEGRAM_ALLOWED_USERS, and PROMETHEUS_URL / ALERTMANAGER_URL / EDGE_URL for the
chat commands. See bot/README.md for every variable.`,
    )
    .action(async () => {
      // Loaded here: the bot's dependencies (grammY) are no cost to other commands.
      const { runBot } = await import("../../bot/mod.ts");
      const code = await runBot((name) => Deno.env.get(name));
      if (code !== 0) Deno.exit(code);
    });
}
