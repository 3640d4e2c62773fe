/**
 * `mlops sync` is safe to rerun after a failure at any request: whichever
 * request of a sync is dropped (before the server saw it, or after it did
 * the work), a rerun ends in exactly the state of a clean sync: one remote
 * run per local run, FINISHED, its data once, one model version.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parse } from "yaml";
import { isUserError } from "../lib/errors.ts";
import { openStore, type TrackingStore } from "../lib/mlflow/mod.ts";
import { logTrainingRun } from "../lib/mlflow/logging.ts";
import { FileStore, syncStore } from "../lib/mlflow/transfer.ts";
import { type RestClientOptions } from "../lib/mlflow/rest_client.ts";
import { writeBundle } from "../lib/model/io.ts";
import { type DropPlan, startDropProxy } from "./support/drop_proxy.ts";
import { type MlflowTestServer, startMlflowServer } from "./support/mlflow_server.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import { mlops } from "./support/cli.ts";
import { withEnv } from "./support/env.ts";
import { needs } from "./support/parts.ts";
import { startRealMlflow } from "./support/real_mlflow.ts";

const FAST: RestClientOptions = {
  credentials: null,
  sleep: () => Promise.resolve(),
  maxAttempts: 3,
};
const QUIET = { gitCommit: () => Promise.resolve(null), user: "ada", sourceName: "train.ts" };

/**
 * A fallback store with a parent run and a child run waiting to be
 * registered, in experiment and model `churn<suffix>`.
 */
async function pendingStore(dir: string, suffix = ""): Promise<string> {
  const down = startMlflowServer();
  await down.close();
  const unreachable = openStore(down.url, { ...FAST, maxAttempts: 1 });
  const fallback = join(dir, `pending${suffix}`);
  const opts = { ...QUIET, fallback, warn: () => {} };
  const name = `churn${suffix}`;
  const parent = await logTrainingRun(unreachable, {
    experiment: name,
    runName: "sweep",
    params: { grid: "trees" },
    metrics: { best_accuracy: 0.8 },
    artifacts: [],
  }, opts);
  const modelDir = join(dir, "model");
  const { file: bundlePath } = await writeBundle(modelDir, tinyBundle());
  await Deno.writeTextFile(join(dir, "importances.csv"), "feature,importance\nx,0.5\n");
  await logTrainingRun(unreachable, {
    experiment: name,
    runName: "rf-100",
    parentRunId: parent.runId,
    params: { n_estimators: 100, max_depth: null },
    metrics: { accuracy: 0.8125, oob_score: 0.79 },
    tags: { team: "risk" },
    dataset: { name: "churn", digest: "9f2c", source: "data/churn.csv", rows: 100, schema: {} },
    artifacts: [{ localPath: join(dir, "importances.csv"), artifactPath: "" }],
    model: { bundlePath, register: { name, alias: "champion" } },
  }, opts);
  return fallback;
}

/**
 * What a store holds for experiment and model `name`, read through the REST
 * API (so it works on any server), with run ids replaced by run names.
 */
async function remoteState(store: TrackingStore, name: string) {
  const exp = await store.getExperimentByName(name);
  const runs = exp ? await store.searchRuns([exp.experimentId]) : [];
  const nameOf = new Map(runs.map((r) => [r.info.runId, r.info.runName]));
  const ids = (s: string) => s.replace(/[0-9a-f]{32}/g, (id) => nameOf.get(id) ?? id);
  const out = [];
  for (const r of runs.sort((a, b) => a.info.runName.localeCompare(b.info.runName))) {
    const history = [];
    for (const m of r.data.metrics) {
      history.push(...await store.getMetricHistory(r.info.runId, m.key));
    }
    const files = [];
    for (const a of await store.listArtifacts(r.info.runId)) {
      if (!a.isDir) files.push(a.path);
      else files.push(...(await store.listArtifacts(r.info.runId, a.path)).map((f) => f.path));
    }
    out.push({
      name: r.info.runName,
      status: r.info.status,
      params: r.data.params,
      // Without timestamps: each case logs its own runs.
      metrics: history.map((m) => `${m.key}=${m.value}/${m.step}`).sort(),
      parent: ids(r.data.tags["mlflow.parentRunId"] ?? ""),
      inputs: r.inputs.length,
      files: files.sort(),
    });
  }
  // Logged models (MLflow 3 servers): one per run that had one, complete, pointing home.
  const models = [];
  for (const m of exp ? await store.searchLoggedModels([exp.experimentId]) : []) {
    const dir = await store.downloadArtifacts(
      `models:/${m.modelId}`,
      await Deno.makeTempDir({ prefix: "mlops-sync-model-" }),
    );
    const mlmodel = parse(await Deno.readTextFile(join(dir, "MLmodel"))) as Record<string, string>;
    await Deno.remove(dir, { recursive: true });
    const home = mlmodel.run_id === m.sourceRunId && mlmodel.model_id === m.modelId;
    models.push(
      `${m.status} run=${ids(m.sourceRunId ?? "")} MLmodel=${home ? "home" : "elsewhere"}`,
    );
  }
  const versions = (await store.searchModelVersions({ name })).map((v) =>
    `${v.version} run=${ids(v.runId ?? "")} ${
      v.source.startsWith("models:/m-") ? "logged" : v.source
    }`
  );
  // Read by alias: MLflow's search leaves version aliases out.
  const champion = await store.getModelVersionByAlias(name, "champion").then(
    (v) => v.version,
    () => null,
  );
  return { runs: out, models, versions, champion };
}

async function copyDir(from: string, to: string) {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/** What the server holds, with its own ids replaced by run names, for comparison. */
function state(server: MlflowTestServer) {
  const runs = [...server.runs.values()].filter((r) => r.info.lifecycle_stage === "active");
  const nameOf = new Map(runs.map((r) => [r.info.run_id as string, r.info.run_name as string]));
  const ids = (s: string) => s.replace(/[0-9a-f]{32}/g, (id) => nameOf.get(id) ?? id);
  return {
    experiments: [...server.experiments.values()].map((e) => e.name).sort(),
    runs: runs.map((r) => ({
      name: r.info.run_name,
      status: r.info.status,
      startTime: r.info.start_time,
      params: Object.fromEntries([...r.params].sort()),
      metrics: r.metrics.map((m) => `${m.key}=${m.value}@${m.timestamp}/${m.step}`).sort(),
      tags: Object.fromEntries([...r.tags].map(([k, v]) => [k, ids(v)]).sort()),
      inputs: r.inputs.map((i) => i.dataset.digest),
    })).sort((a, b) => a.name.localeCompare(b.name)),
    artifacts: [...server.artifacts.keys()].map((k) => ids(k.replace(/^\d+\//, ""))).sort(),
    versions: [...server.models.values()].flatMap((m) =>
      m.versions.map((v) => `${m.name}/${v.version} run=${ids(v.run_id ?? "")} ${ids(v.source)}`)
    ),
    aliases: [...server.models.values()].flatMap((m) =>
      [...m.aliases].map(([a, v]) => `${m.name}@${a}=${v}`)
    ),
  };
}

Deno.test("sync: after a dropped connection at any request, a rerun equals a clean sync", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-sync-resume-" });
  try {
    const template = await pendingStore(dir);

    // The reference: one clean sync, and how many requests it takes.
    const clean = startMlflowServer();
    const cleanProxy = startDropProxy(clean.url);
    await copyDir(template, join(dir, "clean"));
    await syncStore(new FileStore(join(dir, "clean")), openStore(cleanProxy.url, FAST));
    const requests = cleanProxy.count();
    const expected = state(clean);
    await cleanProxy.close();
    await clean.close();
    assert.equal(expected.runs.length, 2);
    assert.ok(expected.runs.every((r) => r.status === "FINISHED"));
    assert.equal(expected.versions.length, 1);

    let n = 0;
    const failures: string[] = [];
    for (let at = 1; at <= requests; at++) {
      for (const when of ["before", "after"] as const) {
        for (const persist of [true, false]) {
          const plan: DropPlan = { at, when, persist };
          const server = startMlflowServer();
          const proxy = startDropProxy(server.url);
          const local = join(dir, `case-${n++}`);
          await copyDir(template, local);
          try {
            const remote = openStore(proxy.url, FAST);
            proxy.failAt(plan);
            let first = "ok";
            try {
              await syncStore(new FileStore(local), remote);
            } catch (e) {
              if (!isUserError(e)) throw e;
              first = e.message;
            }
            proxy.heal();
            await syncStore(new FileStore(local), remote);
            const got = state(server);
            try {
              assert.deepEqual(got, expected);
            } catch {
              failures.push(`${JSON.stringify(plan)} (first sync: ${first})`);
              continue;
            }
            // And once more: nothing new.
            const again = await syncStore(new FileStore(local), remote);
            assert.equal(again.uploaded.length, 0, JSON.stringify(plan));
            assert.deepEqual(state(server), expected, JSON.stringify(plan));
          } finally {
            await proxy.close();
            await server.close();
          }
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${n} cases differ from a clean sync`);

    // Through the CLI: the last request is lost; one line says to rerun, the rerun finishes.
    const server = startMlflowServer();
    const proxy = startDropProxy(server.url);
    const local = join(dir, "cli");
    await copyDir(template, local);
    try {
      proxy.failAt({ at: requests, when: "after", persist: false });
      const sync = () => mlops("sync", "--to", proxy.url, "--from", local);
      const failed = await withEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" }, sync);
      assert.equal(failed.code, 2, failed.stderr);
      assert.match(
        failed.stderr,
        /^mlops: MLflow at .* unreachable: .*run the same mlops sync again/,
      );
      assert.equal(failed.stderr.split("\n").length, 1);
      proxy.heal();
      const rerun = await sync();
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(state(server), expected);
    } finally {
      await proxy.close();
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(needs(["mlflow"], {
  name: "sync: the same holds against the real MLflow server (sqlite, artifact proxy)",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-sync-real-" });
    await using mlflow = await startRealMlflow();
    const proxy = startDropProxy(mlflow.url);
    try {
      const remote = openStore(proxy.url, FAST);
      const clean = await pendingStore(dir, "-clean");
      await syncStore(new FileStore(clean), remote);
      const requests = proxy.count();
      const expected = await remoteState(remote, "churn-clean");
      assert.equal(expected.runs.length, 2);
      assert.ok(expected.runs.every((r) => r.status === "FINISHED"));
      assert.deepEqual(expected.versions, ["1 run=rf-100 logged"]);
      assert.deepEqual(expected.models, ["READY run=rf-100 MLmodel=home"]);
      assert.equal(expected.champion, "1");
      const failures: string[] = [];
      // The server does the work, then is gone until the rerun: every request in turn.
      for (let at = 1; at <= requests; at++) {
        const local = await pendingStore(dir, `-${at}`);
        proxy.failAt({ at, when: "after", persist: true });
        await assert.rejects(() => syncStore(new FileStore(local), remote));
        proxy.heal();
        await syncStore(new FileStore(local), remote);
        const got = await remoteState(remote, `churn-${at}`);
        try {
          assert.deepEqual(got, expected);
        } catch {
          failures.push(`request ${at}: ${JSON.stringify(got)}`);
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${requests} cases differ`);
    } finally {
      await proxy.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
