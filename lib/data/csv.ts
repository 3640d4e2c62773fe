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
import { type CsvError, type Options, parse as parseStream } from "csv-parse/stream";
import { parse as parseSync } from "csv-parse/sync";
import { UserError } from "../errors.ts";
import type { RawTable } from "./types.ts";

export { rowLine } from "./row_line.ts";

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
    throw toUserError(e, path);
  } finally {
    // The readable closes the file when fully read; an error may leave it open.
    try {
      file.close();
    } catch { /* already closed */ }
  }
  return collector.finish();
}

/**
 * Parses in-memory CSV text, with the same rules and errors as
 * {@link readCsvFile}. `source` names the text in error messages.
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

interface Collector {
  push(record: string[], line: number): void;
  finish(): RawTable;
}

/** Accumulates records, validating the header as soon as it arrives. */
function createCollector(source: string): Collector {
  let header: string[] | null = null;
  const rows: string[][] = [];
  let lines = new Int32Array(1024);
  return {
    push(record, line) {
      if (header === null) {
        checkHeader(record, source);
        header = record;
        return;
      }
      if (rows.length === lines.length) {
        const grown = new Int32Array(lines.length * 2);
        grown.set(lines);
        lines = grown;
      }
      lines[rows.length] = line;
      rows.push(record);
    },
    finish() {
      if (header === null) {
        throw new UserError(`${source}: file is empty (expected a header and data rows)`, {
          code: "EMPTY_CSV",
        });
      }
      if (rows.length === 0) {
        throw new UserError(`${source}: no data rows (only a header on line 1)`, {
          code: "EMPTY_CSV",
        });
      }
      return { source, header, rows, lines: lines.slice(0, rows.length) };
    },
  };
}

function parserOptions(collector: Collector): Options {
  return {
    bom: true,
    skip_empty_lines: true,
    on_record: (record: string[], info) => {
      collector.push(record, info.lines);
      return null;
    },
  };
}

function checkHeader(header: string[], source: string): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < header.length; i++) {
    const name = header[i];
    if (name.trim() === "") {
      throw badCsv(`${source}: line 1, column ${i + 1}: empty column name`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw badCsv(
        `${source}: line 1: duplicate column name '${name}' (columns ${first + 1} and ${i + 1})`,
      );
    }
    seen.set(name, i);
  }
  if (header.length === 1) {
    // A dataset needs a target and at least one feature; one column almost
    // always means another delimiter (';', tab) or not a CSV at all.
    const other = [";", "\t", "|"].find((d) => header[0].includes(d));
    const hint = other === undefined
      ? "is this a CSV file?"
      : `the file looks ${other === "\t" ? "tab" : `'${other}'`}-separated; use commas`;
    throw badCsv(`${source}: line 1: only one column found; ${hint}`);
  }
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

function binaryError(source: string, byte: number): UserError {
  return badCsv(
    `${source}: byte ${byte}: NUL byte found; not a CSV text file (binary or UTF-16?)`,
  );
}

function badCsv(message: string): UserError {
  return new UserError(message, { code: "BAD_CSV" });
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

/** Maps csv-parse errors (and reading directories) to one-line user errors. */
function toUserError(e: unknown, source: string): unknown {
  if (e instanceof UserError) return e;
  if (e instanceof Deno.errors.IsADirectory) return openError(source, e);
  if (!isCsvError(e)) return e;
  const at = `${source}: line ${e.lines ?? "?"}`;
  const field = typeof e.column === "number" ? `, field ${e.column + 1}` : "";
  let message: string;
  switch (e.code) {
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH": {
      const m = /expect (\d+), got (\d+)/.exec(e.message);
      message = m
        ? `${at}: expected ${m[1]} fields, found ${m[2]}`
        : `${at}: wrong number of fields`;
      break;
    }
    case "CSV_QUOTE_NOT_CLOSED":
      message = `${at}: quoted field is never closed (unbalanced '"')`;
      break;
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      message = `${at}${field}: unexpected character after closing quote`;
      break;
    case "INVALID_OPENING_QUOTE":
      message = `${at}${field}: quote inside an unquoted field (quote the whole field and ` +
        `double inner quotes)`;
      break;
    default:
      message = `${at}: ${e.message.replace(/\s+/g, " ")}`;
  }
  return new UserError(message, { code: "BAD_CSV", cause: e });
}

function isCsvError(e: unknown): e is CsvError & { lines?: number; column?: number | string } {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^(CSV_|INVALID_)/.test(code);
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
