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
 * const csv = await writeTinyCsv(await Deno.makeTempDir());
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

/**
 * A registry in `dir/mlruns` with `versions` versions of the tiny model
 * `small` (3, 5, 7… trees), the `champion` alias moved to each in turn (so it
 * ends on the last, the one before it being the previous champion), and the
 * champion's edge bundle exported to `edgeDir`. Returns the store's path.
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 *
 * const tmp = await Deno.makeTempDir();
 * const mlruns = await tinyRegistry(tmp, 2, join(tmp, "edge/model")); // champion: small v2
 * ```
 */
export async function tinyRegistry(
  dir: string,
  versions: number,
  edgeDir: string,
): Promise<string> {
  const mlruns = join(dir, "mlruns");
  const csv = await writeTinyCsv(dir);
  for (let v = 1; v <= versions; v++) {
    const trained = await trainTiny(
      { csv, out: join(dir, "out"), trackingUri: mlruns },
      "--trees",
      String(1 + 2 * v),
    );
    if (trained.code !== 0) throw new Error(`train: ${trained.stderr}`);
  }
  for (let v = 1; v <= versions; v++) {
    const promoted = await mlops(
      "promote",
      "--tracking-uri",
      mlruns,
      "--model",
      "small",
      "--version",
      String(v),
      "--out",
      edgeDir,
    );
    if (promoted.code !== 0) throw new Error(`promote: ${promoted.stderr}`);
  }
  return mlruns;
}
