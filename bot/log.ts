/**
 * The bot's only way to print: every line goes through `lib/printable.ts`
 * with the bot's own secrets added, so a token that ends up in an error
 * message (a fetch error quoting the Bot API URL, say) never reaches the log,
 * and a label or name with escape sequences cannot drive the reader's terminal.
 *
 * @module
 */
import { printable } from "../lib/printable.ts";
import { knownSecrets } from "../lib/redact.ts";

/** Prints one line. */
export type Log = (line: string) => void;

/**
 * A logger that redacts `secrets` (and the usual ones from the environment).
 *
 * @example
 * ```ts
 * import type { BotConfig } from "./config.ts";
 *
 * declare const config: BotConfig;
 * const log = createLog([config.token, config.alertToken]);
 * log("sent"); // "mlops bot: sent"
 * ```
 */
export function createLog(
  secrets: readonly string[],
  write: (line: string) => void = (l) => console.error(l),
): Log {
  const all = [...new Set([...secrets.filter((s) => s.length >= 4), ...knownSecrets()])]
    .sort((a, b) => b.length - a.length);
  return (line) => write(printable(`mlops bot: ${line}`, all));
}

/** An error's message (never its stack: stacks can hold URLs with tokens too). */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name === "Error" ? "" : e.name + ": "}${e.message}` : String(e);
}
