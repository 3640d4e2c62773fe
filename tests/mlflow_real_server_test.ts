/**
 * Every CLI write against a real `mlflow server` (sqlite backend, artifact
 * proxy), checked with MLflow's own client: train, sweep (parent and
 * children), promote (versions, alias, version tags), predict from the
 * registry, and sync of a run kept locally (in a SQLite fallback store)
 * while the server was down. And MLflow's basic-auth app: a 403 names the
 * refused request. One server per test, started once (a cold start takes
 * 10–20 s).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { openStore } from "../lib/mlflow/mod.ts";
import { MLOPS_ARGV, runCommand } from "./support/cli.ts";
import { assertReadsCli, cliWrites, ok, ours } from "./support/cli_writes.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { needs } from "./support/parts.ts";
import { type MlflowView, readWithMlflow, startRealMlflow } from "./support/real_mlflow.ts";
import { smallTelco } from "./support/sweep.ts";

/** `mlops <args>` in `cwd` with `env` (and no tracking URI unless given). */
function mlopsEnv(cwd: string, env: Record<string, string>, ...args: string[]) {
  const [cmd, ...rest] = MLOPS_ARGV;
  return runCommand(cmd, [...rest, ...args], { cwd, env: { MLFLOW_TRACKING_URI: "", ...env } });
}

Deno.test(needs(["mlflow"], {
  name: "real MLflow server: train, sweep, promote, predict and sync, read back by MLflow's client",
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "mlops-real-server-" });
    await using mlflow = await startRealMlflow();
    const cache = { MLOPS_CACHE: join(dir, "cache") };
    try {
      const data = await smallTelco(dir);
      // Every write first, then one read with MLflow's client (its import takes seconds).
      const p = join(dir, "project");
      await Deno.mkdir(p);
      const w = await cliWrites(p, data, "--tracking-uri", mlflow.url);
      // A run kept in a SQLite fallback store while the server was down, then synced.
      const offline = join(dir, "offline");
      await Deno.mkdir(offline);
      const down = startMlflowServer();
      await down.close();
      const env = {
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
        MLOPS_FALLBACK_STORE: "sqlite:///pending.db",
      };
      const local = JSON.parse(
        ok(
          await mlopsEnv(
            offline,
            env,
            "train",
            "--data",
            data,
            "--trees",
            "3",
            "--experiment",
            "offline",
            "--tracking-uri",
            down.url,
            "--json",
          ),
        ).stdout,
      );
      assert.equal(local.tracking_uri, `sqlite:///${offline}/pending.db`);
      const sync = (...args: string[]) =>
        mlopsEnv(
          offline,
          env,
          "sync",
          "--to",
          mlflow.url,
          "--from",
          "sqlite:///pending.db",
          ...args,
        );
      const report = JSON.parse(ok(await sync("--json")).stdout);
      assert.equal(report.uploaded.length, 1);
      const remoteId = report.uploaded[0].remote_run_id;
      const view = await readWithMlflow(mlflow.url);

      await t.step("train, sweep, promote; predict from the registry", async () => {
        assertReadsCli(view, w);
        // Over REST, logged-model files are in the server's artifact store (the proxy).
        const m = view.logged_models.find((x: MlflowView) => x.source_run_id === w.train.run_id);
        assert.match(
          m.artifact_location,
          /^mlflow-artifacts:\/\d+\/models\/m-[0-9a-f]{32}\/artifacts$/,
        );
        const predict = (model: string, out: string) =>
          mlopsEnv(
            p,
            cache,
            "predict",
            "--model",
            model,
            "--tracking-uri",
            mlflow.url,
            "--data",
            data,
            "--json",
            "--out",
            join(p, out),
          );
        assert.deepEqual(
          JSON.parse(ok(await predict("models:/telco-small@champion", "p.csv")).stdout).model,
          {
            name: "telco-small",
            version: "2",
          },
        );
        ok(await predict(`models:/${m.model_id}`, "q.csv"));
      });

      await t.step(
        "sync: the run goes up with its logged model, pointing at the remote run",
        async () => {
          const run = view.experiments.find((e: MlflowView) => e.name === "offline").runs[0];
          assert.equal(run.run_id, remoteId);
          assert.equal(run.model_outputs.length, 1);
          const model = view.logged_models.find((x: MlflowView) =>
            x.model_id === run.model_outputs[0]
          );
          assert.equal(model.source_run_id, remoteId);
          assert.equal(model.mlmodel.run_id, remoteId, "MLmodel names the uploaded run");
          assert.equal(model.mlmodel.model_id, model.model_id);
          assert.deepEqual(ours(model.files), ["MLmodel", "model.mlops.json"]);
          const version = view.registered_models.find((x: MlflowView) => x.name === "offline")
            .versions[0];
          assert.equal(version.run_id, remoteId);
          assert.equal(version.source, `models:/${model.model_id}`);
          // Syncing again uploads nothing.
          assert.equal(JSON.parse(ok(await sync("--json")).stdout).uploaded.length, 0);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needs(["mlflow"], {
  name: "real MLflow basic-auth app: a user without permission gets a 403 naming the request",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-real-auth-" });
    await using mlflow = await startRealMlflow({ app: "basic-auth" });
    try {
      const admin = `Basic ${btoa("admin:password1234")}`;
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${mlflow.url}/api/2.0/mlflow/${path}`, {
          method: "POST",
          headers: { Authorization: admin, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        assert.ok(res.ok, `${path}: ${res.status} ${text}`);
        return JSON.parse(text);
      };
      await post("users/create", { username: "ada", password: "ada-secret-1" });
      const { experiment_id: locked } = await post("experiments/create", { name: "locked" });
      const data = await smallTelco(dir);
      const train = (user: string, password: string) =>
        mlopsEnv(
          dir,
          { MLFLOW_TRACKING_USERNAME: user, MLFLOW_TRACKING_PASSWORD: password },
          "train",
          "--data",
          data,
          "--trees",
          "3",
          "--experiment",
          "locked",
          "--tracking-uri",
          mlflow.url,
        );
      const denied = await train("ada", "ada-secret-1");
      assert.equal(denied.code, 2, denied.stderr);
      assert.match(
        denied.stderr,
        new RegExp(
          `MLflow at ${mlflow.url} refused POST /api/2\\.0/mlflow/runs/create \\(403\\): the user is signed in but lacks permission for it`,
        ),
      );
      assert.doesNotMatch(denied.stderr, /ada-secret-1/);
      const wrong = await train("ada", "nope");
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /rejected the credentials \(401\)/);
      // The same request with permission goes through (one request: each costs a password hash).
      const admin2 = openStore(mlflow.url, {
        credentials: { kind: "basic", username: "admin", password: "password1234" },
      });
      assert.match((await admin2.createRun({ experimentId: locked })).runId, /^[0-9a-f]{32}$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
