import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mlops } from "./support/cli.ts";
import { needs } from "./support/parts.ts";
import { logTrainingRun } from "../lib/mlflow/logging.ts";
import { FileStore } from "../lib/mlflow/transfer.ts";

const FIXTURE = fileURLToPath(
  new URL("../../shared/fixtures/mlflow3-filestore/mlruns", import.meta.url),
);

Deno.test(needs(["shared"], {
  name: "runs list/show/compare on a real MLflow 3 store",
  fn: async () => {
    const list = await mlops("runs", "list", "--tracking-uri", FIXTURE);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^Experiment Default \(0\): 9 runs$/m);
    assert.match(list.stdout, /^d606b968 +masked-lamb-325 +FINISHED /m);
    // Children nested under the GridSearchCV parent.
    assert.match(list.stdout, /^├─ 0719034a +calm-bass-978 /m);
    assert.match(list.stdout, /^└─ 9443dffa +welcoming-fox-471 /m);
    assert.match(list.stdout, /^4bb6ba8f +shivering-grub-200 +FAILED /m);
    assert.match(list.stdout, /0\.8021/);

    const json = await mlops("runs", "list", "--tracking-uri", FIXTURE, "--json");
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.stdout);
    const runs = parsed.experiments[0].runs;
    assert.equal(runs.length, 9);
    const tuning = runs.find((r: { run_id: string }) =>
      r.run_id === "d606b968eecb41978971b9d8c4f98303"
    );
    assert.equal(tuning.metrics.best_cv_score, 0.8020866094412743);
    assert.equal(tuning.params.param_grid.startsWith("{'n_estimators'"), true);
    assert.equal(tuning.parent_run_id, null);
    assert.equal(
      runs.filter((r: { parent_run_id: string }) => r.parent_run_id === tuning.run_id).length,
      5,
    );

    const show = await mlops("runs", "show", "masked-lamb-325", "--tracking-uri", FIXTURE);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^Run d606b968eecb41978971b9d8c4f98303 \(masked-lamb-325\)$/m);
    assert.match(show.stdout, /experiment +Default \(0\)/);
    assert.match(show.stdout, /^Params \(13\)$/m);
    assert.match(show.stdout, /best_cv_score +0\.8020866094412743/);
    assert.match(show.stdout, /dataset @ 18c43737 +mlflow\.data\.context=train +4507 rows/);
    assert.match(show.stdout, /cv_results\.csv +3\.2 kB/);

    const showJson = JSON.parse(
      (await mlops("runs", "show", "0719034a", "--tracking-uri", FIXTURE, "--json")).stdout,
    );
    assert.equal(showJson.info.run_id, "0719034ad5ce435791a57bbd30d80ca5");
    assert.equal(showJson.params.max_depth, "20");
    assert.equal(showJson.tags["mlflow.parentRunId"], "d606b968eecb41978971b9d8c4f98303");
    assert.deepEqual(
      showJson.metrics.find((m: { key: string }) => m.key === "mean_fit_time"),
      { key: "mean_fit_time", value: 8.630666255950928, timestamp: 1751195631863, step: 0 },
    );

    const cmp = await mlops("runs", "compare", "0719034a", "401c4759", "--tracking-uri", FIXTURE);
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.match(cmp.stdout, /^\* max_depth +20 +10$/m);
    assert.match(cmp.stdout, /^\* n_estimators +100 +200$/m);
    assert.match(cmp.stdout, /^ {2}bootstrap +True +True$/m);
    assert.match(cmp.stdout, /^ {2}mean_test_score +0\.7945 +0\.8021$/m);
    const cmpJson = JSON.parse(
      (await mlops("runs", "compare", "0719034a", "401c4759", "--tracking-uri", FIXTURE, "--json"))
        .stdout,
    );
    assert.deepEqual(cmpJson.runs.map((r: { run_id: string }) => r.run_id), [
      "0719034ad5ce435791a57bbd30d80ca5",
      "401c4759b50145f79ba98a6be8dadff1",
    ]);
    assert.deepEqual(cmpJson.metrics.mean_test_score, [0.794542295790133, 0.8020860188189977]);
    assert.deepEqual(cmpJson.differing_params, ["max_depth", "n_estimators"]);

    // Errors are one line on stderr with a non-zero exit.
    const ambiguous = await mlops("runs", "show", "4", "--tracking-uri", FIXTURE);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /^mlops: '4' matches 2 runs: /);
    const none = await mlops("runs", "show", "nope", "--tracking-uri", FIXTURE);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^mlops: no run matches 'nope' in file:\/\//);
    const missing = await mlops("runs", "list", "--experiment", "x", "--tracking-uri", FIXTURE);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no experiment named 'x'/);
  },
}));

Deno.test("runs list/show/compare on a store we wrote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-cli-test-" });
  try {
    const store = new FileStore(join(dir, "mlruns"));
    const quiet = { gitCommit: () => Promise.resolve(null), user: "ada", sourceName: "t.ts" };
    const bundlePath = join(dir, "bundle.json");
    await Deno.writeTextFile(bundlePath, "{}");
    const parent = await logTrainingRun(store, {
      experiment: "churn",
      runName: "sweep",
      params: {},
      metrics: {},
      artifacts: [],
    }, quiet);
    const ids: string[] = [];
    for (const [i, depth] of [[1, 5], [2, null]] as const) {
      const logged = await logTrainingRun(store, {
        experiment: "churn",
        runName: `trial-${i}`,
        parentRunId: parent.runId,
        params: { n_estimators: 100, max_depth: depth },
        metrics: { accuracy: 0.8 + i / 100, roc_auc: 0.9 + i / 1000 },
        artifacts: [],
        model: { bundlePath },
      }, quiet);
      ids.push(logged.runId);
    }
    const uri = ["--tracking-uri", join(dir, "mlruns")];

    const list = await mlops("runs", "list", "--experiment", "churn", ...uri);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^Experiment churn \(\d+\): 3 runs$/m);
    assert.match(list.stdout, /^RUN +NAME +STATUS +START +accuracy +roc_auc$/m);
    assert.match(list.stdout, new RegExp(`^${parent.runId.slice(0, 8)} +sweep +FINISHED`, "m"));
    assert.match(
      list.stdout,
      new RegExp(`^├─ ${ids[0].slice(0, 8)} +trial-1 .* 0\\.81 +0\\.901$`, "m"),
    );
    assert.match(
      list.stdout,
      new RegExp(`^└─ ${ids[1].slice(0, 8)} +trial-2 .* 0\\.82 +0\\.902$`, "m"),
    );

    const show = JSON.parse((await mlops("runs", "show", ids[1], "--json", ...uri)).stdout);
    assert.equal(show.params.max_depth, "None");
    // MLflow 3: the model is a logged model of the run, not one of its artifacts.
    assert.deepEqual(show.artifacts, []);
    assert.equal(show.models.length, 1);
    assert.match(show.models[0].model_id, /^m-[0-9a-f]{32}$/);
    assert.equal(show.models[0].status, "READY");
    const text = await mlops("runs", "show", ids[1], ...uri);
    assert.match(
      text.stdout,
      new RegExp(`^Models \\(1\\)\\n  models:/${show.models[0].model_id} +model READY`, "m"),
    );

    const cmp = await mlops("runs", "compare", "trial-1", "trial-2", ...uri);
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.match(cmp.stdout, /^\* max_depth +5 +None$/m);
    assert.match(cmp.stdout, /^ {2}n_estimators +100 +100$/m);
    assert.match(cmp.stdout, /1 param differs/);
    const one = await mlops("runs", "compare", "trial-1", ...uri);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /at least two runs/);

    // Full precision in JSON.
    const json = JSON.parse((await mlops("runs", "list", "--json", ...uri)).stdout);
    const trial = json.experiments
      .flatMap((e: { runs: unknown[] }) => e.runs)
      .find((r: { run_id: string }) => r.run_id === ids[0]);
    assert.equal(trial.metrics.roc_auc, 0.901);
    assert.equal(trial.parent_run_id, parent.runId);

    // The real entry point, with the store chosen by MLFLOW_TRACKING_URI (in a
    // child process: changing this process's env could disturb parallel tests).
    const main = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", main, "runs", "list", "--json"],
      env: { MLFLOW_TRACKING_URI: join(dir, "mlruns"), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    const viaEnv = JSON.parse(new TextDecoder().decode(child.stdout));
    assert.equal(viaEnv.tracking_uri, `file://${join(dir, "mlruns")}`);
    assert.equal(
      viaEnv.experiments.find((e: { name: string }) => e.name === "churn").runs.length,
      3,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
