import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { isUserError } from "../lib/errors.ts";
import { hasErrorCode, MlflowError, openStore } from "../lib/mlflow/mod.ts";
import { resolveModel } from "../lib/mlflow/models.ts";
import { logTrainingRun } from "../lib/mlflow/logging.ts";
import { FileStore } from "../lib/mlflow/transfer.ts";
import { BUNDLE_FILE } from "../lib/model/types.ts";
import { needs } from "./support/parts.ts";

/** The real MLflow 3 store next to the repository (absent in users' clones). */
const FIXTURE = fileURLToPath(
  new URL("../../shared/fixtures/mlflow3-filestore/mlruns", import.meta.url),
);

async function tempStore(): Promise<{ dir: string; store: FileStore }> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-fs-test-" });
  return { dir, store: new FileStore(join(dir, "mlruns")) };
}

async function readYamlFile(path: string): Promise<Record<string, unknown>> {
  return parse(await Deno.readTextFile(path));
}

Deno.test("file store: round trip of a run, its data, artifacts and the registry", async () => {
  const { dir, store } = await tempStore();
  try {
    const expId = await store.createExperiment("churn");
    assert.match(expId, /^\d+$/);
    // MLflow creates the Default experiment with the store.
    assert.deepEqual((await store.listExperiments()).map((e) => e.name).sort(), [
      "Default",
      "churn",
    ]);
    assert.equal((await store.getExperimentByName("churn"))?.experimentId, expId);
    await assert.rejects(
      () => store.createExperiment("churn"),
      (e) => hasErrorCode(e, "RESOURCE_ALREADY_EXISTS"),
    );

    const info = await store.createRun({ experimentId: expId, runName: "rf-1", startTime: 1000 });
    assert.match(info.runId, /^[0-9a-f]{32}$/);
    await store.logBatch(info.runId, {
      params: { n_estimators: "100", max_depth: "None" },
      metrics: [0, 1, 2].map((step) => ({
        key: "loss",
        value: 1 / (step + 1),
        timestamp: 2000 + step,
        step,
      })).concat([{ key: "accuracy", value: 0.8125, timestamp: 2100, step: 0 }]),
      tags: { team: "risk" },
    });
    await store.logInputs(info.runId, [{
      dataset: {
        name: "churn",
        digest: "abc123",
        sourceType: "local",
        source: '{"uri": "/data/churn.csv"}',
        schema: '{"mlflow_colspec": []}',
        profile: '{"num_rows": 10}',
      },
      tags: { "mlflow.data.context": "train" },
    }]);
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "model", "sub"), { recursive: true });
    await Deno.writeTextFile(join(src, "model", BUNDLE_FILE), '{"format":"mlops-forest"}');
    await Deno.writeTextFile(join(src, "model", "sub", "extra.txt"), "x");
    await Deno.writeTextFile(join(src, "importances.csv"), "feature,importance\n");
    await store.logArtifact(info.runId, join(src, "model"), "model");
    await store.logArtifact(info.runId, join(src, "importances.csv"), "");

    // Not finished yet: invisible to other readers.
    const other = new FileStore(store.root);
    assert.equal((await other.searchRuns([expId])).length, 0);

    await store.updateRun(info.runId, "FINISHED", 5000);
    const run = await other.getRun(info.runId);
    assert.equal(run.info.status, "FINISHED");
    assert.equal(run.info.runName, "rf-1");
    assert.equal(run.info.startTime, 1000);
    assert.equal(run.info.endTime, 5000);
    assert.deepEqual(run.data.params, { n_estimators: "100", max_depth: "None" });
    assert.deepEqual(run.data.metrics.map((m) => [m.key, m.value, m.step]), [
      ["accuracy", 0.8125, 0],
      ["loss", 1 / 3, 2],
    ]);
    assert.deepEqual(
      (await other.getMetricHistory(info.runId, "loss")).map((m) => m.step),
      [0, 1, 2],
    );
    assert.equal(run.data.tags.team, "risk");
    assert.equal(run.data.tags["mlflow.runName"], "rf-1");
    assert.equal(run.inputs.length, 1);
    assert.equal(run.inputs[0].dataset.digest, "abc123");
    assert.deepEqual(run.inputs[0].tags, { "mlflow.data.context": "train" });
    assert.deepEqual((await other.listArtifacts(info.runId)).map((a) => [a.path, a.isDir]), [
      ["importances.csv", false],
      ["model", true],
    ]);
    assert.deepEqual((await other.listArtifacts(info.runId, "model")).map((a) => a.path), [
      `model/${BUNDLE_FILE}`,
      "model/sub",
    ]);

    // On disk, in MLflow's own layout and field names.
    const runDir = join(store.root, expId, info.runId);
    const meta = await readYamlFile(join(runDir, "meta.yaml"));
    assert.equal(meta.run_id, info.runId);
    assert.equal(meta.experiment_id, expId);
    assert.equal(meta.status, 3); // FINISHED
    assert.equal(meta.source_type, 4); // LOCAL
    assert.equal(meta.lifecycle_stage, "active");
    assert.equal(meta.artifact_uri, `file://${store.root}/${expId}/${info.runId}/artifacts`);
    assert.deepEqual(meta.tags, []);
    assert.equal(await Deno.readTextFile(join(runDir, "params", "max_depth")), "None");
    assert.equal(await Deno.readTextFile(join(runDir, "tags", "mlflow.runName")), "rf-1");
    assert.equal(
      await Deno.readTextFile(join(runDir, "metrics", "loss")),
      "2000 1 0\n2001 0.5 1\n2002 0.3333333333333333 2\n",
    );
    const expMeta = await readYamlFile(join(store.root, expId, "meta.yaml"));
    assert.equal(expMeta.name, "churn");
    assert.equal(expMeta.artifact_location, `file://${store.root}/${expId}`);
    // Dataset and input ids are MLflow's md5(name+digest) and md5(dataset_id+run_id).
    const { createHash } = await import("node:crypto");
    const datasetId = createHash("md5").update("churnabc123").digest("hex");
    const inputId = createHash("md5").update(datasetId + info.runId).digest("hex");
    const ds = await readYamlFile(join(store.root, expId, "datasets", datasetId, "meta.yaml"));
    assert.equal(ds.source_type, "local");
    const input = await readYamlFile(join(runDir, "inputs", inputId, "meta.yaml"));
    assert.deepEqual(input, {
      destination_id: datasetId,
      destination_type: "RUN",
      source_id: datasetId,
      source_type: "DATASET",
      tags: { "mlflow.data.context": "train" },
    });

    // Registry.
    await store.createRegisteredModel("churn");
    await assert.rejects(
      () => store.createRegisteredModel("churn"),
      (e) => hasErrorCode(e, "RESOURCE_ALREADY_EXISTS"),
    );
    const mv = await store.createModelVersion({
      name: "churn",
      source: `${run.info.artifactUri}/model`,
      runId: info.runId,
    });
    assert.equal(mv.version, "1");
    assert.equal((await store.createModelVersion({ name: "churn", source: "x" })).version, "2");
    await store.setAlias("churn", "champion", "1");
    await store.setModelVersionTag("churn", "1", "validated", "true");
    const byAlias = await store.getModelVersionByAlias("churn", "champion");
    assert.equal(byAlias.version, "1");
    assert.deepEqual(byAlias.aliases, ["champion"]);
    assert.deepEqual(byAlias.tags, { validated: "true" });
    assert.equal(byAlias.runId, info.runId);
    assert.deepEqual(
      (await store.searchModelVersions({ runId: info.runId })).map((v) => v.version),
      ["1"],
    );
    assert.deepEqual((await store.getRegisteredModel("churn"))?.aliases, { champion: "1" });
    const modelDir = join(store.root, "models", "churn");
    assert.equal(await Deno.readTextFile(join(modelDir, "aliases", "champion")), "1");
    const vmeta = await readYamlFile(join(modelDir, "version-1", "meta.yaml"));
    assert.equal(vmeta.version, 1);
    assert.equal(vmeta.current_stage, "None");
    assert.equal(vmeta.status, "READY");
    assert.equal(vmeta.source, `${run.info.artifactUri}/model`);
    assert.equal(vmeta.storage_location, vmeta.source);
    assert.equal((await readYamlFile(join(modelDir, "meta.yaml"))).name, "churn");

    // models:/ URIs resolve to the bundle inside the run's artifacts.
    const bundle = join(runDir, "artifacts", "model", BUNDLE_FILE);
    assert.equal(await resolveModel("models:/churn@champion", store), bundle);
    assert.equal(await resolveModel("models:/churn/1", store), bundle);
    assert.equal(await resolveModel("some/model.mlops.json", store), "some/model.mlops.json");
    await assert.rejects(() => resolveModel("models:/churn@nope", store), /not found/);
    await store.deleteAlias("churn", "champion");
    await assert.rejects(() => store.getModelVersionByAlias("churn", "champion"), MlflowError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file store: logTrainingRun writes MLflow's standard tags, params and an MLmodel", async () => {
  const { dir, store } = await tempStore();
  try {
    const bundlePath = join(dir, "bundle.json");
    await Deno.writeTextFile(bundlePath, '{"format":"mlops-forest"}');
    const parent = await logTrainingRun(store, {
      experiment: "sweep",
      runName: "parent",
      params: {},
      metrics: {},
      artifacts: [],
    }, { gitCommit: () => Promise.resolve(null), user: "ada", sourceName: "cli/main.ts" });
    const logged = await logTrainingRun(store, {
      experiment: "sweep",
      runName: "child-1",
      parentRunId: parent.runId,
      params: { n_estimators: 100, max_depth: null, bootstrap: true, max_features: "sqrt" },
      metrics: { accuracy: 0.8, oob_score: 0.79, fit_seconds: 1.25 },
      tags: { purpose: "test" },
      dataset: {
        name: "churn",
        digest: "d1g3st",
        source: "data/churn.csv",
        rows: 7043,
        schema: {},
      },
      artifacts: [],
      model: { bundlePath, register: { name: "churn", alias: "candidate" } },
    }, {
      gitCommit: () => Promise.resolve("0123456789abcdef0123456789abcdef01234567"),
      user: "ada",
      sourceName: "cli/main.ts",
    });
    assert.equal(logged.pendingSync, null);
    assert.equal(logged.experimentId, parent.experimentId);
    const run = await store.getRun(logged.runId);
    assert.equal(run.info.status, "FINISHED");
    assert.deepEqual(run.data.params, {
      n_estimators: "100",
      max_depth: "None",
      bootstrap: "True",
      max_features: "sqrt",
    });
    assert.equal(run.data.metrics.find((m) => m.key === "oob_score")?.value, 0.79);
    const tags = run.data.tags;
    assert.equal(tags["mlflow.runName"], "child-1");
    assert.equal(tags["mlflow.user"], "ada");
    assert.equal(tags["mlflow.source.name"], "cli/main.ts");
    assert.equal(tags["mlflow.source.type"], "LOCAL");
    assert.equal(tags["mlflow.source.git.commit"], "0123456789abcdef0123456789abcdef01234567");
    assert.equal(tags["mlflow.parentRunId"], parent.runId);
    assert.equal(tags.purpose, "test");
    assert.equal(
      (await store.getRun(parent.runId)).data.tags["mlflow.source.git.commit"],
      undefined,
    );
    assert.equal(JSON.parse(run.inputs[0].dataset.profile!).num_rows, 7043);

    // The model is a logged model (MLflow 3) with the run's params, linked metrics and source tags.
    assert.equal(run.outputs.length, 1);
    const model = await store.getLoggedModel(run.outputs[0].modelId);
    assert.equal(model.sourceRunId, logged.runId);
    assert.equal(model.status, "READY");
    assert.deepEqual(model.params, run.data.params);
    assert.equal(model.tags["mlflow.source.git.commit"], tags["mlflow.source.git.commit"]);
    assert.equal(model.tags["mlflow.user"], "ada");
    assert.deepEqual(JSON.parse(model.tags["mlflow.modelVersions"]), [{
      name: "churn",
      version: 1,
    }]);
    const modelDir = join(store.root, logged.experimentId, "models", model.modelId);
    assert.equal(
      (await Deno.readTextFile(join(modelDir, "metrics", "oob_score"))).split(" ").slice(1).join(
        " ",
      ),
      `0.79 0 ${logged.runId}\n`,
    );
    const mlmodel = parse(await Deno.readTextFile(join(modelDir, "artifacts", "MLmodel")));
    assert.equal(mlmodel.run_id, logged.runId);
    assert.equal(mlmodel.model_id, model.modelId);
    assert.equal(mlmodel.model_uuid, model.modelId);
    assert.equal(mlmodel.artifact_path, model.artifactLocation);
    assert.equal(mlmodel.flavors.mlops_forest.bundle_file, BUNDLE_FILE);
    assert.match(mlmodel.utc_time_created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(logged.modelVersion?.version, "1");
    const mv = await store.getModelVersion("churn", "1");
    assert.equal(mv.source, `models:/${model.modelId}`);
    assert.equal(mv.modelId, model.modelId);
    assert.equal(
      await resolveModel("models:/churn@candidate", store),
      join(modelDir, "artifacts", BUNDLE_FILE),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(needs(["shared"], {
  name: "file store: reads every run of a real MLflow 3 store",
  fn: async () => {
    const store = openStore(FIXTURE);
    const experiments = await store.listExperiments();
    // The deleted experiment in .trash is not listed.
    assert.deepEqual(experiments.map((e) => [e.experimentId, e.name]), [["0", "Default"]]);
    const runs = await store.searchRuns(["0"]);
    assert.equal(runs.length, 9); // `0/models/` (MLflow 3 logged models) holds no runs
    const byId = new Map(runs.map((r) => [r.info.runId, r]));

    // Values read from the files with `cat`.
    const tuning = byId.get("d606b968eecb41978971b9d8c4f98303")!;
    assert.equal(tuning.info.runName, "masked-lamb-325");
    assert.equal(tuning.info.status, "FINISHED");
    assert.equal(tuning.info.startTime, 1751195351763);
    assert.equal(tuning.info.endTime, 1751195635067);
    assert.equal(tuning.info.userId, "AKBAR");
    const metric = (id: string, key: string) =>
      byId.get(id)!.data.metrics.find((m) => m.key === key)?.value;
    assert.equal(metric("d606b968eecb41978971b9d8c4f98303", "best_cv_score"), 0.8020866094412743);
    assert.equal(
      metric("d606b968eecb41978971b9d8c4f98303", "training_roc_auc"),
      0.9453847466992057,
    );
    assert.equal(tuning.data.params.best_max_depth, "10");
    assert.equal(tuning.data.params.error_score, "nan");
    assert.equal(
      tuning.data.params.param_grid,
      "{'n_estimators': [100, 200], 'max_depth': [None, 10, 20], 'min_samples_split': [2, 5]}",
    );
    assert.equal(tuning.data.tags["mlflow.source.name"], "modelling_tuning.py");
    assert.deepEqual(tuning.inputs.map((i) => [i.dataset.name, i.dataset.digest, i.tags]), [
      ["dataset", "18c43737", { "mlflow.data.context": "train" }],
    ]);
    assert.equal(JSON.parse(tuning.inputs[0].dataset.profile!).num_rows, 4507);

    const child = byId.get("0719034ad5ce435791a57bbd30d80ca5")!;
    assert.equal(child.info.runName, "calm-bass-978");
    assert.equal(child.data.tags["mlflow.parentRunId"], "d606b968eecb41978971b9d8c4f98303");
    assert.deepEqual(
      [child.data.params.n_estimators, child.data.params.max_depth, child.data.params.bootstrap],
      ["100", "20", "True"],
    );
    assert.equal(metric("0719034ad5ce435791a57bbd30d80ca5", "mean_fit_time"), 8.630666255950928);
    assert.equal(metric("401c4759b50145f79ba98a6be8dadff1", "rank_test_score"), 2);
    assert.equal(metric("57799dc8a2e644ac9030cd24da266300", "mean_test_score"), 0.8020866094412743);
    assert.equal(
      runs.filter((r) => r.data.tags["mlflow.parentRunId"] === tuning.info.runId).length,
      5,
    );

    const failed = byId.get("4bb6ba8f6bb04679a9917a96444be683")!;
    assert.equal(failed.info.status, "FAILED");
    assert.equal(failed.data.metrics.length, 0);
    assert.equal(failed.data.params.max_depth, "None");

    const twoInputs = byId.get("c080a8e6541c4a45a3973b2e0d5b1d1b")!;
    assert.deepEqual(twoInputs.inputs.map((i) => i.dataset.digest).sort(), [
      "0becb6cb",
      "e718aaa1",
    ]);
    assert.equal(
      metric("c080a8e6541c4a45a3973b2e0d5b1d1b", "training_f1_score"),
      0.9980028394481215,
    );

    // Artifacts are found in the run folder although artifact_uri is a Windows path.
    assert.deepEqual(
      (await store.listArtifacts(tuning.info.runId)).map((a) => [a.path, a.fileSize]),
      [["cv_results.csv", 3232], ["estimator.html", 6399]],
    );

    // Every run: params, tags and metrics equal what the raw files say.
    for (const run of runs) {
      const dir = join(FIXTURE, "0", run.info.runId);
      for await (const f of Deno.readDir(join(dir, "params"))) {
        assert.equal(run.data.params[f.name], await Deno.readTextFile(join(dir, "params", f.name)));
      }
      for await (const f of Deno.readDir(join(dir, "tags"))) {
        assert.equal(run.data.tags[f.name], await Deno.readTextFile(join(dir, "tags", f.name)));
      }
      const metricsDir = join(dir, "metrics");
      const files = await Array.fromAsync(Deno.readDir(metricsDir)).catch(() => []);
      assert.equal(run.data.metrics.length, files.length);
      for (const f of files) {
        const [ts, value, step] = (await Deno.readTextFile(join(metricsDir, f.name))).trim().split(
          " ",
        );
        const m = run.data.metrics.find((m) => m.key === f.name)!;
        assert.deepEqual([m.timestamp, m.value, m.step], [Number(ts), Number(value), Number(step)]);
      }
    }
    // Metric history of MLflow 3's five-field lines.
    assert.deepEqual(await store.getMetricHistory(tuning.info.runId, "training_score"), [
      { key: "training_score", value: 0.8682050144220103, timestamp: 1751195596330, step: 0 },
    ]);
  },
}));

Deno.test("file store: a run interrupted mid-write leaves the store readable", async () => {
  const { dir, store } = await tempStore();
  try {
    const expId = await store.createExperiment("crash");
    const done = await store.createRun({ experimentId: expId, runName: "done" });
    await store.logBatch(done.runId, { params: { a: "1" } });
    await store.updateRun(done.runId, "FINISHED");

    // A process killed while logging: its run was still being assembled.
    const killed = await store.createRun({ experimentId: expId, runName: "killed" });
    await store.logBatch(killed.runId, { params: { a: "2" }, metrics: [] });
    const expDir = join(store.root, expId);
    // Killed between renaming the run folder into place and writing meta.yaml.
    const half = join(expDir, "0123456789abcdef0123456789abcdef");
    await Deno.mkdir(join(half, "params"), { recursive: true });
    await Deno.writeTextFile(join(half, "params", "a"), "3");
    // Truncated temp files left next to real files.
    await Deno.writeTextFile(join(expDir, ".tmp-meta.yaml-999-deadbeef"), "artifact_loc");
    await Deno.writeTextFile(
      join(store.root, expId, done.runId, ".tmp-meta.yaml-999-cafe"),
      "run_id: 12",
    );

    const reader = new FileStore(store.root);
    const runs = await reader.searchRuns([expId]);
    assert.deepEqual(runs.map((r) => r.info.runName), ["done"]);
    assert.equal(runs[0].data.params.a, "1");
    assert.deepEqual((await reader.listExperiments()).map((e) => e.name).sort(), [
      "Default",
      "crash",
    ]);
    await assert.rejects(
      () => reader.getRun(killed.runId),
      (e) => hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST"),
    );
    // The unfinished run is still there for the process that owns it.
    await store.updateRun(killed.runId, "FAILED");
    assert.equal((await reader.getRun(killed.runId)).info.status, "FAILED");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file store: a corrupted meta.yaml is a user error naming the file, and skipped (with a warning) in listings", async () => {
  const { dir } = await tempStore();
  const warnings: string[] = [];
  const store = new FileStore(join(dir, "mlruns"), { warn: (m) => warnings.push(m) });
  try {
    const expId = await store.createExperiment("broken");
    const run = await store.createRun({ experimentId: expId });
    await store.updateRun(run.runId, "FINISHED");
    const metaPath = join(store.root, expId, run.runId, "meta.yaml");
    await Deno.writeTextFile(metaPath, "run_id: [unclosed\n  status: :\n");
    assert.deepEqual(await store.searchRuns([expId]), []);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes(metaPath), warnings[0]);
    assert.ok(!warnings[0].includes("\n"));
    await assert.rejects(() => store.getRun(run.runId), (e) => {
      assert.ok(isUserError(e));
      assert.ok(e.message.includes(metaPath), e.message);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
    await Deno.writeTextFile(metaPath, "- just\n- a list\n");
    await assert.rejects(() => store.getRun(run.runId), new RegExp(metaPath));
    const expMeta = join(store.root, expId, "meta.yaml");
    await Deno.writeTextFile(expMeta, "name: broken\n"); // experiment_id missing
    assert.deepEqual((await store.listExperiments()).map((e) => e.name), ["Default"]);
    assert.match(warnings.at(-1)!, /missing 'experiment_id'/);
    assert.ok(warnings.at(-1)!.includes(expMeta));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file store: refuses param changes, escaping names and database URIs", async () => {
  const { dir, store } = await tempStore();
  try {
    const expId = await store.createExperiment("rules");
    const run = await store.createRun({ experimentId: expId });
    await store.logBatch(run.runId, { params: { lr: "0.1" } });
    await store.logBatch(run.runId, { params: { lr: "0.1" } }); // same value is fine
    await assert.rejects(
      () => store.logBatch(run.runId, { params: { lr: "0.2" } }),
      (e) => hasErrorCode(e, "INVALID_PARAMETER_VALUE") && /cannot change/.test(e.message),
    );
    await assert.rejects(
      () => store.logBatch(run.runId, { tags: { "../../evil": "x" } }),
      /invalid tag name/,
    );
    await assert.rejects(
      () => store.logArtifact(run.runId, dir, "../out"),
      /invalid artifact path/,
    );
    assert.throws(() => openStore("postgresql://db/mlflow"), /start an MLflow server/);
    assert.equal(openStore("sqlite:///mlflow.db").kind, "sql");
    assert.throws(() => openStore("postgresql://u@h/db"), /database \(postgresql\)/);
    assert.throws(() => openStore("s3://bucket/mlruns"), /unsupported scheme 's3'/);
    assert.equal(openStore(`file://${dir}/x`).kind, "file");
    assert.equal(openStore("https://dagshub.com/ada/churn.mlflow").kind, "rest");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
