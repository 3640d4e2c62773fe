/**
 * What the CLI writes in the real-MLflow tests (train, sweep, promote on a
 * small Telco slice) and what MLflow's own client must read back from it,
 * whichever store or server it went to.
 *
 * @module
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { type CliResult, mlopsIn } from "./cli.ts";
import type { MlflowView } from "./real_mlflow.ts";

/** Downloaded files, without the `registered_model_meta` MLflow's client adds itself. */
export function ours(files: string[]): string[] {
  return files.filter((f) => f !== "registered_model_meta");
}

/**
 * A schema statement with its lines in a fixed order: MLflow's migrations
 * order a table's constraints, and indexes, differently from run to run.
 */
export function normalized(statements: unknown[]): string[] {
  return statements
    .map((s) => String(s).split("\n").map((l) => l.trim().replace(/,$/, "")).sort().join("\n"))
    .sort();
}

export function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, r.stderr);
  return r;
}

/** Train, sweep and promote in `cwd`, with `args` (a tracking URI, or none for the default). */
export async function cliWrites(cwd: string, data: string, ...args: string[]) {
  const train = JSON.parse(
    ok(await mlopsIn(cwd, "train", "--data", data, "--trees", "5", "--json", ...args)).stdout,
  );
  const sweep = JSON.parse(
    ok(
      await mlopsIn(
        cwd,
        "sweep",
        "--data",
        data,
        "--grid",
        "trees=3,4",
        "--cv",
        "2",
        "--workers",
        "1",
        "--json",
        ...args,
      ),
    ).stdout,
  );
  const promote = JSON.parse(
    ok(
      await mlopsIn(
        cwd,
        "promote",
        "--run",
        sweep.parent_run_id,
        "--out",
        join(cwd, "edge"),
        "--json",
        ...args,
      ),
    ).stdout,
  );
  return { train, sweep, promote };
}

/** What MLflow must read from a store the CLI wrote with {@link cliWrites}. */
export function assertReadsCli(view: MlflowView, w: Awaited<ReturnType<typeof cliWrites>>) {
  assert.deepEqual(view.errors, [], JSON.stringify(view.errors, null, 1));
  assert.deepEqual(view.warnings, []);
  const exp = view.experiments.find((e: MlflowView) => e.name === "telco-small");
  assert.ok(exp, "the experiment");
  const runs = new Map(exp.runs.map((r: MlflowView) => [r.run_id, r]));
  // train: params, metrics, the dataset, the logged model.
  const train: MlflowView = runs.get(w.train.run_id);
  assert.equal(train.status, "FINISHED");
  assert.equal(train.params.n_estimators, "5");
  assert.equal(train.metrics.accuracy, w.train.metrics.accuracy);
  assert.deepEqual(train.dataset_inputs.map((d: MlflowView) => d.name), ["telco-small"]);
  assert.equal(train.model_outputs.length, 1);
  assert.ok(train.artifacts.includes("metrics.json"));
  // sweep: a parent with its children (each with the dataset) and the refit's logged model.
  const parent: MlflowView = runs.get(w.sweep.parent_run_id);
  const children = exp.runs.filter((r: MlflowView) => r.parent_run_id === parent.run_id);
  assert.equal(children.length, 2);
  for (const c of children) assert.equal(c.dataset_inputs.length, 1);
  assert.equal(parent.model_outputs.length, 1);
  // Logged models: MLflow lists them, reads them, downloads them; MLmodel points home.
  for (const id of [train.model_outputs[0], parent.model_outputs[0]]) {
    const m = view.logged_models.find((x: MlflowView) => x.model_id === id);
    assert.ok(m, `logged model ${id}`);
    assert.equal(m.status, "READY");
    assert.ok(m.get_logged_model);
    assert.deepEqual(ours(m.files), ["MLmodel", "model.mlops.json"]);
    assert.equal(m.mlmodel.model_id, id);
    assert.equal(m.mlmodel.run_id, m.source_run_id);
    assert.equal(m.mlmodel.signature, true);
    assert.equal(m.mlmodel.mlflow_version, null);
    assert.deepEqual(m.mlmodel.flavors, ["mlops_forest"]);
  }
  // The registry: train's version 1, promote's version 2 as champion, with its tags.
  const model = view.registered_models.find((m: MlflowView) => m.name === "telco-small");
  assert.deepEqual(model.versions.map((v: MlflowView) => [v.version, v.run_id]), [
    ["1", w.train.run_id],
    ["2", w.sweep.parent_run_id],
  ]);
  for (const v of model.versions) assert.match(v.source, /^models:\/m-[0-9a-f]{32}$/);
  assert.deepEqual(model.aliases, { champion: "2" });
  assert.equal(model.versions[1].tags["mlops.gate"], "first");
  assert.equal(w.promote.version, "2");
  assert.deepEqual(ours(model.by_alias.champion.files), ["MLmodel", "model.mlops.json"]);
}
