/**
 * CSV text → {@link RawTable}: what a server needs of CSV (a `text/csv`
 * request body), without the streaming file reader and the runtime's Node
 * streams it brings (`csv.ts`).
 *
 * @module
 */
import { parse as parseSync } from "csv-parse/sync";
import { binaryError, createCollector, parserOptions, toUserError } from "./_csv_rules.ts";
import type { RawTable } from "./types.ts";

/**
 * Parses in-memory CSV text, with the same rules and errors as
 * `readCsvFile` (`csv.ts`). `source` names the text in error messages.
 *
 * @example
 * ```ts
 * const table = parseCsv("a,b,y\n1,x,Yes\n2,z,No\n", "<inline>");
 * table.header; // ["a", "b", "y"]
 * table.rows[1]; // ["2", "z", "No"]
 * ```
 */
export function parseCsv(text: string, source = "<inline>"): RawTable {
  const nul = text.indexOf("\0");
  if (nul !== -1) throw binaryError(source, nul);
  const collector = createCollector(source);
  try {
    parseSync(text, parserOptions(collector));
  } catch (e) {
    throw toUserError(e, source);
  }
  return collector.finish();
}
