/**
 * Names and `models:/` URIs a user types: anything that cannot become a
 * registered model, a folder or an experiment is one line naming it, and is
 * refused before a run is logged (so retries do not pile up orphan runs).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { FileStore } from "../lib/mlflow/transfer.ts";
import { mlops } from "./support/cli.ts";
import { trainTiny, writeTinyCsv } from "./support/tiny_csv.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-names-test-");
const csv = await writeTinyCsv(tmp);

/** Runs `mlops train --json` on the small CSV into `store`. */
function train(store: string, ...args: string[]) {
  return trainTiny({ csv, out: join(tmp, "out"), trackingUri: store }, "--json", ...args);
}

async function runCount(store: string): Promise<number> {
  const s = new FileStore(store);
  let n = 0;
  for (const e of await s.listExperiments()) n += (await s.searchRuns([e.experimentId])).length;
  return n;
}

function oneLine(r: { code: number; stderr: string }, pattern: RegExp) {
  assert.notEqual(r.code, 0, r.stderr);
  assert.equal(r.stderr.split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

Deno.test("models:/ URIs: control characters, malformed %-escapes and overlong names are one line", async () => {
  const store = join(tmp, "uri-store");
  await Deno.mkdir(join(store, "models"), { recursive: true });
  const predict = (model: string) =>
    mlops("predict", "--model", model, "--tracking-uri", store, "--data", csv);
  oneLine(await predict("models:/a\u0000b/1"), /^mlops: bad model URI .*control characters/);
  oneLine(await predict("models:/a\u0007b@champion"), /^mlops: bad model URI .*control characters/);
  oneLine(await predict("models:/a%2Fb%zz/1"), /^mlops: bad model URI .*malformed %-escape/);
  oneLine(await predict("models:/%E0%A4%A/latest"), /malformed %-escape/);
  oneLine(
    await predict(`models:/${"n".repeat(300)}/1`),
    /^mlops: invalid registered model name .*300 bytes/,
  );
  oneLine(await predict(`models:/${"é".repeat(200)}@champion`), /400 bytes/);
});

Deno.test("train: names that cannot be registered are refused before anything is logged", async () => {
  const store = join(tmp, "train-store");
  oneLine(
    await train(store, "--register-as", "a/b"),
    /^mlops: invalid registered model name 'a\/b'/,
  );
  oneLine(await train(store, "--register-as", "x\u0000y"), /control characters/);
  oneLine(await train(store, "--register-as", "m".repeat(300)), /300 bytes/);
  oneLine(await train(store, "--experiment", "e\u001b[31m"), /^mlops: invalid experiment name/);
  oneLine(await train(store, "--experiment", " "), /invalid experiment name: it is empty/);
  assert.equal(await runCount(store), 0, "no run was logged");
});

Deno.test("train: an experiment named a/b registers under a usable default model name", async () => {
  const store = join(tmp, "slash-store");
  const r = await train(store, "--experiment", "a/b");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // The same default `mlops promote` derives from an experiment name.
  assert.deepEqual(j.registered_model, { name: "a-b", version: "1" });
  assert.equal(await runCount(store), 1);
  const p = await mlops(
    "predict",
    "--model",
    "models:/a-b/1",
    "--tracking-uri",
    store,
    "--data",
    csv,
    "--json",
    "--out",
    join(tmp, "p.csv"),
  );
  assert.equal(p.code, 0, p.stderr);
});
