/**
 * `mlops migrate`: a file store moves into MLflow's SQLite store with its
 * ids, histories, logged models and registry, artifacts left in place; a
 * rerun changes nothing; afterwards both MLflow's rule and mlops default to
 * the database.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type TrackingStore } from "../lib/mlflow/mod.ts";
import { FileStore, SqlStore } from "../lib/mlflow/transfer.ts";
import { defaultTrackingUri } from "../lib/mlflow/open.ts";
import { mlopsIn } from "./support/cli.ts";
import { cliWrites, ok } from "./support/cli_writes.ts";
import { needs } from "./support/parts.ts";
import { readWithMlflow } from "./support/real_mlflow.ts";
import { smallTelco } from "./support/sweep.ts";

const FIXTURE = new URL("../../shared/fixtures/mlflow3-filestore/mlruns", import.meta.url).pathname;

/** Everything a store holds, by id, for comparing two stores. */
async function contents(store: TrackingStore) {
  const out: Record<string, unknown> = {};
  for (const e of await store.listExperiments()) {
    for (const r of await store.searchRuns([e.experimentId])) {
      const history: Record<string, unknown> = {};
      for (const m of r.data.metrics) {
        history[m.key] = (await store.getMetricHistory(r.info.runId, m.key))
          .map((p) => [p.step, p.value, p.timestamp]);
      }
      out[`run ${r.info.runId}`] = {
        experiment: e.name,
        name: r.info.runName,
        status: r.info.status,
        params: r.data.params,
        tags: r.data.tags,
        history,
        inputs: r.inputs,
        outputs: r.outputs,
        artifacts: (await store.listArtifacts(r.info.runId)).map((a) => a.path),
      };
    }
    for (const m of await store.searchLoggedModels([e.experimentId])) {
      out[`model ${m.modelId}`] = {
        name: m.name,
        status: m.status,
        run: m.sourceRunId,
        params: m.params,
        tags: m.tags,
      };
    }
  }
  for (const v of await store.searchModelVersions({})) {
    out[`version ${v.name}/${v.version}`] = {
      source: v.source,
      run: v.runId,
      tags: v.tags,
      aliases: v.aliases,
      modelId: v.modelId,
    };
  }
  return out;
}

function rowCounts(path: string): Record<string, number> {
  const db = new DatabaseSync(path);
  try {
    const out: Record<string, number> = {};
    for (
      const t of [
        "experiments",
        "runs",
        "metrics",
        "params",
        "tags",
        "inputs",
        "logged_models",
        "logged_model_metrics",
        "model_versions",
        "registered_model_aliases",
      ]
    ) {
      out[t] = Number(db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get()!.n);
    }
    return out;
  } finally {
    db.close();
  }
}

Deno.test("migrate: a file store moves into sqlite:///mlflow.db, idempotently, and the default follows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-migrate-" });
  try {
    const data = await smallTelco(dir);
    const p = join(dir, "project");
    await Deno.mkdir(p);
    const file = ["--tracking-uri", "./mlruns"];
    await cliWrites(p, data, ...file);
    const before = await contents(new FileStore(join(p, "mlruns")));
    assert.equal(defaultTrackingUri(p), "./mlruns");

    const r = JSON.parse(ok(await mlopsIn(p, "migrate", "--json")).stdout);
    assert.equal(r.to, `sqlite:///${p}/mlflow.db`);
    assert.equal(r.runs, 4);
    assert.equal(r.logged_models, 2);
    assert.equal(r.model_versions, 2);
    assert.equal(r.retired.length, 2); // Default and telco-small
    // Same ids, same data: runs, histories, inputs, outputs, logged models, versions, aliases.
    using db = new SqlStore(`sqlite:///${p}/mlflow.db`);
    assert.deepEqual(await contents(db), before);
    // The file store is retired: MLflow's rule and mlops now pick the database.
    assert.equal(defaultTrackingUri(p), "sqlite:///mlflow.db");
    const list = JSON.parse(ok(await mlopsIn(p, "runs", "list", "--json")).stdout);
    assert.equal(list.tracking_uri, `sqlite:///${p}/mlflow.db`);
    // Artifacts stayed where they were, and serve through the database.
    const predict = await mlopsIn(
      p,
      "predict",
      "--model",
      "models:/telco-small@champion",
      "--data",
      data,
      "--json",
      "--out",
      join(p, "p.csv"),
    );
    assert.equal(JSON.parse(ok(predict).stdout).model.version, "2");
    // A rerun changes nothing (and says there is nothing to retire).
    const counts = rowCounts(join(p, "mlflow.db"));
    const again = ok(await mlopsIn(p, "migrate"));
    assert.match(again.stdout, /nothing left to retire/);
    assert.deepEqual(rowCounts(join(p, "mlflow.db")), counts);
    // New runs go to the database.
    ok(await mlopsIn(p, "train", "--data", data, "--trees", "3"));
    assert.equal(rowCounts(join(p, "mlflow.db")).runs, counts.runs + 1);
    // Bad arguments: one line each.
    const bad = await mlopsIn(p, "migrate", "--to", "http://127.0.0.1:1");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--to http:\/\/127\.0\.0\.1:1: expected a sqlite: URI/);
    const none = await mlopsIn(p, "migrate", "--from", "./nowhere");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no file store at .*nowhere/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(needs(["shared"], {
  name: "migrate: MLflow 3's own file store (the fixture), with foreign artifact locations",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-migrate-fixture-" });
    try {
      const mlruns = join(dir, "mlruns");
      await new Deno.Command("cp", { args: ["-r", FIXTURE, mlruns] }).output();
      const before = await contents(new FileStore(mlruns));
      const r = JSON.parse(ok(await mlopsIn(dir, "migrate", "--keep", "--json")).stdout);
      assert.equal(r.runs, 9);
      assert.equal(r.logged_models, 4);
      assert.deepEqual(r.retired, []);
      using db = new SqlStore(`sqlite:///${dir}/mlflow.db`);
      const after = await contents(db);
      assert.deepEqual(after, before);
      // The fixture's artifact locations are a Windows machine's: the copy's folders are recorded.
      const m = await db.getLoggedModel("m-536d10cc29c8445ba082d25a5926aede");
      assert.equal(m.artifactLocation, `file://${mlruns}/0/models/${m.modelId}/artifacts`);
      const files = [...Deno.readDirSync(await db.downloadArtifacts(`models:/${m.modelId}`, ""))];
      assert.ok(files.some((f) => f.name === "MLmodel"));
      assert.equal(defaultTrackingUri(dir), "./mlruns", "--keep leaves the file store the default");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needs(["mlflow", "shared"], {
  name: "migrate: MLflow's client reads the migrated database",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-migrate-real-" });
    try {
      await new Deno.Command("cp", { args: ["-r", FIXTURE, join(dir, "mlruns")] }).output();
      ok(await mlopsIn(dir, "migrate"));
      const view = await readWithMlflow(`sqlite:///${dir}/mlflow.db`, { cwd: dir });
      assert.deepEqual(view.errors, []);
      const runs = view.experiments.find((e: { name: string }) => e.name === "Default").runs;
      assert.equal(runs.length, 9);
      assert.equal(view.logged_models.length, 4);
      for (const m of view.logged_models) assert.ok(m.files.includes("MLmodel"), m.model_id);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
