/**
 * One way to log a trained model: `mlops train`'s run and a sweep's refit
 * (its parent run) carry the same model metrics (one fit-time name), the
 * same standard tags, the same dataset input and the same artifacts; runs
 * logged with the old fit-time name still compare under the current one.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { mlops } from "./support/cli.ts";
import { smallTelco, sweep } from "./support/sweep.ts";
import { moduleTempDir } from "./support/temp.ts";
import { openStore, type Run, type TrackingStore } from "../lib/mlflow/mod.ts";
import { FIT_TIME_METRIC } from "../lib/train/tracking.ts";

const tmp = await moduleTempDir("mlops-train-logging-test-");
const DATA = await smallTelco(tmp);

async function artifactNames(store: TrackingStore, run: Run): Promise<string[]> {
  return (await store.listArtifacts(run.info.runId)).map((a) => a.path).sort();
}

Deno.test("train and a sweep's refit log a model the same way", async () => {
  const mlruns = join(tmp, "mlruns");
  const s = await sweep(DATA, mlruns, "--cv", "2", "--grid", "trees=5", "max-depth=4");
  const t = await mlops(
    "train",
    "--data",
    DATA,
    "--trees",
    "5",
    "--max-depth",
    "4",
    "--tracking-uri",
    mlruns,
    "--out",
    join(tmp, "out"),
    "--json",
  );
  assert.equal(t.code, 0, t.stderr);
  const store = openStore(mlruns);
  const parent = await store.getRun(s.parent_run_id);
  const trained = await store.getRun(JSON.parse(t.stdout).run_id);

  const keys = (r: Run) => new Set(r.data.metrics.map((m) => m.key));
  for (const run of [parent, trained]) {
    assert.ok(keys(run).has(FIT_TIME_METRIC), `${run.info.runName} has ${FIT_TIME_METRIC}`);
    assert.ok(!keys(run).has("fit_ms"), `${run.info.runName} has the old fit_ms`);
    for (const k of ["accuracy", "log_loss", "roc_auc"]) assert.ok(keys(run).has(k), k);
  }
  // The same standard tags (values differ only in the command's name).
  const std = (r: Run) =>
    Object.keys(r.data.tags).filter((k) => k.startsWith("mlflow.source") || k === "mlflow.user")
      .sort();
  assert.deepEqual(std(parent), std(trained));
  assert.equal(parent.data.tags["mlflow.user"], trained.data.tags["mlflow.user"]);
  // The same dataset input.
  const input = (r: Run) => r.inputs[0]?.dataset;
  assert.equal(input(parent)?.digest, input(trained)?.digest);
  assert.equal(input(parent)?.schema, input(trained)?.schema);
  assert.equal(input(parent)?.source, input(trained)?.source);
  // The same artifacts, plus the sweep's cv_results.csv.
  const a = await artifactNames(store, parent);
  const b = await artifactNames(store, trained);
  assert.deepEqual(a.filter((p) => p !== "cv_results.csv"), b);
});

Deno.test("runs compare reads a run's old fit_ms as fit_time_ms", async () => {
  const store = openStore(join(tmp, "compare"));
  const exp = await store.createExperiment("old-and-new");
  const ids: string[] = [];
  for (const key of ["fit_ms", FIT_TIME_METRIC]) {
    const info = await store.createRun({ experimentId: exp });
    await store.logBatch(info.runId, {
      metrics: [{ key, value: 12, timestamp: 1, step: 0 }],
    });
    await store.updateRun(info.runId, "FINISHED");
    ids.push(info.runId);
  }
  const r = await mlops(
    "runs",
    "compare",
    ...ids,
    "--tracking-uri",
    join(tmp, "compare"),
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.metrics, { [FIT_TIME_METRIC]: [12, 12] });
});
