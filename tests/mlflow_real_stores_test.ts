/**
 * The local stores against MLflow's own client (release 3.5 and the newer
 * master): what the CLI writes to a SQLite database or a file store, MLflow
 * reads without an error, logged models and registry included; a database
 * MLflow created (and one MLflow's master upgraded on open) mlops reads and
 * writes; and in a fresh folder, what `deno task demo` leaves is what a
 * current MLflow opens with no flags.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqlStore } from "../lib/mlflow/transfer.ts";
import { SCHEMA_REVISION, SCHEMA_SQL } from "../lib/mlflow/_sql_schema.ts";
import { parseMetricInt, parseMetricValue } from "../lib/mlflow/_metric_values.ts";
import { mlopsIn } from "./support/cli.ts";
import { assertReadsCli, cliWrites, normalized, ok, ours } from "./support/cli_writes.ts";
import { needs } from "./support/parts.ts";
import {
  type MlflowRelease,
  type MlflowView,
  readAllWithMlflow,
  readWithMlflow,
  runWithMlflow,
} from "./support/real_mlflow.ts";
import { smallTelco } from "./support/sweep.ts";

const WRITES = new URL("./support/mlflow_writes.py", import.meta.url).pathname;

Deno.test(needs(["mlflow"], {
  name:
    "MLflow's client reads the SQLite store and file store mlops writes, and mlops reads MLflow's",
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "mlops-real-stores-" });
    try {
      const data = await smallTelco(dir);

      // Write first, then read everything in one Python process (MLflow's import is slow).
      const sqlProject = join(dir, "sql-project");
      const fileProject = join(dir, "file-project");
      await Deno.mkdir(sqlProject);
      await Deno.mkdir(fileProject);
      const toSql = await cliWrites(sqlProject, data);
      const toFiles = await cliWrites(fileProject, data, "--tracking-uri", "./mlruns");
      const fresh = join(dir, "by-mlflow.db");
      // Reading a database that does not exist yet makes MLflow create it.
      const [, sqlView, fileView] = await readAllWithMlflow([
        `sqlite:///${fresh}`,
        `sqlite:///${sqlProject}/mlflow.db`,
        `file:${fileProject}/mlruns`,
      ], { cwd: dir });

      await t.step("a database MLflow creates has the schema mlops creates", async () => {
        const sqlite = new DatabaseSync(fresh);
        const revision = String(
          sqlite.prepare("SELECT version_num FROM alembic_version").get()!.version_num,
        );
        const sql = sqlite.prepare(
          "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid",
        )
          .all().map((x) => x.sql);
        sqlite.close();
        // MLflow 3.5 (../shared, or the pinned PyPI release) creates exactly this revision.
        if (revision === SCHEMA_REVISION) {
          assert.deepEqual(normalized(sql), normalized([...SCHEMA_SQL]));
        }
        // Any MLflow's fresh database is one mlops can use.
        using store = new SqlStore(`sqlite:///${fresh}`, { artifactRoot: join(dir, "mlruns") });
        assert.ok((await store.listExperiments()).some((e) => e.name === "Default"));
      });

      await t.step("train, sweep and promote into the default SQLite store", () => {
        assertReadsCli(sqlView, toSql);
      });

      await t.step("train, sweep and promote into a file store", () => {
        assertReadsCli(fileView, toFiles);
        for (const v of fileView.registered_models[0].versions) {
          assert.match(v.model_id, /^m-[0-9a-f]{32}$/, "the file store keeps model_id");
        }
      });

      await t.step("mlops reads and writes a database MLflow wrote", async () => {
        const p = join(dir, "theirs");
        await Deno.mkdir(p);
        const uri = `sqlite:///${p}/mlflow.db`;
        const made = await runWithMlflow([WRITES, uri], { cwd: p });
        assert.equal(made.code, 0, made.stderr);
        const { run_id: runId, model_id: modelId } = JSON.parse(
          made.stdout.trim().split("\n").pop()!,
        );
        using store = new SqlStore(uri);
        const run = await store.getRun(runId);
        assert.equal(run.data.params.C, "1.0");
        assert.deepEqual(
          (await store.getMetricHistory(runId, "loss")).map((m) => [m.step, m.value]),
          [[0, 0.9], [1, 0.5], [2, 0.3]],
        );
        assert.deepEqual(run.inputs.map((i) => i.dataset.name), ["x"]);
        assert.deepEqual(run.outputs, [{ modelId, step: 0 }]);
        const model = await store.getLoggedModel(modelId);
        assert.equal(model.status, "READY");
        const files = [...Deno.readDirSync(await store.downloadArtifacts(`models:/${modelId}`, ""))]
          .map((e) => e.name);
        assert.ok(files.includes("MLmodel") && files.includes("model.pkl"), files.join(","));
        const mv = await store.getModelVersionByAlias("from-mlflow", "champion");
        assert.equal(mv.source, `models:/${modelId}`);
        assert.equal(mv.modelId, modelId);
        // Not an mlops model: one clear line.
        const predict = await mlopsIn(
          p,
          "predict",
          "--model",
          "models:/from-mlflow@champion",
          "--data",
          data,
        );
        assert.equal(predict.code, 2);
        assert.match(predict.stderr, /has no model\.mlops\.json: it was not logged by mlops/);
        // mlops logs into it; MLflow reads both.
        ok(
          await mlopsIn(p, "train", "--data", data, "--trees", "3", "--experiment", "from-mlflow"),
        );
        const view = await readWithMlflow(uri, { cwd: p });
        assert.deepEqual(view.errors, []);
        const exp = view.experiments.find((e: MlflowView) => e.name === "from-mlflow");
        assert.equal(exp.runs.length, 2);
        assert.deepEqual(
          view.registered_models.find((m: MlflowView) => m.name === "from-mlflow").versions
            .map((v: MlflowView) => v.version),
          ["1", "2"],
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

/** Reads with MLflow's master in `cwd`, as `mlflow ui` there would: no URI given. */
function readAsCurrentMlflow(cwd: string, release: MlflowRelease = "master") {
  return readWithMlflow("-", { release, cwd, env: { MLFLOW_TRACKING_URI: "" } });
}

Deno.test(needs(["mlflow", "mlflowMaster"], {
  name:
    "MLflow's master: opens what `deno task demo` leaves with no flags, upgrades it, and mlops keeps writing",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-real-master-" });
    try {
      const data = await smallTelco(dir);
      const p = join(dir, "project");
      await Deno.mkdir(p);
      // `deno task demo` is `mlops train` with every default: so is this, on smaller data.
      const first = JSON.parse(
        ok(await mlopsIn(p, "train", "--data", data, "--trees", "5", "--json")).stdout,
      );
      let view = await readAsCurrentMlflow(p);
      assert.equal(view.default_tracking_uri, `sqlite:///${p}/mlflow.db`);
      assert.deepEqual(view.errors, []);
      const exp = view.experiments.find((e: MlflowView) => e.name === "telco-small");
      assert.deepEqual(exp.runs.map((r: MlflowView) => r.run_id), [first.run_id]);
      assert.equal(view.logged_models.length, 1);
      assert.deepEqual(ours(view.logged_models[0].files), ["MLmodel", "model.mlops.json"]);
      assert.equal(view.registered_models[0].versions[0].run_id, first.run_id);
      // Master upgraded the database on open; mlops keeps reading and writing it.
      const db = new DatabaseSync(join(p, "mlflow.db"));
      const revision = String(
        db.prepare("SELECT version_num FROM alembic_version").get()!.version_num,
      );
      db.close();
      assert.notEqual(revision, SCHEMA_REVISION, "master upgrades the schema");
      const second = JSON.parse(
        ok(await mlopsIn(p, "train", "--data", data, "--trees", "8", "--json")).stdout,
      );
      ok(await mlopsIn(p, "promote", "--experiment", "telco-small", "--out", join(p, "edge")));
      const list = JSON.parse(ok(await mlopsIn(p, "runs", "list", "--json")).stdout);
      assert.equal(
        list.experiments.find((e: MlflowView) => e.name === "telco-small").runs.length,
        2,
      );
      // Master reads it again, and a file store (only with MLFLOW_ALLOW_FILE_STORE).
      const f = join(dir, "file-project");
      await Deno.mkdir(f);
      ok(await mlopsIn(f, "train", "--data", data, "--trees", "3", "--tracking-uri", "./mlruns"));
      const [again, fileView] = await readAllWithMlflow(["-", `file:${f}/mlruns`], {
        release: "master",
        cwd: p,
        env: { MLFLOW_TRACKING_URI: "" },
      });
      view = again;
      assert.deepEqual(view.errors, []);
      assert.equal(view.logged_models.length, 2);
      const model = view.registered_models[0];
      assert.deepEqual(model.versions.map((v: MlflowView) => v.run_id), [
        first.run_id,
        second.run_id,
      ]);
      assert.ok(model.aliases.champion, "promote moved the champion alias");
      assert.deepEqual(fileView.errors, []);
      assert.deepEqual(ours(fileView.logged_models[0].files), ["MLmodel", "model.mlops.json"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needs(["mlflow"], {
  name:
    "metric lines: mlops reads a value, timestamp or step exactly when MLflow's file store does",
  async fn() {
    const values = [
      "0.5",
      "-2.5e-3",
      ".5",
      "1.",
      "1_000.5",
      "+7",
      "1e5",
      "1E+5",
      "nan",
      "NaN",
      "-nan",
      "+NAN",
      "inf",
      "-inf",
      "Infinity",
      "-INFINITY",
      "+inf",
      "NaN-ish",
      "banana",
      "nana",
      "infinite",
      "0x10",
      "1__0",
      "_1",
      "1_",
      ".",
      "",
      "1e",
      "e5",
      "1.5.2",
      "--1",
      "1,5",
      "Inf1",
    ];
    // No empty timestamp or step: the line is trimmed first, which changes its fields.
    const ints = ["0", "1700000000000", "-3", "+3", "1_000", "1.0", "1e3", "0x10", "x"];
    const lines = [
      ...values.map((v) => `1 ${v} 0`),
      ...ints.map((t) => `${t} 1 0`),
      ...ints.map((s) => `1 1 ${s}`),
    ];
    const dir = await Deno.makeTempDir({ prefix: "mlops-metric-lines-" });
    try {
      const input = join(dir, "lines.json");
      const script = join(dir, "read_lines.py");
      await Deno.writeTextFile(input, JSON.stringify(lines));
      await Deno.writeTextFile(
        script,
        [
          "import json, sys",
          "from mlflow.store.tracking.file_store import FileStore",
          "out = []",
          "for line in json.load(open(sys.argv[1])):",
          "    try:",
          '        m = FileStore._get_metric_from_line("r", "k", line, "0")',
          "        out.append([m.timestamp, repr(m.value), m.step])",
          "    except Exception:",
          "        out.append(None)",
          "print(json.dumps(out))",
        ].join("\n"),
      );
      const r = await runWithMlflow([script, input]);
      assert.equal(r.code, 0, r.stderr);
      const theirs: ([number, string, number] | null)[] = JSON.parse(r.stdout);
      lines.forEach((line, i) => {
        const [ts, v, step] = line.split(" ");
        const parsed = [parseMetricInt(ts), parseMetricValue(v), parseMetricInt(step)];
        const ours = parsed.includes(null) ? null : parsed;
        // Python's repr of a float is a float literal: read back, it is the value MLflow read.
        const t = theirs[i];
        assert.deepEqual(ours, t && [t[0], parseMetricValue(t[1]), t[2]], `line '${line}'`);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
