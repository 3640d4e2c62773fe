/**
 * CSV reading: file or text → {@link RawTable}, with every malformed-input
 * case turned into a one-line {@link UserError} that names the file and line.
 *
 * Parsing is csv-parse's (RFC 4180 quotes, CRLF, UTF-8 BOM; nothing is
 * trimmed). Blank lines are skipped. Files are streamed through the parser,
 * so memory holds the parsed cells, never the whole file as one string.
 *
 * @module
 */
import { parse as parseStream } from "csv-parse/stream";
import { UserError } from "../errors.ts";
import { binaryError, createCollector, parserOptions, toUserError } from "./_csv_rules.ts";
import type { RawTable } from "./types.ts";

export { rowLine } from "./row_line.ts";
export { parseCsv } from "./csv_text.ts";

/**
 * Reads and validates a CSV file.
 *
 * The first record is the header. Errors (all {@link UserError}): file not
 * found (`NOT_FOUND`), empty file or header only (`EMPTY_CSV`), binary
 * content, bad quotes, ragged rows, one column, empty or duplicate column
 * names (`BAD_CSV`).
 *
 * @example
 * ```ts
 * const table = await readCsvFile("data/telco-customer-churn.csv");
 * table.header.length; // 21
 * table.rows.length; // 7043
 * ```
 */
export async function readCsvFile(path: string): Promise<RawTable> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw openError(path, e);
  }
  const collector = createCollector(path);
  try {
    // on_record hands every record to the collector and returns null, so
    // nothing is queued downstream and the stream costs no per-record await.
    await file.readable
      .pipeThrough(rejectBinary(path))
      .pipeThrough(parseStream(parserOptions(collector)))
      .pipeTo(new WritableStream());
  } catch (e) {
    throw e instanceof Deno.errors.IsADirectory ? openError(path, e) : toUserError(e, path);
  } finally {
    // The readable closes the file when fully read; an error may leave it open.
    try {
      file.close();
    } catch { /* already closed */ }
  }
  return collector.finish();
}

/** Fails fast on NUL bytes, which never occur in UTF-8 text but fill binary and UTF-16 files. */
function rejectBinary(source: string): TransformStream<Uint8Array, Uint8Array> {
  let offset = 0;
  return new TransformStream({
    transform(chunk, controller) {
      const nul = chunk.indexOf(0);
      if (nul !== -1) throw binaryError(source, offset + nul);
      offset += chunk.length;
      controller.enqueue(chunk);
    },
  });
}

function openError(path: string, e: unknown): UserError {
  if (e instanceof Deno.errors.NotFound) {
    return new UserError(`${path}: file not found`, { code: "NOT_FOUND", cause: e });
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new UserError(`${path}: permission denied`, { code: "BAD_CSV", cause: e });
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new UserError(`${path}: is a directory, not a CSV file`, { code: "BAD_CSV", cause: e });
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new UserError(`${path}: cannot open: ${reason}`, { code: "BAD_CSV", cause: e });
}

/** A plain decimal number, which spreadsheets read as a number even with a sign. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * One cell of CSV output; every CSV the CLI writes goes through here.
 *
 * - Cells that a spreadsheet would run as a formula — starting with `=`, `+`,
 *   `-`, `@`, tab or CR, and not a plain number like `-1.5`, `+3` or `1e-3` —
 *   get a leading `'` (OWASP's advice against CSV injection), so labels,
 *   categories and column names from the data show as text.
 * - Cells holding a quote, comma or line break are quoted, so the rest reads
 *   back through {@link parseCsv} unchanged.
 *
 * @example
 * ```ts
 * import { csvCell } from "./csv.ts";
 * import { strict as assert } from "node:assert";
 *
 * assert.equal(csvCell('say "hi", then go'), '"say ""hi"", then go"');
 * assert.equal(csvCell("=1+1"), "'=1+1");
 * assert.equal(csvCell("-1.5"), "-1.5");
 * ```
 */
export function csvCell(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) && !NUMBER.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
