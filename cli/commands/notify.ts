/**
 * `mlops notify`: send one notification to the channels the environment
 * configures (the bot, Telegram, Slack); what CI jobs run when something
 * fails. `lib/notify` does the sending.
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import {
  channelsFromEnv,
  type Delivery,
  type Notification,
  notify,
  SEVERITIES,
  type Severity,
} from "../../lib/notify/mod.ts";
import { withJson } from "../options.ts";
import { print, printError } from "../output.ts";

/** Exit code when no configured channel took the notification. */
export const NOT_DELIVERED_EXIT_CODE = 5;

interface NotifyFlags {
  title: string;
  text?: string;
  textFile?: string;
  severity: string;
  url?: string;
  json: boolean;
}

const HELP = `
Channels (environment; each configured one gets the message):
  BOT_URL + ALERT_WEBHOOK_TOKEN              the mlops bot's notify endpoint
  TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID      Telegram directly (when BOT_URL is unset)
  SLACK_WEBHOOK_URL                          a Slack incoming webhook
With none configured the message is only printed. A channel that refuses it
makes the exit code ${NOT_DELIVERED_EXIT_CODE}.

Example:
  mlops notify --severity critical --title "Nightly batch failed" \\
    --text "data.csv: no such file" --url "$RUN_URL"`;

/** Registers `notify`. */
export function register(program: Command): void {
  withJson(
    program
      .command("notify")
      .description("send a notification to the bot, Telegram and/or Slack")
      .requiredOption("--title <text>", "one line")
      .option("--text <text>", "the message (plain text)")
      .option("--text-file <path>", "read the message from this file")
      .option("--severity <s>", `${SEVERITIES.join(", ")}`, "info")
      .option("--url <url>", "a link to more (a CI run, an MLflow run)"),
    "print one JSON object to stdout",
  )
    .addHelpText("after", HELP)
    .action(async (flags: NotifyFlags) => {
      const severity = checkSeverity(flags.severity);
      if (flags.text !== undefined && flags.textFile !== undefined) {
        throw new UserError("give --text or --text-file, not both");
      }
      const text = flags.textFile !== undefined
        ? await Deno.readTextFile(flags.textFile)
        : flags.text ?? "";
      const deliveries = await deliver({ title: flags.title, text, severity, url: flags.url });
      if (flags.json) print(JSON.stringify({ deliveries }));
      const refused = notDelivered(deliveries);
      if (refused) throw refused;
    });
}

/** Checks a `--severity` value. */
export function checkSeverity(raw: string): Severity {
  if ((SEVERITIES as readonly string[]).includes(raw)) return raw as Severity;
  throw new UserError(`--severity ${raw}: expected one of ${SEVERITIES.join(", ")}`);
}

/**
 * Sends `n` to the configured channels, reporting each success on stderr,
 * and returns what happened on each; never throws for a refusal. With no
 * channel configured, prints the message instead and returns `[]`.
 */
export async function deliver(n: Notification): Promise<Delivery[]> {
  const channels = channelsFromEnv((k) => Deno.env.get(k));
  if (channels.length === 0) {
    printError(
      "note: no notification channel is configured (BOT_URL, TELEGRAM_BOT_TOKEN + " +
        `TELEGRAM_CHAT_ID, SLACK_WEBHOOK_URL); the message was:\n${n.title}\n${n.text}`,
    );
    return [];
  }
  const deliveries = await notify(n, channels);
  for (const d of deliveries) if (d.ok) printError(`notified  ${d.channel}`);
  return deliveries;
}

/** The one-line error (exit {@link NOT_DELIVERED_EXIT_CODE}) for channels that refused, or null. */
export function notDelivered(deliveries: readonly Delivery[]): UserError | null {
  const failed = deliveries.filter((d) => !d.ok);
  if (failed.length === 0) return null;
  return new UserError(`notification not delivered: ${failed.map((d) => d.error).join("; ")}`, {
    exitCode: NOT_DELIVERED_EXIT_CODE,
    code: "NOT_DELIVERED",
  });
}
