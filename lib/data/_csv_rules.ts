/**
 * The rules every CSV read follows, text or file: records collected with
 * the header checked first, csv-parse's options, and its errors (and ours)
 * as one-line {@link UserError}s. Shared by `csv_text.ts` and `csv.ts`.
 *
 * @module
 */
import type { CsvError, Options } from "csv-parse/sync";
import { UserError } from "../errors.ts";
import type { RawTable } from "./types.ts";

/** Collects a CSV's records into a table. */
export interface Collector {
  push(record: string[], line: number): void;
  finish(): RawTable;
}

/** Accumulates records, validating the header as soon as it arrives. */
export function createCollector(source: string): Collector {
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

/** csv-parse's options: BOM, blank lines skipped, every record to `collector`. */
export function parserOptions(collector: Collector): Options {
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

/** The error for a NUL byte at `byte`. */
export function binaryError(source: string, byte: number): UserError {
  return badCsv(
    `${source}: byte ${byte}: NUL byte found; not a CSV text file (binary or UTF-16?)`,
  );
}

/** A `BAD_CSV` user error. */
export function badCsv(message: string): UserError {
  return new UserError(message, { code: "BAD_CSV" });
}

/** Maps csv-parse errors (and reading directories) to one-line user errors. */
export function toUserError(e: unknown, source: string): unknown {
  if (e instanceof UserError) return e;
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
