/**
 * Fixtures for tests that run sweeps: a small slice of Telco and `mlops sweep`
 * run in-process.
 *
 * @module
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { mlops } from "./cli.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * Writes the first 1,500 Telco rows to `dir/telco-small.csv` (every sweep on
 * it trains in well under a second) and returns the path.
 */
export async function smallTelco(dir: string): Promise<string> {
  const path = join(dir, "telco-small.csv");
  const lines = (await Deno.readTextFile(join(ROOT, "data/telco-customer-churn.csv"))).split("\n");
  await Deno.writeTextFile(path, lines.slice(0, 1501).join("\n") + "\n");
  return path;
}

/** `mlops sweep` on `data` with 2 workers, in store `mlruns`; returns the JSON summary. */
export async function sweep(data: string, mlruns: string, ...args: string[]) {
  const r = await mlops(
    "sweep",
    "--data",
    data,
    "--tracking-uri",
    mlruns,
    "--workers",
    "2",
    "--json",
    ...args,
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}
