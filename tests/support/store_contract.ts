/**
 * One scenario every local store must pass the same way (the file store
 * and the SQLite store): experiments, runs, params, metric histories with
 * steps and non-finite values, tags, dataset inputs, logged models and run
 * outputs, artifacts, and the registry with tags and aliases.
 *
 * @module
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { hasErrorCode, type TrackingStore } from "../../lib/mlflow/mod.ts";

/**
 * Runs the scenario against `store`, with scratch files under `dir`; returns
 * the ids it made, for store-specific checks.
 */
export async function checkStoreContract(store: TrackingStore, dir: string) {
  assert.equal(await store.getExperimentByName("churn"), null);
  const expId = await store.createExperiment("churn");
  await assert.rejects(
    () => store.createExperiment("churn"),
    (e) => hasErrorCode(e, "RESOURCE_ALREADY_EXISTS"),
  );
  assert.equal((await store.getExperimentByName("churn"))?.experimentId, expId);
  assert.ok((await store.listExperiments()).some((e) => e.name === "Default"));

  const run = await store.createRun({
    experimentId: expId,
    runName: "first",
    userId: "ada",
    startTime: 1000,
    tags: { team: "risk" },
  });
  assert.match(run.runId, /^[0-9a-f]{32}$/);
  assert.ok(run.artifactUri.endsWith(`/${run.runId}/artifacts`), run.artifactUri);
  const model = await store.createLoggedModel({
    experimentId: expId,
    name: "model",
    sourceRunId: run.runId,
    params: { n_estimators: "100" },
    tags: { "mlops.flavor": "mlops_forest" },
  });
  assert.match(model.modelId, /^m-[0-9a-f]{32}$/);
  assert.equal(model.status, "PENDING");

  await store.logBatch(run.runId, {
    params: { n_estimators: "100", max_depth: "None" },
    metrics: [
      { key: "loss", value: 0.5, timestamp: 10, step: 0 },
      { key: "loss", value: 0.25, timestamp: 20, step: 1 },
      { key: "loss", value: NaN, timestamp: 30, step: 2 },
      { key: "accuracy", value: 0.8, timestamp: 10, step: 0, modelId: model.modelId },
    ],
    tags: { "mlflow.runName": "renamed", purpose: "contract" },
  });
  await store.logBatch(run.runId, { params: { n_estimators: "100" } }); // same value: fine
  await assert.rejects(
    () => store.logBatch(run.runId, { params: { n_estimators: "200" } }),
    (e) => hasErrorCode(e, "INVALID_PARAMETER_VALUE") && /cannot change/.test(e.message),
  );
  const history = await store.getMetricHistory(run.runId, "loss");
  assert.deepEqual(history.map((m) => [m.step, m.value]), [[0, 0.5], [1, 0.25], [2, NaN]]);

  const input = {
    dataset: {
      name: "churn",
      digest: "9f2c",
      sourceType: "local",
      source: '{"uri": "/data/churn.csv"}',
      schema: '{"mlflow_colspec": []}',
      profile: '{"num_rows": 7043}',
    },
    tags: { "mlflow.data.context": "train" },
  };
  await store.logInputs(run.runId, [input]);
  await store.logInputs(run.runId, [input]); // once per run

  const files = join(dir, "model-files");
  await Deno.mkdir(join(files, "sub"), { recursive: true });
  await Deno.writeTextFile(join(files, "MLmodel"), "run_id: x\n");
  await Deno.writeTextFile(join(files, "sub", "w.bin"), "weights");
  await store.logLoggedModelArtifacts(model.modelId, files);
  await store.logOutputs(run.runId, [{ modelId: model.modelId, step: 0 }]);
  await store.finalizeLoggedModel(model.modelId, "READY");
  await store.setLoggedModelTags(model.modelId, { stage: "tested" });
  await Deno.writeTextFile(join(dir, "notes.txt"), "hello");
  await store.logArtifact(run.runId, join(dir, "notes.txt"), "docs");
  await store.updateRun(run.runId, "FINISHED", 5000);

  const got = await store.getRun(run.runId);
  assert.equal(got.info.runName, "renamed");
  assert.equal(got.info.status, "FINISHED");
  assert.equal(got.info.endTime, 5000);
  assert.equal(got.info.userId, "ada");
  assert.deepEqual(got.data.params, { n_estimators: "100", max_depth: "None" });
  assert.equal(got.data.tags.team, "risk");
  assert.equal(got.data.tags["mlflow.runName"], "renamed");
  const latest = Object.fromEntries(got.data.metrics.map((m) => [m.key, [m.step, m.value]]));
  assert.deepEqual(latest, { accuracy: [0, 0.8], loss: [2, NaN] });
  assert.equal(got.inputs.length, 1);
  assert.equal(got.inputs[0].dataset.digest, "9f2c");
  assert.deepEqual(got.inputs[0].tags, { "mlflow.data.context": "train" });
  assert.deepEqual(got.outputs, [{ modelId: model.modelId, step: 0 }]);
  assert.deepEqual((await store.listArtifacts(run.runId)).map((a) => [a.path, a.isDir]), [
    ["docs", true],
  ]);
  assert.deepEqual((await store.listArtifacts(run.runId, "docs")).map((a) => a.path), [
    "docs/notes.txt",
  ]);

  const found = await store.getLoggedModel(model.modelId);
  assert.equal(found.status, "READY");
  assert.equal(found.sourceRunId, run.runId);
  assert.deepEqual(found.params, { n_estimators: "100" });
  assert.equal(found.tags.stage, "tested");
  assert.deepEqual(
    (await store.searchLoggedModels([expId], { sourceRunId: run.runId })).map((m) => m.modelId),
    [model.modelId],
  );
  const modelDir = await store.downloadArtifacts(`models:/${model.modelId}`, join(dir, "dl"));
  assert.equal(await Deno.readTextFile(join(modelDir, "sub", "w.bin")), "weights");

  // The registry.
  await store.createRegisteredModel("churn");
  await assert.rejects(
    () => store.createRegisteredModel("churn"),
    (e) => hasErrorCode(e, "RESOURCE_ALREADY_EXISTS"),
  );
  const v1 = await store.createModelVersion({
    name: "churn",
    source: `models:/${model.modelId}`,
    runId: run.runId,
    modelId: model.modelId,
    tags: { gate: "first" },
  });
  assert.equal(v1.version, "1");
  assert.equal(v1.modelId, model.modelId);
  const v2 = await store.createModelVersion({
    name: "churn",
    source: `${run.artifactUri}/docs`,
    runId: run.runId,
  });
  assert.equal(v2.version, "2");
  await store.setAlias("churn", "champion", "1");
  await store.setAlias("churn", "champion", "2"); // moves
  await store.setModelVersionTag("churn", "1", "note", "kept");
  assert.equal((await store.getModelVersionByAlias("churn", "champion")).version, "2");
  assert.deepEqual((await store.getRegisteredModel("churn"))?.aliases, { champion: "2" });
  const mv1 = await store.getModelVersion("churn", "1");
  assert.deepEqual(mv1.tags, { gate: "first", note: "kept" });
  assert.equal(mv1.source, `models:/${model.modelId}`);
  assert.deepEqual(
    (await store.searchModelVersions({ name: "churn", runId: run.runId })).map((v) => v.version),
    ["2", "1"],
  );
  assert.deepEqual((await store.getModelVersion("churn", "2")).aliases, ["champion"]);
  await store.deleteAlias("churn", "champion");
  await assert.rejects(
    () => store.getModelVersionByAlias("churn", "champion"),
    (e) => hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST"),
  );
  await assert.rejects(
    () => store.getModelVersion("churn", "9"),
    (e) => hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST"),
  );
  assert.equal(await store.getRegisteredModel("other"), null);

  // Search: newest first, tag filters.
  const second = await store.createRun({ experimentId: expId, runName: "second", startTime: 2000 });
  await store.updateRun(second.runId, "FAILED", 3000);
  assert.deepEqual((await store.searchRuns([expId])).map((r) => r.info.runName), [
    "second",
    "renamed",
  ]);
  assert.deepEqual(
    (await store.searchRuns([expId], { tags: { purpose: "contract" } })).map((r) => r.info.runId),
    [run.runId],
  );
  return { expId, runId: run.runId, modelId: model.modelId };
}
