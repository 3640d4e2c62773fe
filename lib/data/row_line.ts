/**
 * Where a data row sits in its file, for error messages. Its own module so
 * that encoding records (the edge's hot path) does not load the CSV parser.
 *
 * @module
 */
import type { RawTable } from "./types.ts";

/**
 * The 1-based file line of data row `row` (0-based, header excluded), for
 * error messages. Exact for tables read by `csv.ts` (blank lines and
 * multi-line quoted cells included); `row + 2` for hand-built tables.
 *
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 *
 * const table = parseCsv("a,b\n1,2\n\n3,4\n");
 * rowLine(table, 1); // 4: the blank line 3 is skipped
 * ```
 */
export function rowLine(table: RawTable, row: number): number {
  return table.lines?.[row] ?? row + 2;
}
