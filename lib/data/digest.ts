/**
 * Dataset identity for run tracking: a short content digest (like MLflow's
 * dataset digest) and a display name derived from the file name.
 *
 * @module
 */
import type { RawTable } from "./types.ts";

/** ASCII unit/record separators: effectively never inside CSV cells, unlike "," or "\n". */
const FIELD_SEP = "\x1f";
const ROW_SEP = "\x1e";

/**
 * SHA-256 over the header and all rows, as the first 8 hex characters. Depends
 * only on content (not on the path, quoting or line endings), so the same
 * data read from anywhere gets the same digest.
 *
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 *
 * const digest = await digestTable(parseCsv("a,b\n1,2\n")); // e.g. "3f1c9a07"
 * ```
 */
export async function digestTable(table: RawTable): Promise<string> {
  // Encode row by row into one growing buffer: WebCrypto has no incremental
  // API, and building a single giant string first would double peak memory.
  const encoder = new TextEncoder();
  let buf = new Uint8Array(1 << 16);
  let len = 0;
  const append = (s: string) => {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const need = len + s.length * 3;
    if (need > buf.length) {
      const grown = new Uint8Array(Math.max(need, buf.length * 2));
      grown.set(buf.subarray(0, len));
      buf = grown;
    }
    len += encoder.encodeInto(s, buf.subarray(len)).written;
  };
  append(table.header.join(FIELD_SEP));
  for (const row of table.rows) append(ROW_SEP + row.join(FIELD_SEP));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", buf.subarray(0, len)));
  return Array.from(hash.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The dataset's display name: the file name without directory and extension.
 *
 * @example
 * ```ts
 * datasetName("data/telco-customer-churn.csv"); // "telco-customer-churn"
 * ```
 */
export function datasetName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}
