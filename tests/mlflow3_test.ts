/**
 * MLflow 3's layout and the defects real MLflow showed (issue 14), on the
 * file store and the loopback fake: logged models, `models:/m-<id>`
 * sources, the signature and `mlflow_version` in `MLmodel`, dataset inputs
 * of sweep children, 403s, metric-history paging, and sync rewriting run ids
 * and remembering uploads per destination.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parse } from "yaml";
import { isUserError } from "../lib/errors.ts";
import { openStore } from "../lib/mlflow/mod.ts";
import { FileStore, syncStore } from "../lib/mlflow/transfer.ts";
import { type RestClientOptions } from "../lib/mlflow/rest_client.ts";
import { mlops } from "./support/cli.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { needs } from "./support/parts.ts";
import { smallTelco } from "./support/sweep.ts";
import { trainTiny, writeTinyCsv } from "./support/tiny_csv.ts";

const FAST: RestClientOptions = {
  credentials: null,
  sleep: () => Promise.resolve(),
  maxAttempts: 2,
};
const FIXTURE = new URL("../../shared/fixtures/mlflow3-filestore/mlruns", import.meta.url).pathname;

async function readYamlFile(path: string): Promise<Record<string, unknown>> {
  return parse(await Deno.readTextFile(path)) as Record<string, unknown>;
}

/** Sub-folders of `dir` (none when it is missing). */
async function subdirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isDirectory) out.push(e.name);
  } catch {
    return [];
  }
  return out.sort();
}

Deno.test("train logs an MLflow 3 logged model: models/m-<id>, run output, versions from models:/m-<id>", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-mlflow3-" });
  try {
    const csv = await writeTinyCsv(dir);
    const mlruns = join(dir, "mlruns");
    const r = await trainTiny({ csv, out: join(dir, "out"), trackingUri: mlruns }, "--json");
    assert.equal(r.code, 0, r.stderr);
    const { run_id: runId, experiment_id: expId } = JSON.parse(r.stdout);
    const expDir = join(mlruns, expId);

    // The logged model: <experiment>/models/m-<32 hex>/meta.yaml, READY, from this run.
    const ids = await subdirs(join(expDir, "models"));
    assert.equal(ids.length, 1, `one logged model in ${expDir}/models`);
    const modelId = ids[0];
    assert.match(modelId, /^m-[0-9a-f]{32}$/);
    const meta = await readYamlFile(join(expDir, "models", modelId, "meta.yaml"));
    assert.equal(meta.model_id, modelId);
    assert.equal(meta.source_run_id, runId);
    assert.equal(meta.status, 2, "READY");
    assert.equal(meta.experiment_id, expId);

    // The run names it as an output, as MLflow's log_model does.
    const output = await readYamlFile(join(expDir, runId, "outputs", modelId, "meta.yaml"));
    assert.deepEqual(output, {
      destination_id: modelId,
      destination_type: "MODEL_OUTPUT",
      source_id: modelId,
      source_type: "RUN_OUTPUT",
      step: 0,
      tags: {},
    });

    // MLmodel: model_id, run id, the signature, and no made-up mlflow_version.
    const mlmodel = await readYamlFile(
      join(expDir, "models", modelId, "artifacts", "MLmodel"),
    );
    assert.equal(mlmodel.model_id, modelId);
    assert.equal(mlmodel.model_uuid, modelId);
    assert.equal(mlmodel.run_id, runId);
    assert.equal("mlflow_version" in mlmodel, false, "no MLflow saved it");
    const signature = mlmodel.signature as { inputs: string; outputs: string };
    assert.ok(signature, "train logs the model signature");
    assert.deepEqual(JSON.parse(signature.inputs).map((c: { name: string }) => c.name), [
      "x",
      "color",
    ]);

    // The registered version points at the logged model.
    const versions = await subdirs(join(mlruns, "models", "small"));
    assert.deepEqual(versions, ["version-1"]);
    const mv = await readYamlFile(join(mlruns, "models", "small", "version-1", "meta.yaml"));
    assert.equal(mv.source, `models:/${modelId}`);
    assert.equal(mv.model_id, modelId);
    assert.equal(mv.run_id, runId);

    // And predict reads it back through the registry.
    const p = await mlops(
      "predict",
      "--model",
      "models:/small/1",
      "--tracking-uri",
      mlruns,
      "--data",
      csv,
      "--out",
      join(dir, "p.csv"),
    );
    assert.equal(p.code, 0, p.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: child runs get the dataset input, as the parent does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-mlflow3-" });
  try {
    const data = await smallTelco(dir);
    const mlruns = join(dir, "mlruns");
    const r = await mlops(
      "sweep",
      "--data",
      data,
      "--tracking-uri",
      mlruns,
      "--grid",
      "trees=3,4",
      "--cv",
      "2",
      "--workers",
      "1",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const store = new FileStore(mlruns);
    const [exp] = (await store.listExperiments()).filter((e) => e.name !== "Default");
    const runs = await store.searchRuns([exp.experimentId]);
    const children = runs.filter((x) => x.data.tags["mlops.sweep_role"] === "child");
    assert.equal(children.length, 2);
    for (const c of children) {
      assert.deepEqual(c.inputs.map((i) => i.dataset.name), ["telco-small"], c.info.runName);
      assert.equal(c.inputs[0].tags["mlflow.data.context"], "train");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(needs(["shared"], {
  name: "file store: versions and downloads from models:/m-<id>, as MLflow 3 writes them",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-mlflow3-" });
    try {
      const mlruns = join(dir, "mlruns");
      await Deno.mkdir(mlruns);
      for await (const e of Deno.readDir(FIXTURE)) {
        await new Deno.Command("cp", { args: ["-r", join(FIXTURE, e.name), mlruns] }).output();
      }
      const modelId = "m-536d10cc29c8445ba082d25a5926aede";
      // A version registered the MLflow 3 way: source models:/m-<id>, model_id set.
      const vdir = join(mlruns, "models", "best", "version-1");
      await Deno.mkdir(vdir, { recursive: true });
      await Deno.writeTextFile(
        join(mlruns, "models", "best", "meta.yaml"),
        "creation_timestamp: 1751195640000\ndescription: null\nlast_updated_timestamp: 1751195640000\nname: best\n",
      );
      await Deno.writeTextFile(
        join(vdir, "meta.yaml"),
        [
          "creation_timestamp: 1751195640000",
          "current_stage: None",
          "description: null",
          "last_updated_timestamp: 1751195640000",
          `model_id: ${modelId}`,
          "name: best",
          "run_id: d606b968eecb41978971b9d8c4f98303",
          "run_link: null",
          `source: models:/${modelId}`,
          "status: READY",
          "status_message: null",
          // A store copied from another machine: the recorded location is foreign.
          `storage_location: file:///C:/Users/AKBAR/mlruns/0/models/${modelId}/artifacts`,
          "user_id: null",
          "version: 1",
          "",
        ].join("\n"),
      );
      const store = new FileStore(mlruns);
      const mv = await store.getModelVersion("best", "1");
      assert.equal(mv.source, `models:/${modelId}`);
      const path = await store.downloadArtifacts(`models:/${modelId}`, join(dir, "dl"));
      const files = [];
      for await (const e of Deno.readDir(path)) files.push(e.name);
      assert.ok(files.includes("MLmodel"), files.join(","));
      // Not an mlops model: one line that says so, not "cannot read artifacts at models:/m-…".
      const r = await mlops(
        "predict",
        "--model",
        "models:/best/1",
        "--tracking-uri",
        mlruns,
        "--data",
        "x.csv",
      );
      assert.equal(r.code, 2);
      assert.match(r.stderr, /has no model\.mlops\.json: it was not logged by mlops/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("rest: a 403 with accepted credentials is a permission error naming the request", async () => {
  const forbidden = startMlflowServer({ forbidden: true });
  try {
    const store = openStore(forbidden.url, {
      ...FAST,
      credentials: { kind: "basic", username: "ada", password: "pw" },
    });
    await assert.rejects(() => store.createExperiment("churn"), (e) => {
      assert.ok(isUserError(e));
      assert.match(e.message, /POST \/api\/2\.0\/mlflow\/experiments\/create/);
      assert.match(e.message, /permission/i);
      assert.doesNotMatch(e.message, /rejected the credentials/);
      return true;
    });
  } finally {
    await forbidden.close();
  }
});

Deno.test("rest: metric history sends max_results and stops on an empty page", async () => {
  let calls = 0;
  const server = startMlflowServer({
    intercept(_req, path, query) {
      if (!path.endsWith("/metrics/get-history")) return undefined;
      calls++;
      assert.ok(query.get("max_results"), "max_results is sent");
      // A page of one point, then empty pages that still carry a token (forever).
      const metrics = query.get("page_token")
        ? []
        : [{ key: "loss", value: 0.5, timestamp: 1, step: 0 }];
      return Response.json({ metrics, next_page_token: "eyJvZmZzZXQiOiAxfQ==" });
    },
  });
  try {
    const history = await openStore(server.url, FAST).getMetricHistory(
      "0123456789abcdef0123456789abcdef",
      "loss",
    );
    assert.deepEqual(history.map((m) => m.value), [0.5]);
    assert.ok(calls <= 2, `${calls} requests`);
  } finally {
    await server.close();
  }
});

Deno.test("sync: MLmodel gets the remote run id, and a second server gets the runs too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-mlflow3-" });
  const down = startMlflowServer();
  await down.close();
  const a = startMlflowServer();
  const b = startMlflowServer();
  try {
    const csv = await writeTinyCsv(dir);
    const fallback = join(dir, "pending");
    const env = { MLOPS_FALLBACK_STORE: fallback, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" };
    const prev = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    let r;
    try {
      r = await trainTiny({ csv, out: join(dir, "out"), trackingUri: down.url }, "--json");
    } finally {
      for (const [k, v] of Object.entries(prev)) {
        v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
      }
    }
    assert.equal(r.code, 0, r.stderr);
    const localId = JSON.parse(r.stdout).run_id;

    for (const server of [a, b]) {
      const report = await syncStore(new FileStore(fallback), openStore(server.url, FAST));
      assert.equal(report.uploaded.length, 1, `uploaded to ${server.url}`);
      const remoteId = report.uploaded[0].remoteRunId;
      assert.ok(server.runs.has(remoteId), "the reported run exists on that server");
      const mlmodels = [...server.artifacts.keys()].filter((k) => k.endsWith("/MLmodel"));
      assert.equal(mlmodels.length, 1, mlmodels.join(","));
      const text = new TextDecoder().decode(server.artifacts.get(mlmodels[0]));
      const mlmodel = parse(text) as Record<string, unknown>;
      assert.equal(mlmodel.run_id, remoteId, "MLmodel names the uploaded run, not the local one");
      assert.notEqual(mlmodel.run_id, localId);
    }
    // Rerunning against either server uploads nothing more.
    for (const server of [a, b]) {
      const again = await syncStore(new FileStore(fallback), openStore(server.url, FAST));
      assert.equal(again.uploaded.length, 0);
      assert.equal(server.runs.size, 1);
    }
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rest: a logged model's answer cannot name another host or a path as its id", async () => {
  const id = "m-0123456789abcdef0123456789abcdef";
  let elsewhere = 0;
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    elsewhere++;
    return new Response("{}");
  });
  const model = (info: Record<string, unknown>) =>
    Response.json({
      model: { info: { experiment_id: "1", name: "model", status: "LOGGED_MODEL_READY", ...info } },
    });
  const server = startMlflowServer({
    intercept(_req, path) {
      if (path === `/api/2.0/mlflow/logged-models/${id}`) {
        return model({
          model_id: id,
          artifact_uri: `mlflow-artifacts://127.0.0.1:${other.addr.port}/1/models/${id}/artifacts`,
        });
      }
      if (path.startsWith("/api/2.0/mlflow/logged-models/m-")) {
        return model({ model_id: "../../etc" });
      }
      return undefined;
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "mlops-mlflow3-" });
  try {
    const store = openStore(server.url, {
      ...FAST,
      credentials: { kind: "bearer", token: "secret" },
    });
    await assert.rejects(() => store.downloadArtifacts(`models:/${id}`, join(dir, "dl")), (e) => {
      assert.ok(isUserError(e));
      assert.match(
        e.message,
        /an artifact location .* is on another host than the tracking server/,
      );
      return true;
    });
    assert.equal(elsewhere, 0, "no request, no credentials, went to the other host");
    await assert.rejects(
      () => store.getLoggedModel("m-ffffffffffffffffffffffffffffffff"),
      /model\.info\.model_id "\.\.\/\.\.\/etc": not a logged model id/,
    );
  } finally {
    await server.close();
    await other.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
