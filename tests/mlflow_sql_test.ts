/**
 * MLflow's SQLite store, written through `node:sqlite`: the same behaviour
 * as the file store, MLflow's schema and revision, databases at other
 * revisions, concurrent writers, and MLflow's rule for the local default.
 * (What MLflow's own client makes of it: `mlflow_real_sql_test.ts`.)
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { isUserError } from "../lib/errors.ts";
import { openStore } from "../lib/mlflow/mod.ts";
import { registerModelVersion } from "../lib/mlflow/registry.ts";
import { FileStore, SqlStore } from "../lib/mlflow/transfer.ts";
import { defaultTrackingUri } from "../lib/mlflow/open.ts";
import { SCHEMA_REVISION, SCHEMA_SQL, SUPPORTED_REVISIONS } from "../lib/mlflow/_sql_schema.ts";
import { mlopsIn } from "./support/cli.ts";
import { checkStoreContract } from "./support/store_contract.ts";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;

async function tmp(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "mlops-sql-test-" });
}

Deno.test("local stores: the file store and the SQLite store behave the same", async (t) => {
  const dir = await tmp();
  try {
    await t.step("file store", async () => {
      await Deno.mkdir(join(dir, "file"));
      await checkStoreContract(new FileStore(join(dir, "file", "mlruns")), join(dir, "file"));
    });
    await t.step("SQLite store", async () => {
      await Deno.mkdir(join(dir, "sql"));
      using store = new SqlStore(`sqlite:///${dir}/sql/mlflow.db`, {
        artifactRoot: join(dir, "sql", "mlruns"),
      });
      const { expId, runId, modelId } = await checkStoreContract(store, join(dir, "sql"));
      // Rows as MLflow's SqlAlchemyStore writes them.
      const db = new DatabaseSync(store.path);
      try {
        assert.deepEqual(
          { ...db.prepare("SELECT * FROM alembic_version").get() },
          { version_num: SCHEMA_REVISION },
        );
        assert.deepEqual(
          {
            ...db.prepare(
              "SELECT experiment_id, name, artifact_location FROM experiments WHERE experiment_id = 0",
            ).get(),
          },
          { experiment_id: 0, name: "Default", artifact_location: `${dir}/sql/mlruns/0` },
        );
        assert.deepEqual(
          {
            ...db.prepare("SELECT value, is_nan FROM metrics WHERE run_uuid = ? AND step = 2").get(
              runId,
            ),
          },
          { value: 0, is_nan: 1 },
        );
        assert.deepEqual(
          { ...db.prepare("SELECT name, status FROM runs WHERE run_uuid = ?").get(runId) },
          { name: "renamed", status: "FINISHED" },
        );
        assert.deepEqual(
          {
            ...db.prepare(
              "SELECT source_type, destination_id, step FROM inputs WHERE source_id = ?",
            ).get(runId),
          },
          { source_type: "RUN_OUTPUT", destination_id: modelId, step: 0 },
        );
        assert.deepEqual(
          {
            ...db.prepare("SELECT metric_name, metric_value, run_id FROM logged_model_metrics")
              .get(),
          },
          { metric_name: "accuracy", metric_value: 0.8, run_id: runId },
        );
        assert.deepEqual(
          {
            ...db.prepare("SELECT storage_location, source FROM model_versions WHERE version = 1")
              .get(),
          },
          {
            storage_location: `${dir}/sql/mlruns/${expId}/models/${modelId}/artifacts`,
            source: `models:/${modelId}`,
          },
        );
        // The schema is MLflow's, statement for statement.
        const sql = db.prepare(
          "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid",
        ).all().map((r) => r.sql);
        assert.deepEqual(sql, SCHEMA_SQL);
      } finally {
        db.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SQLite store: other revisions, other databases, bad URIs", async () => {
  const dir = await tmp();
  try {
    const make = async (name: string, revision: string, alter?: string) => {
      const uri = `sqlite:///${dir}/${name}.db`;
      const s = new SqlStore(uri, { artifactRoot: join(dir, "mlruns") });
      await s.listExperiments();
      s.close();
      const db = new DatabaseSync(`${dir}/${name}.db`);
      db.prepare("UPDATE alembic_version SET version_num = ?").run(revision);
      if (alter) db.exec(alter);
      db.close();
      return uri;
    };
    // Before MLflow 3: upgrade with MLflow first.
    const old = await make("old", "0584bdc529eb");
    await assert.rejects(() => openStore(old).listExperiments(), (e) => {
      assert.ok(isUserError(e));
      assert.match(e.message, /revision 0584bdc529eb, from before MLflow 3\.0/);
      assert.match(e.message, /mlflow db upgrade sqlite:\/\/\//);
      assert.match(
        e.message,
        new RegExp(`${SUPPORTED_REVISIONS[0]} .* to ${SUPPORTED_REVISIONS.at(-1)}`),
      );
      return true;
    });
    // A newer revision mlops does not know, whose tables it can still use: used.
    const newer = await make("newer", "ffffffffffff", "ALTER TABLE runs ADD COLUMN extra TEXT");
    const store = openStore(newer);
    const exp = await store.createExperiment("still works");
    assert.equal(
      (await store.listExperiments()).find((e) => e.name === "still works")?.experimentId,
      exp,
    );
    // One whose tables changed under mlops: refused, naming what is missing.
    const changed = await make("changed", "eeeeeeeeeeee", "ALTER TABLE params DROP COLUMN value");
    await assert.rejects(() => openStore(changed).listExperiments(), (e) => {
      assert.ok(isUserError(e));
      assert.match(
        e.message,
        /revision eeeeeeeeeeee, whose tables mlops cannot use \(params\.value\)/,
      );
      return true;
    });
    const required = await make(
      "required",
      "dddddddddddd",
      "ALTER TABLE tags ADD COLUMN owner TEXT NOT NULL DEFAULT 'x'",
    );
    await openStore(required).listExperiments(); // a default makes the new column harmless
    // Not MLflow's database.
    const other = new DatabaseSync(`${dir}/other.db`);
    other.exec("CREATE TABLE notes (t TEXT)");
    other.close();
    await assert.rejects(
      () => openStore(`sqlite:///${dir}/other.db`).listExperiments(),
      /is an SQLite database but not MLflow's \(it has tables: notes\)/,
    );
    assert.throws(() => openStore("sqlite://"), /in-memory or host-qualified/);
    assert.throws(() => openStore("sqlite:///x.db?mode=ro"), /options after '\?'/);
    assert.throws(() => openStore("postgresql://h/db"), /start an MLflow server on it/);
    // A folder that does not exist: one line naming the file.
    await assert.rejects(
      () => openStore(`sqlite:///${dir}/missing/mlflow.db`).listExperiments(),
      /cannot open the MLflow database .*missing\/mlflow\.db/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SQLite store: processes writing at once wait for each other", async () => {
  const dir = await tmp();
  try {
    const lib = (file: string) => new URL(`../lib/mlflow/${file}`, import.meta.url).href;
    const script = join(dir, "writer.ts");
    await Deno.writeTextFile(
      script,
      `import { openStore } from "${lib("mod.ts")}";
import { ensureExperiment } from "${lib("logging.ts")}";
import { registerModelVersion } from "${lib("registry.ts")}";
const store = openStore(Deno.args[0]);
const exp = await ensureExperiment(store, "shared");
for (let i = 0; i < 5; i++) {
  const run = await store.createRun({ experimentId: exp });
  await store.logBatch(run.runId, { metrics: [{ key: "m", value: i, timestamp: Date.now(), step: i }] });
  await registerModelVersion(store, { name: "shared", source: run.artifactUri, runId: run.runId });
  await store.updateRun(run.runId, "FINISHED");
}`,
    );
    const uri = `sqlite:///${dir}/mlflow.db`;
    const writers = await Promise.all([1, 2, 3].map(() =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", "--config", CONFIG, script, uri],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output()
    ));
    for (const w of writers) assert.equal(w.code, 0, new TextDecoder().decode(w.stderr));
    const store = new SqlStore(uri);
    const versions = (await store.searchModelVersions({ name: "shared" })).map((v) =>
      Number(v.version)
    );
    assert.deepEqual(versions.sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => i + 1));
    const exp = await store.getExperimentByName("shared");
    assert.equal((await store.searchRuns([exp!.experimentId])).length, 15);
    // And in this process too, while it holds its own connection.
    await registerModelVersion(store, { name: "shared", source: "x", runId: undefined });
    assert.equal((await store.searchModelVersions({ name: "shared" })).length, 16);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the local default follows MLflow: sqlite:///mlflow.db, unless ./mlruns holds runs", async () => {
  const dir = await tmp();
  try {
    assert.equal(defaultTrackingUri(dir), "sqlite:///mlflow.db");
    // Folders MLflow's rule ignores: no numbered experiment folder with a meta.yaml.
    await Deno.mkdir(join(dir, "mlruns", "1", "run", "artifacts"), { recursive: true });
    await Deno.mkdir(join(dir, "mlruns", "models"), { recursive: true });
    assert.equal(defaultTrackingUri(dir), "sqlite:///mlflow.db");
    await Deno.writeTextFile(join(dir, "mlruns", "1", "meta.yaml"), "name: x\n");
    assert.equal(defaultTrackingUri(dir), "./mlruns");
    await Deno.remove(join(dir, "mlruns"), { recursive: true });

    // The CLI with no tracking URI, in a fresh folder: mlflow.db, artifacts under ./mlruns.
    const csv = join(dir, "small.csv");
    const rows = Array.from({ length: 60 }, (_, i) => `${i % 10},${i % 10 < 5 ? "no" : "yes"}`);
    await Deno.writeTextFile(csv, `x,label\n${rows.join("\n")}\n`);
    const r = await mlopsIn(
      dir,
      "train",
      "--data",
      csv,
      "--target",
      "label",
      "--trees",
      "3",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.tracking_uri, `sqlite:///${dir}/mlflow.db`);
    assert.equal(
      defaultTrackingUri(dir),
      "sqlite:///mlflow.db",
      "artifacts in ./mlruns do not make it a file store",
    );
    const store = new SqlStore(`sqlite:///${dir}/mlflow.db`);
    const run = await store.getRun(j.run_id);
    assert.equal(run.info.artifactUri, `${dir}/mlruns/${j.experiment_id}/${j.run_id}/artifacts`);
    store.close();
    // A folder whose ./mlruns holds runs keeps its file store.
    const old = join(dir, "old");
    await Deno.mkdir(join(old, "mlruns", "0"), { recursive: true });
    await Deno.writeTextFile(
      join(old, "mlruns", "0", "meta.yaml"),
      "experiment_id: '0'\nname: Default\n",
    );
    const o = await mlopsIn(
      old,
      "train",
      "--data",
      csv,
      "--target",
      "label",
      "--trees",
      "3",
      "--json",
    );
    assert.equal(o.code, 0, o.stderr);
    assert.equal(JSON.parse(o.stdout).tracking_uri, `file://${old}/mlruns`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
