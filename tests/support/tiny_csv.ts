/**
 * A 60-row, two-class CSV (`x`, `color` → `label`) and `mlops train` on it
 * with 3 trees, for CLI tests that need a trained, logged run in well under
 * a second.
 *
 * @module
 */
import { join } from "node:path";
import { type CliResult, mlops } from "./cli.ts";

/** Writes `dir/small.csv` and returns its path. */
export async function writeTinyCsv(dir: string): Promise<string> {
  const path = join(dir, "small.csv");
  const rows = Array.from(
    { length: 60 },
    (_, i) => `${i % 10},${i % 3 ? "red" : "blue"},${i % 10 < 5 ? "no" : "yes"}`,
  );
  await Deno.writeTextFile(path, `x,color,label\n${rows.join("\n")}\n`);
  return path;
}

/**
 * `mlops train` on `csv` (target `label`, 3 trees) writing to `out`,
 * logging to `trackingUri`, plus `args`.
 *
 * @example
 * ```ts
 * const r = await trainTiny({ csv, out: "out", trackingUri: "mlruns" }, "--json");
 * ```
 */
export function trainTiny(
  o: { csv: string; out: string; trackingUri: string },
  ...args: string[]
): Promise<CliResult> {
  return mlops(
    "train",
    "--data",
    o.csv,
    "--target",
    "label",
    "--trees",
    "3",
    "--out",
    o.out,
    "--tracking-uri",
    o.trackingUri,
    ...args,
  );
}
