/**
 * Everything the CLI prints goes through here, made printable in one place
 * (`lib/printable.ts`): secrets redacted, control characters shown as
 * `\uXXXX`, whatever the message came from.
 *
 * @module
 */
import process from "node:process";
import { printable, terminalText } from "../lib/printable.ts";

export { terminalText };

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
  console.log(printable(text));
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
  console.error(printable(text));
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
  writeOut: (s: string) => void process.stdout.write(printable(s)),
  writeErr: (s: string) => void process.stderr.write(printable(s)),
};
