import { strict as assert } from "node:assert";
import { join } from "node:path";
import { isUserError } from "../lib/errors.ts";
import { hasErrorCode, MlflowUnavailableError, openStore } from "../lib/mlflow/mod.ts";
import { resolveModel } from "../lib/mlflow/models.ts";
import { logTrainingRun, type TrainingRunLog } from "../lib/mlflow/logging.ts";
import { FileStore, syncStore } from "../lib/mlflow/transfer.ts";
import { type RestClientOptions } from "../lib/mlflow/rest_client.ts";
import { BUNDLE_FILE } from "../lib/model/types.ts";
import { run as cli } from "../cli/main.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";

/** Retries without waiting, and no credentials from the environment. */
const FAST: RestClientOptions = { credentials: null, sleep: () => Promise.resolve() };
const QUIET = { gitCommit: () => Promise.resolve(null), user: "ada", sourceName: "train.ts" };

async function fixtureFiles(dir: string) {
  const bundlePath = join(dir, "bundle.json");
  await Deno.writeTextFile(bundlePath, '{"format":"mlops-forest","forest":[1,2,3]}');
  await Deno.mkdir(join(dir, "plots"));
  await Deno.writeTextFile(join(dir, "plots", "roc.svg"), "<svg/>");
  await Deno.writeTextFile(join(dir, "importances.csv"), "feature,importance\ntenure,0.4\n");
  return bundlePath;
}

function trainingRun(dir: string, bundlePath: string): TrainingRunLog {
  return {
    experiment: "churn",
    runName: "rf-100",
    params: { n_estimators: 100, max_depth: null, bootstrap: true },
    metrics: { accuracy: 0.8125, oob_score: 0.79, fit_seconds: 1.5 },
    tags: { team: "risk" },
    dataset: { name: "churn", digest: "9f2c", source: "data/churn.csv", rows: 7043, schema: {} },
    artifacts: [
      { localPath: join(dir, "plots"), artifactPath: "plots" },
      { localPath: join(dir, "importances.csv"), artifactPath: "" },
    ],
    model: { bundlePath, register: { name: "churn", alias: "champion" } },
  };
}

Deno.test("rest: a full training run, registry and models:/ resolution (DagsHub-style URI, token)", async () => {
  const server = startMlflowServer({ basePath: "/ada/churn.mlflow", auth: { token: "s3cret" } });
  const dir = await Deno.makeTempDir({ prefix: "mlops-rest-test-" });
  try {
    const bundlePath = await fixtureFiles(dir);
    const store = openStore(server.url, {
      ...FAST,
      credentials: { kind: "bearer", token: "s3cret" },
    });
    assert.equal(store.kind, "rest");
    const logged = await logTrainingRun(store, trainingRun(dir, bundlePath), QUIET);
    assert.equal(logged.pendingSync, null);
    assert.match(logged.runId, /^[0-9a-f]{32}$/);
    assert.equal(
      logged.artifactUri,
      `mlflow-artifacts:/${logged.experimentId}/${logged.runId}/artifacts`,
    );

    // What the server holds.
    const run = server.runs.get(logged.runId)!;
    assert.equal(run.info.status, "FINISHED");
    assert.equal(run.info.run_name, "rf-100");
    assert.equal(server.experiments.get(logged.experimentId)?.name, "churn");
    assert.deepEqual(Object.fromEntries(run.params), {
      n_estimators: "100",
      max_depth: "None",
      bootstrap: "True",
    });
    assert.deepEqual(run.metrics.map((m) => [m.key, m.value]).sort(), [
      ["accuracy", 0.8125],
      ["fit_seconds", 1.5],
      ["oob_score", 0.79],
    ]);
    assert.equal(run.tags.get("mlflow.source.type"), "LOCAL");
    assert.equal(run.tags.get("mlflow.user"), "ada");
    assert.equal(run.tags.get("mlflow.source.name"), "train.ts");
    assert.equal(run.tags.get("team"), "risk");
    assert.equal(run.inputs[0].dataset.digest, "9f2c");
    const prefix = `${logged.experimentId}/${logged.runId}/artifacts`;
    assert.deepEqual([...server.artifacts.keys()].sort(), [
      `${prefix}/importances.csv`,
      `${prefix}/model/MLmodel`,
      `${prefix}/model/${BUNDLE_FILE}`,
      `${prefix}/plots/roc.svg`,
    ]);
    assert.match(
      new TextDecoder().decode(server.artifacts.get(`${prefix}/model/MLmodel`)),
      new RegExp(`run_id: ${logged.runId}`),
    );

    // Reading back through the API.
    const back = await store.getRun(logged.runId);
    assert.equal(back.data.params.max_depth, "None");
    assert.equal(back.data.metrics.find((m) => m.key === "accuracy")?.value, 0.8125);
    assert.deepEqual((await store.listArtifacts(logged.runId)).map((a) => [a.path, a.isDir]), [
      ["importances.csv", false],
      ["model", true],
      ["plots", true],
    ]);
    assert.deepEqual((await store.listArtifacts(logged.runId, "plots")).map((a) => a.path), [
      "plots/roc.svg",
    ]);
    assert.equal((await store.searchRuns([logged.experimentId])).length, 1);

    // Registry and models:/ URIs.
    assert.equal(logged.modelVersion?.version, "1");
    const mv = await store.getModelVersionByAlias("churn", "champion");
    assert.equal(mv.source, `${logged.artifactUri}/model`);
    assert.equal(mv.runId, logged.runId);
    await store.setModelVersionTag("churn", "1", "validated", "yes");
    assert.deepEqual((await store.getModelVersion("churn", "1")).tags, { validated: "yes" });
    const cacheDir = join(dir, "cache");
    const bundle = await resolveModel("models:/churn@champion", store, { cacheDir });
    assert.ok(bundle.startsWith(cacheDir) && bundle.endsWith(BUNDLE_FILE));
    assert.equal(await Deno.readTextFile(bundle), await Deno.readTextFile(bundlePath));
    const gets = () =>
      server.requests.filter((r) => r.method === "GET" && r.path.includes("artifacts/")).length;
    const before = gets();
    assert.equal(await resolveModel("models:/churn/1", store, { cacheDir }), bundle);
    assert.equal(gets(), before, "a cached version is not downloaded again");
    await assert.rejects(
      () => resolveModel("models:/churn@nope", store, { cacheDir }),
      /not found/,
    );
    await store.deleteAlias("churn", "champion");
    await assert.rejects(
      () => store.getModelVersionByAlias("churn", "champion"),
      (e) => hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST"),
    );
    await assert.rejects(
      () => store.getRun("0".repeat(32)),
      (e) => hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST") && e.status === 404,
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: 503s and 429s are retried with backoff, then the run goes through", async () => {
  const server = startMlflowServer();
  const delays: number[] = [];
  try {
    const store = openStore(server.url, {
      ...FAST,
      backoff: (attempt) => 100 * 2 ** (attempt - 1),
      sleep: (ms) => (delays.push(ms), Promise.resolve()),
    });
    server.failNext(3, 503);
    const id = await store.createExperiment("flaky");
    assert.deepEqual(delays, [100, 200, 400]);
    server.failNext(2, 429);
    const logged = await logTrainingRun(store, {
      experiment: "flaky",
      params: { a: 1 },
      metrics: { m: 0.5 },
      artifacts: [],
    }, { ...QUIET, fallback: false });
    assert.equal(logged.experimentId, id);
    assert.equal(server.runs.get(logged.runId)?.info.status, "FINISHED");
    assert.equal(server.requests.filter((r) => r.path.endsWith("/experiments/create")).length, 4);
  } finally {
    await server.close();
  }
});

Deno.test("rest: server down for a whole run → local fallback → sync uploads it once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-sync-test-" });
  const down = startMlflowServer();
  await down.close(); // nothing listens on this port any more
  const server = startMlflowServer();
  try {
    const bundlePath = await fixtureFiles(dir);
    const fallbackDir = join(dir, "mlruns");
    const warnings: string[] = [];
    const unreachable = openStore(down.url, { ...FAST, maxAttempts: 3 });
    await assert.rejects(() => unreachable.listExperiments(), MlflowUnavailableError);

    const parent = await logTrainingRun(unreachable, {
      experiment: "churn",
      runName: "sweep",
      params: {},
      metrics: {},
      artifacts: [],
    }, { ...QUIET, fallback: fallbackDir, warn: (m) => warnings.push(m) });
    const logged = await logTrainingRun(unreachable, {
      ...trainingRun(dir, bundlePath),
      parentRunId: parent.runId,
    }, { ...QUIET, fallback: fallbackDir, warn: (m) => warnings.push(m) });
    assert.equal(logged.pendingSync, down.url);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /unreachable/);
    assert.ok(warnings[0].includes(`mlops sync --to ${down.url}`));

    const local = new FileStore(fallbackDir);
    const localRun = await local.getRun(logged.runId);
    assert.equal(localRun.info.status, "FINISHED");
    assert.equal(localRun.data.tags["mlops.pending_sync"], down.url);
    assert.equal(localRun.data.tags["mlops.pending_register"], "churn@champion");
    assert.equal(localRun.data.params.n_estimators, "100");
    // Registered locally meanwhile, so the model is usable right away.
    assert.ok((await resolveModel("models:/churn@champion", local)).endsWith(BUNDLE_FILE));

    // The server is back: upload.
    const remote = openStore(server.url, FAST);
    const report = await syncStore(local, remote);
    assert.equal(report.uploaded.length, 2);
    assert.equal(report.skipped.length, 0);
    const remoteId = report.uploaded.find((u) => u.localRunId === logged.runId)!.remoteRunId;
    const remoteParent = report.uploaded.find((u) => u.localRunId === parent.runId)!.remoteRunId;
    const up = await remote.getRun(remoteId);
    assert.equal(up.info.status, "FINISHED");
    assert.equal(up.info.runName, "rf-100");
    assert.equal(up.info.startTime, localRun.info.startTime);
    assert.deepEqual(up.data.params, localRun.data.params);
    assert.deepEqual(
      up.data.metrics.map((m) => [m.key, m.value, m.timestamp]),
      localRun.data.metrics.map((m) => [m.key, m.value, m.timestamp]),
    );
    assert.equal(up.data.tags["mlops.sync_source_run_id"], logged.runId);
    assert.equal(up.data.tags["mlops.pending_sync"], undefined);
    assert.equal(up.data.tags["mlflow.parentRunId"], remoteParent, "parent id is remapped");
    assert.equal(up.inputs[0].dataset.digest, "9f2c");
    assert.deepEqual(
      (await remote.listArtifacts(remoteId)).map((a) => a.path),
      ["importances.csv", "model", "plots"],
    );
    const mv = await remote.getModelVersionByAlias("churn", "champion");
    assert.equal(mv.runId, remoteId);
    assert.equal((await local.getRun(logged.runId)).data.tags["mlops.synced_run_id"], remoteId);

    // Running sync again uploads nothing new.
    const again = await syncStore(local, remote);
    assert.deepEqual([again.uploaded.length, again.skipped.length], [0, 2]);
    // Even without the local mark, the server-side tag prevents a duplicate.
    await Deno.remove(
      join(fallbackDir, logged.experimentId, logged.runId, "tags", "mlops.synced_run_id"),
    );
    const third = await syncStore(local, remote);
    assert.equal(third.uploaded.length, 0);
    assert.equal(server.runs.size, 2);

    // The CLI does the same.
    const logs: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => logs.push(a.join(" "));
    try {
      assert.equal(await cli(["sync", "--to", server.url, "--from", fallbackDir]), 0);
    } finally {
      console.log = orig;
    }
    assert.match(logs.join("\n"), /0 runs uploaded to .*, 2 already there/);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: a server answering 503 to everything counts as unreachable", async () => {
  const server = startMlflowServer();
  const dir = await Deno.makeTempDir();
  try {
    server.setDown(true);
    const warnings: string[] = [];
    const logged = await logTrainingRun(
      openStore(server.url, { ...FAST, maxAttempts: 2 }),
      { experiment: "e", params: {}, metrics: { m: 1 }, artifacts: [] },
      { ...QUIET, fallback: join(dir, "mlruns"), warn: (m) => warnings.push(m) },
    );
    assert.equal(logged.pendingSync, server.url);
    assert.match(warnings[0], /503/);
    assert.equal(server.runs.size, 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: wrong credentials give a clear 401/403 message", async () => {
  const server = startMlflowServer({ auth: { username: "ada", password: "right" } });
  const forbidden = startMlflowServer({ forbidden: true });
  try {
    const wrong = openStore(server.url, {
      ...FAST,
      credentials: { kind: "basic", username: "ada", password: "wrong" },
    });
    await assert.rejects(() => wrong.listExperiments(), (e) => {
      assert.ok(isUserError(e));
      assert.equal(
        e.message,
        `MLflow at ${server.url} rejected the credentials (401): check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN`,
      );
      return true;
    });
    await assert.rejects(
      () => openStore(server.url, FAST).listExperiments(),
      /requires credentials \(401\)/,
    );
    const right = openStore(server.url, {
      ...FAST,
      credentials: { kind: "basic", username: "ada", password: "right" },
    });
    assert.deepEqual((await right.listExperiments()).map((e) => e.name), ["Default"]);
    await assert.rejects(
      () =>
        openStore(forbidden.url, { ...FAST, credentials: { kind: "bearer", token: "t" } })
          .listExperiments(),
      /refused POST \/api\/2\.0\/mlflow\/experiments\/search.* \(403 PERMISSION_DENIED\): .*lacks permission/,
    );
    // Auth failures are not retried, and do not trigger the fallback.
    await assert.rejects(
      () =>
        logTrainingRun(wrong, { experiment: "e", params: {}, metrics: {}, artifacts: [] }, QUIET),
      /401/,
    );
    assert.equal(server.requests.filter((r) => r.path.includes("get-by-name")).length, 1);
  } finally {
    await server.close();
    await forbidden.close();
  }
});

Deno.test("rest: log-batch stays within MLflow's limits", async () => {
  const server = startMlflowServer();
  try {
    const store = openStore(server.url, FAST);
    const expId = await store.createExperiment("big");
    const info = await store.createRun({ experimentId: expId });
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i % 50}`,
      value: i,
      timestamp: 1000 + i,
      step: Math.floor(i / 50),
    }));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, `${i}`]));
    const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, `${i}`]));
    await store.logBatch(info.runId, { metrics, params, tags });
    const batches = server.requests
      .filter((r) => r.path.endsWith("/runs/log-batch"))
      .map((r) => r.body as { metrics: unknown[]; params: unknown[]; tags: unknown[] });
    assert.ok(batches.length >= 3, `${batches.length} requests`);
    for (const b of batches) {
      assert.ok(b.metrics.length <= 1000 && b.params.length <= 100 && b.tags.length <= 100);
      assert.ok(b.metrics.length + b.params.length + b.tags.length <= 1000);
    }
    const run = server.runs.get(info.runId)!;
    assert.equal(run.metrics.length, 2500);
    assert.equal(run.params.size, 150);
    assert.equal(run.tags.size, 121); // + mlflow.runName
    // Metric history keeps its order across requests.
    const history = await store.getMetricHistory(info.runId, "m7");
    assert.deepEqual(history.map((m) => m.step), Array.from({ length: 50 }, (_, i) => i));
    // Non-finite values travel as proto JSON strings.
    await store.logBatch(info.runId, {
      metrics: [{ key: "loss", value: NaN, timestamp: 1, step: 0 }],
    });
    assert.ok(Number.isNaN((await store.getMetricHistory(info.runId, "loss"))[0].value));
  } finally {
    await server.close();
  }
});

Deno.test("rest: the test server answers like MLflow to malformed requests", async () => {
  const server = startMlflowServer();
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}/api/2.0/mlflow/${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => [r.status, await r.json()]);
    const [s1, b1] = await post("experiments/create", { name: "x", colour: "red" });
    assert.deepEqual([s1, b1.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    const [s2, b2] = await post("runs/create", { experiment_id: "0", start_time: "soon" });
    assert.deepEqual([s2, b2.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    const [s3, b3] = await post("runs/update", { run_id: "f".repeat(32), status: "FINISHED" });
    assert.deepEqual([s3, b3.error_code], [404, "RESOURCE_DOES_NOT_EXIST"]);
    const [s4, b4] = await post("experiments/create", { name: "Default" });
    assert.deepEqual([s4, b4.error_code], [400, "RESOURCE_ALREADY_EXISTS"]);
    const [s5, b5] = await post("experiments/create", {});
    assert.deepEqual([s5, b5.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    assert.match(b5.message, /Missing value for required parameter 'name'/);
    // Through the client: the server's error becomes an MlflowError.
    const store = openStore(server.url, FAST);
    await assert.rejects(
      () => store.createExperiment("Default"),
      (e) => hasErrorCode(e, "RESOURCE_ALREADY_EXISTS") && e.status === 400,
    );
  } finally {
    await server.close();
  }
});
