/**
 * Text made safe to print: secrets redacted (`redact.ts`) and control
 * characters escaped. Names, paths and messages that reach a terminal or a
 * log come from data files, tracking servers and model bundles that others
 * wrote; printed raw, an escape sequence in them could recolour, retitle or
 * rewrite the reader's terminal (or a CI log viewer). The CLI, the edge and
 * the bot print through this.
 *
 * @example
 * ```ts
 * import { printable, terminalText } from "./printable.ts";
 *
 * terminalText("\x1b[31mred\x1b[0m"); // "\\u001b[31mred\\u001b[0m"
 * printable("serving \x1b]0;pwn\x07 from https://ada:s3cret@host/m.json");
 * // "serving \\u001b]0;pwn\\u0007 from https://ada:***@host/m.json"
 * ```
 *
 * @module
 */
import { redact } from "./redact.ts";

// C0 controls except the line feed, DEL, C1 controls (0x9b is CSI for some
// terminals) and the bidirectional overrides that reorder what is shown.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `s` with every control character but `\n` spelled `\uXXXX`. JSON text
 * stays valid JSON with the same meaning (inside strings that is what
 * `\uXXXX` means; outside them JSON has no control characters).
 */
export function terminalText(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `s` redacted (with `secrets` added to the known ones) and escaped. */
export function printable(s: string, secrets?: readonly string[]): string {
  return terminalText(secrets ? redact(s, secrets) : redact(s));
}
