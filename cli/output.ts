/**
 * Everything the CLI prints goes through here, so secrets are redacted
 * (`lib/redact.ts`: URI passwords, tokens, the secret environment variables'
 * values) in one place, whatever the message came from. Run names, column names,
 * paths and messages come from data files and tracking stores that others
 * wrote; printed raw, an escape sequence in them could recolour, retitle or
 * rewrite the user's terminal (or a CI log viewer). So control characters
 * are shown as `\uXXXX` instead.
 *
 * @module
 */
import process from "node:process";
import { redact } from "../lib/redact.ts";

// C0 controls except the line feed, DEL, C1 controls (0x9b is CSI for some
// terminals) and the bidirectional overrides that reorder what is shown.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `s` with every control character but `\n` spelled `\uXXXX`. JSON text
 * stays valid JSON with the same meaning (inside strings that is what
 * `\uXXXX` means; outside them JSON has no control characters).
 *
 * @example
 * ```ts
 * import { terminalText } from "./output.ts";
 *
 * terminalText("\x1b[31mred\x1b[0m"); // "\\u001b[31mred\\u001b[0m"
 * ```
 */
export function terminalText(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Prints lines to stdout, escaped.
 *
 * @example
 * ```ts
 * import { print } from "./output.ts";
 *
 * print(`run ${"\x1b[2Jname"}`); // run \u001b[2Jname
 * ```
 */
export function print(text: string): void {
  console.log(terminalText(redact(text)));
}

/**
 * Prints lines to stderr, escaped.
 *
 * @example
 * ```ts
 * import { printError } from "./output.ts";
 *
 * printError("mlops: no such run");
 * ```
 */
export function printError(text: string): void {
  console.error(terminalText(redact(text)));
}

/**
 * Writes data (a CSV) to stdout as is — unless stdout is a terminal, where
 * it is shown escaped like every other line. Piped or redirected, the bytes
 * are exactly the data.
 *
 * @example
 * ```ts
 * import { writeData } from "./output.ts";
 *
 * await writeData("prediction\nyes\n");
 * ```
 */
export async function writeData(text: string): Promise<void> {
  const shown = Deno.stdout.isTerminal() ? terminalText(text) : text;
  const bytes = new TextEncoder().encode(shown);
  for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
}

/** Commander's output hooks, so its errors and help are escaped too. */
export const commanderOutput = {
  writeOut: (s: string) => void process.stdout.write(terminalText(redact(s))),
  writeErr: (s: string) => void process.stderr.write(terminalText(redact(s))),
};
