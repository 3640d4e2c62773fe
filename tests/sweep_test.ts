import { strict as assert } from "node:assert";
import { join } from "node:path";
import { mlops } from "./support/cli.ts";
import { smallTelco, sweep as sweepOn } from "./support/sweep.ts";
import { loadTrainingData } from "../lib/train/mod.ts";
import { DEFAULT_PARAMS } from "../lib/forest/types.ts";
import { createForestPool } from "../lib/forest/pool.ts";
import { openStore } from "../lib/mlflow/open.ts";
import { gitHead } from "../lib/mlflow/log_run.ts";
import {
  configId,
  crossValidate,
  expandGrid,
  gridFromObject,
  parseGridArgs,
  parseShard,
  pickBest,
  readSweepFile,
  resolveSettings,
  sampleGrid,
  selectShard,
  summarize,
  SWEEP_TAGS,
  sweepConfigs,
} from "../lib/sweep/mod.ts";
import { UserError } from "../lib/errors.ts";
import { cliMessage } from "../cli/options.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-sweep-test-");

const DATA = await smallTelco(tmp);

/** `mlops sweep` on the small data, in store `mlruns`, returning the JSON summary. */
const sweep = (mlruns: string, ...args: string[]) => sweepOn(DATA, mlruns, ...args);

/** `fn` throws a one-line UserError that the CLI shows as matching `re` (options as flags). */
function throwsUser(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.match(cliMessage(e), re);
    assert.ok(!e.message.includes("\n"), "one line");
    assert.ok(!/(^|\s)--[a-z]/.test(e.message), `the library names no flag: ${e.message}`);
    return true;
  });
}

Deno.test("grid flags parse with train's names and parsers, in catalogue order", () => {
  const grid = parseGridArgs(["max-depth=none,10,10", "trees=100,200", "max_features=sqrt,0.5"]);
  assert.deepEqual(grid.map((a) => a.param.name), ["trees", "max-depth", "max-features"]);
  assert.deepEqual(grid[1].values, [null, 10], "duplicates dropped");
  assert.deepEqual(grid[2].values, ["sqrt", { fraction: 0.5 }]);
  const configs = expandGrid(grid);
  assert.equal(configs.length, 8);
  assert.deepEqual(configs[0].swept, { trees: "100", "max-depth": "none", "max-features": "sqrt" });
  assert.equal(configs[0].params.criterion, DEFAULT_PARAMS.criterion);
  // One quoted argument works too (CI matrices pass it that way), and so do sklearn names.
  const one = parseGridArgs(["n_estimators=5,10 min-samples-split=2,5"]);
  assert.deepEqual(one.map((a) => a.values), [[5, 10], [2, 5]]);
  // A sweep file's grid gives the same configurations as the same flags.
  const fromFile = gridFromObject({ trees: [100, 200], "max-depth": [null, 10] }, "f");
  assert.deepEqual(
    expandGrid(fromFile).map((c) => c.id),
    expandGrid(parseGridArgs(["trees=100,200", "max-depth=none,10"])).map((c) => c.id),
  );
});

Deno.test("every bad grid, cv, metric and shard is a one-line UserError", () => {
  throwsUser(
    () => parseGridArgs(["depth=1,2"]),
    /unknown hyperparameter "depth" \(known: trees, max-depth/,
  );
  throwsUser(
    () => parseGridArgs(["max-depth=none,abc"]),
    /--grid max-depth=abc: expected an integer >= 1/,
  );
  throwsUser(() => parseGridArgs(["trees=0"]), /trees=0: expected an integer >= 1/);
  throwsUser(() => parseGridArgs(["min-samples-split=1"]), /min-samples-split=1/);
  throwsUser(
    () => parseGridArgs(["criterion=gini,mse"]),
    /criterion=mse: expected gini or entropy/,
  );
  throwsUser(() => parseGridArgs(["trees=100,"]), /empty value/);
  throwsUser(() => parseGridArgs(["trees"]), /expected name=value/);
  throwsUser(() => parseGridArgs(["trees=1", "trees=2"]), /trees is given twice/);
  throwsUser(() => parseGridArgs([]), /the grid is empty/);
  throwsUser(() => gridFromObject({}, "sweep.yaml: grid"), /sweep.yaml: grid: the grid is empty/);
  throwsUser(() => resolveSettings({ cv: "1" }, null), /--cv 1: expected an integer >= 2/);
  throwsUser(() => resolveSettings({ cv: "x" }, null), /--cv x/);
  throwsUser(
    () => resolveSettings({ metric: "auc" }, null),
    /--metric auc: unknown metric \(known: accuracy/,
  );
  // An Object.prototype name is no metric.
  throwsUser(() => resolveSettings({ metric: "toString" }, null), /--metric toString: unknown/);
  throwsUser(() => resolveSettings({ search: "bayes" }, null), /expected grid or random/);
  throwsUser(() => resolveSettings({ search: "random" }, null), /needs --trials/);
  throwsUser(() => resolveSettings({ trials: "3" }, null), /only applies to --search random/);
  throwsUser(() => parseShard("3/2"), /--shard 3\/2: I must be between 1 and N/);
  throwsUser(() => parseShard("0/2"), /--shard 0\/2/);
  throwsUser(() => parseShard("1/0"), /N must be at least 1/);
  throwsUser(() => parseShard("half"), /expected I\/N/);
});

Deno.test("bad input on the command line fails before any data is read or tree grown", async () => {
  const mlruns = join(tmp, "never");
  const cases: [string[], RegExp][] = [
    [["--grid", "depth=1"], /unknown hyperparameter "depth"/],
    [["--grid", "max-depth=-3"], /max-depth=-3/],
    [["--cv", "1"], /--cv 1: expected an integer >= 2/],
    [["--metric", "auc"], /unknown metric/],
    [["--shard", "3/2", "--sweep-id", "s"], /--shard 3\/2/],
    [["--shard", "1/2"], /pass the same --sweep-id/],
    [["--config", join(tmp, "missing.yaml")], /missing.yaml: file not found/],
  ];
  for (const [args, re] of cases) {
    const t0 = performance.now();
    const r = await mlops(
      "sweep",
      "--data",
      join(tmp, "no-such.csv"),
      "--tracking-uri",
      mlruns,
      ...args,
    );
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, re);
    assert.match(r.stderr, /^mlops: [^\n]+$/);
    assert.ok(performance.now() - t0 < 5000, "fails fast");
  }
  await assert.rejects(Deno.stat(mlruns), "nothing was logged");
  const none = await mlops("sweep", "--collect", "no-such-sweep", "--tracking-uri", mlruns);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--collect no-such-sweep: no runs found for this sweep/);
});

Deno.test("sweep files: YAML and JSON, flags win, unknown keys refused", async () => {
  const yaml = join(tmp, "sweep.yaml");
  await Deno.writeTextFile(
    yaml,
    "search: random\ntrials: 3\ncv: 4\nmetric: log_loss\ngrid:\n  trees: [5, 10]\n  max-depth: [null, 3, 6]\n",
  );
  const s = resolveSettings({}, await readSweepFile(yaml));
  assert.equal(s.search, "random");
  assert.equal(s.cv, 4);
  assert.equal(s.metric, "log_loss");
  assert.equal(sweepConfigs(s).length, 3);
  assert.equal(resolveSettings({ cv: "2" }, await readSweepFile(yaml)).cv, 2);
  const json = join(tmp, "sweep.json");
  await Deno.writeTextFile(json, JSON.stringify({ cv: 1, grid: { trees: [5] } }));
  const bad = await readSweepFile(json);
  throwsUser(() => resolveSettings({}, bad), /sweep.json: cv 1: expected an integer >= 2/);
  await Deno.writeTextFile(json, JSON.stringify({ folds: 3 }));
  await assert.rejects(readSweepFile(json), /unknown key "folds"/);
  await Deno.writeTextFile(json, "{ not json");
  await assert.rejects(readSweepFile(json), /not valid JSON/);
});

Deno.test("config ids are stable and sharding is a deterministic partition", () => {
  const a = expandGrid(
    parseGridArgs(["trees=100,200", "max-depth=none,10,20", "min-samples-split=2,5"]),
  );
  const b = expandGrid(
    parseGridArgs(["min-samples-split=5,2", "max-depth=20,none,10", "trees=200,100"]),
  );
  assert.deepEqual(new Set(a.map((c) => c.id)), new Set(b.map((c) => c.id)));
  assert.equal(new Set(a.map((c) => c.id)).size, 12);
  assert.equal(configId({ ...DEFAULT_PARAMS, oobScore: false }), configId(DEFAULT_PARAMS));
  assert.notEqual(configId({ ...DEFAULT_PARAMS, seed: 1 }), configId(DEFAULT_PARAMS));

  for (const n of [1, 2, 3, 5, 13]) {
    const shards = Array.from({ length: n }, (_, i) => selectShard(a, { index: i + 1, count: n }));
    const all = shards.flat().map((c) => c.id);
    assert.equal(all.length, a.length, `N=${n}: disjoint`);
    assert.deepEqual(new Set(all), new Set(a.map((c) => c.id)), `N=${n}: complete`);
  }
  const grid = parseGridArgs(["trees=10,20,30", "max-depth=none,2,4,8", "criterion=gini,entropy"]);
  const r1 = sampleGrid(grid, 5, 7).map((c) => c.id);
  assert.deepEqual(sampleGrid(grid, 5, 7).map((c) => c.id), r1, "same seed, same draw");
  assert.equal(new Set(r1).size, 5, "distinct");
  assert.notDeepEqual(sampleGrid(grid, 5, 8).map((c) => c.id), r1);
  assert.equal(sampleGrid(grid, 99, 7).length, 24, "capped at the grid");
});

Deno.test("configs that differ only in tree count share a forest with identical scores", async () => {
  const data = await loadTrainingData({ data: DATA });
  const cvData = { X: data.X, y: data.y, classes: data.schema.classes };
  const pool = await createForestPool(2);
  try {
    const both = expandGrid(parseGridArgs(["trees=6,12", "max-depth=4"]));
    const shared = await crossValidate(cvData, both, { k: 3, seed: 1, pool });
    const alone = await crossValidate(cvData, [both[0]], { k: 3, seed: 1, pool });
    assert.deepEqual(
      shared[0].folds.map((f) => f.metrics),
      alone[0].folds.map((f) => f.metrics),
    );
    assert.equal(shared[1].folds.length, 3);
    const best = pickBest(shared.map((s) => summarize(s)), "log_loss");
    assert.ok(best.mean.log_loss <= Math.min(...shared.map((s) => summarize(s).mean.log_loss)));
  } finally {
    pool.close();
  }
});

Deno.test("a sweep logs parent and children; a rerun resumes and skips finished configs", async () => {
  const mlruns = join(tmp, "resume");
  const grid = ["--grid", "trees=4,8", "max-depth=3,none", "--cv", "2"];
  const first = await sweep(mlruns, ...grid);
  assert.deepEqual(first.configs, { total: 4, in_shard: 4, run: 4, skipped: 0 });
  assert.ok(first.best.cv_mean.accuracy > 0.6);
  assert.ok(first.metrics.accuracy > 0.6, "holdout metrics of the refit");
  assert.equal(first.run_id, first.parent_run_id);

  const store = openStore(mlruns);
  const parent = await store.getRun(first.parent_run_id);
  assert.equal(parent.data.tags[SWEEP_TAGS.sweepId], first.sweep_id);
  assert.equal(parent.data.tags[SWEEP_TAGS.shard], "1/1");
  // The code that ran: the checkout's commit (CI runs in a clone; absent outside git).
  const sha = await gitHead();
  assert.equal(parent.data.tags["mlflow.source.git.commit"], sha ?? undefined);
  assert.ok(parent.data.params.n_estimators, "best params on the parent");
  const files = (await store.listArtifacts(first.parent_run_id)).map((f) => f.path);
  assert.ok(files.includes("cv_results.csv"), files.join(","));
  // The refit model is the parent's logged model, with the holdout metrics linked to it.
  assert.equal(parent.outputs.length, 1);
  const logged = await store.getLoggedModel(parent.outputs[0].modelId);
  assert.equal(logged.status, "READY");
  assert.equal(logged.sourceRunId, first.parent_run_id);
  const modelDir = await store.downloadArtifacts(`models:/${logged.modelId}`, join(tmp, "dl"));
  assert.deepEqual([...Deno.readDirSync(modelDir)].map((e) => e.name).sort(), [
    "MLmodel",
    "model.mlops.json",
  ]);
  const linked = await Deno.readTextFile(
    join(mlruns, first.experiment_id, "models", logged.modelId, "metrics", "accuracy"),
  );
  assert.match(linked, new RegExp(` 0 ${first.parent_run_id}\\n$`));
  const children = await store.searchRuns([first.experiment_id], {
    tags: { [SWEEP_TAGS.parent]: first.parent_run_id },
  });
  assert.equal(children.length, 4);
  for (const c of children) {
    assert.equal(c.info.status, "FINISHED");
    assert.equal(c.data.tags["mlflow.source.git.commit"], sha ?? undefined);
    const keys = c.data.metrics.map((m) => m.key);
    for (const k of ["cv_mean_accuracy", "cv_std_accuracy", "cv_mean_log_loss", "fit_time_ms"]) {
      assert.ok(keys.includes(k), k);
    }
  }
  const csv = await Deno.readTextFile(
    join(new URL(parent.info.artifactUri).pathname, "cv_results.csv"),
  );
  const [header, ...rows] = csv.trim().split("\n");
  assert.ok(header.startsWith("config_id,run_id,param_n_estimators,param_max_depth"));
  for (
    const col of [
      "mean_test_accuracy",
      "std_test_accuracy",
      "rank_test_accuracy",
      "split1_test_log_loss",
    ]
  ) {
    assert.ok(header.split(",").includes(col), col);
  }
  assert.equal(rows.length, 4);

  const again = await sweep(mlruns, ...grid);
  assert.equal(again.sweep_id, first.sweep_id, "same definition, same sweep id");
  assert.deepEqual(again.configs, { total: 4, in_shard: 4, run: 0, skipped: 4 });
  assert.deepEqual(again.best, first.best);
  // The new parent adopted the earlier children.
  const adopted = await store.searchRuns([first.experiment_id], {
    tags: { [SWEEP_TAGS.parent]: again.parent_run_id },
  });
  assert.equal(adopted.length, 4);

  // A wider grid under the same id is refused rather than mixed in.
  const other = await mlops(
    "sweep",
    "--data",
    DATA,
    "--tracking-uri",
    mlruns,
    "--sweep-id",
    first.sweep_id,
    "--grid",
    "trees=4,8,16",
    "max-depth=3,none",
    "--cv",
    "2",
  );
  assert.equal(other.code, 2);
  assert.match(other.stderr, /was run with other settings, grid or data/);
});

Deno.test("resume after a shard: the rest of the sweep trains only what is missing", async () => {
  const mlruns = join(tmp, "partial");
  const args = ["--grid", "trees=4,8", "max-depth=3,none", "--cv", "2", "--sweep-id", "part"];
  const shard = await sweep(mlruns, ...args, "--shard", "1/2");
  assert.deepEqual(shard.configs, { total: 4, in_shard: 2, run: 2, skipped: 0 });
  assert.equal(shard.metrics, null, "shards do not refit");
  assert.equal(shard.run_id, null);
  const whole = await sweep(mlruns, ...args);
  assert.deepEqual(whole.configs, { total: 4, in_shard: 4, run: 2, skipped: 2 });
});

Deno.test("collect across 2 shards picks the same winner as an unsharded sweep", async () => {
  const grid = ["--grid", "trees=5,10", "max-depth=3,6", "min-samples-leaf=1,5", "--cv", "3"];
  const whole = await sweep(join(tmp, "whole"), ...grid);
  const sharded = join(tmp, "sharded");
  const s1 = await sweep(sharded, ...grid, "--sweep-id", "ci-42", "--shard", "1/2");
  assert.equal(s1.configs.in_shard, 4);
  const early = await mlops("sweep", "--collect", "ci-42", "--tracking-uri", sharded);
  assert.equal(early.code, 2);
  assert.match(early.stderr, /only 4 of 8 configurations have finished; rerun the missing shards/);
  await sweep(sharded, ...grid, "--sweep-id", "ci-42", "--shard", "2/2");
  const r = await mlops("sweep", "--collect", "ci-42", "--tracking-uri", sharded, "--json");
  assert.equal(r.code, 0, r.stderr);
  const collected = JSON.parse(r.stdout);
  assert.equal(collected.shard, "collect");
  assert.equal(collected.best.config_id, whole.best.config_id);
  assert.deepEqual(
    collected.best.cv_mean,
    whole.best.cv_mean,
    "same folds, same forests, same scores",
  );
  assert.equal(collected.metrics.accuracy, whole.metrics.accuracy, "same refit on the holdout");
  const parent = await openStore(sharded).getRun(collected.parent_run_id);
  assert.equal(parent.data.tags[SWEEP_TAGS.role], "collect");
  assert.equal(parent.data.tags[SWEEP_TAGS.sweepId], "ci-42");
  const byLogLoss = await mlops(
    "sweep",
    "--collect",
    "ci-42",
    "--tracking-uri",
    sharded,
    "--metric",
    "log_loss",
    "--json",
  );
  assert.equal(byLogLoss.code, 0, byLogLoss.stderr);
  assert.equal(JSON.parse(byLogLoss.stdout).metric, "log_loss");
});

Deno.test("random search from flags draws --trials configurations", async () => {
  const r = await sweep(
    join(tmp, "random"),
    "--search",
    "random",
    "--trials",
    "3",
    "--cv",
    "2",
    "--grid",
    "trees=3,6",
    "max-depth=2,4,none",
    "criterion=gini,entropy",
  );
  assert.equal(r.configs.total, 3);
});

Deno.test("against an MLflow server: shards, collect and promote over REST", async () => {
  const { startMlflowServer } = await import("./support/mlflow_server.ts");
  const server = startMlflowServer();
  try {
    const grid = ["--grid", "trees=4,8", "max-depth=3,none", "--cv", "2", "--sweep-id", "rest"];
    await sweep(server.url, ...grid, "--shard", "1/2");
    await sweep(server.url, ...grid, "--shard", "2/2");
    const again = await sweep(server.url, ...grid, "--shard", "2/2");
    assert.equal(again.configs.run, 0, "resumed over REST");
    const c = await mlops("sweep", "--collect", "rest", "--tracking-uri", server.url, "--json");
    assert.equal(c.code, 0, c.stderr);
    const collected = JSON.parse(c.stdout);
    assert.equal(collected.configs.total, 4);
    const out = join(tmp, "rest-edge");
    const p = await mlops("promote", "--tracking-uri", server.url, "--out", out, "--json");
    assert.equal(p.code, 0, p.stderr);
    const promoted = JSON.parse(p.stdout);
    assert.equal(promoted.run_id, collected.parent_run_id);
    assert.equal(promoted.version, "1");
    const model = server.models.get(promoted.model);
    assert.ok(model, "registered on the server");
  } finally {
    await server.close();
  }
});
