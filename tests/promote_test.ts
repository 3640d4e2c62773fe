import { strict as assert } from "node:assert";
import { join } from "node:path";
import { mlops } from "./support/cli.ts";
import { smallTelco, sweep as sweepOn } from "./support/sweep.ts";
import { GATE_EXIT_CODE } from "../cli/commands/promote.ts";
import { readBundle } from "../lib/model/io.ts";
import { openStore } from "../lib/mlflow/open.ts";
import { PROMOTE_TAGS } from "../lib/registry/mod.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-promote-test-");
const DATA = await smallTelco(tmp);
const MODEL = "telco-small"; // default: the experiment name, i.e. the dataset name

/** A fresh store with two sweeps: a weak model (1 stump) and a good one. */
async function setup(name: string) {
  const dir = join(tmp, name);
  const mlruns = join(dir, "mlruns");
  const out = join(dir, "edge-model");
  const sweep = (...grid: string[]) => sweepOn(DATA, mlruns, "--cv", "2", "--grid", ...grid);
  const weak = await sweep("trees=1", "max-depth=1");
  const good = await sweep("trees=15,30", "max-depth=6");
  assert.ok(
    good.metrics.accuracy > weak.metrics.accuracy,
    "the fixture needs a better and a worse run",
  );
  const promote = async (...args: string[]) => {
    const r = await mlops("promote", "--tracking-uri", mlruns, "--out", out, "--json", ...args);
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
  };
  return { mlruns, out, weak, good, promote, store: openStore(mlruns) };
}

/** Every file under `dir` with its content, to prove nothing changed. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else out.set(p, await Deno.readTextFile(p));
    }
  };
  await walk(dir).catch(() => {});
  return out;
}

Deno.test("sweep then promote: a registered version with the champion alias and a loadable edge bundle", async () => {
  const { out, good, promote, store, mlruns } = await setup("first");
  const r = await promote();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.promoted, true);
  assert.equal(r.json.version, "1");
  assert.equal(r.json.alias, "champion");
  assert.equal(r.json.model, MODEL);
  assert.equal(r.json.run_id, good.parent_run_id, "best run of the latest sweep's experiment");
  assert.match(r.json.checksum, /^sha256:[0-9a-f]{64}$/);
  assert.match(r.json.reason, /no current champion/);

  const mv = await store.getModelVersionByAlias(MODEL, "champion");
  assert.equal(mv.version, "1");
  assert.equal(mv.runId, good.parent_run_id);
  for (const k of [PROMOTE_TAGS.by, PROMOTE_TAGS.at, PROMOTE_TAGS.reason, "mlops.new.accuracy"]) {
    assert.ok(mv.tags[k], k);
  }

  const bundle = await readBundle(out);
  assert.equal(bundle.version, "1");
  assert.equal(bundle.name, MODEL);
  assert.ok(bundle.promotedAt && !Number.isNaN(Date.parse(bundle.promotedAt)));
  const text = await Deno.readTextFile(join(out, "model.mlops.json"));
  assert.ok(text.endsWith(`"checksum":"${r.json.checksum}"}`));

  // The registry URI serves the same model to `mlops predict`.
  const p = await mlops(
    "predict",
    "--model",
    `models:/${MODEL}@champion`,
    "--tracking-uri",
    mlruns,
    "--data",
    DATA,
    "--json",
  );
  assert.equal(p.code, 0, p.stderr);
  assert.equal(JSON.parse(p.stdout).rows, 1500);

  // Promoting the champion's own run again changes nothing.
  const same = await promote("--run", good.parent_run_id);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.json.status, "unchanged");
  assert.equal((await store.searchModelVersions({ name: MODEL })).length, 1);
});

Deno.test("the gate: a worse model is refused with a distinct exit code, a better one promoted, --dry-run changes nothing, --version rolls back", async () => {
  const { out, weak, good, promote, store, mlruns } = await setup("gate");
  const first = await promote("--run", weak.parent_run_id, "--reason", "baseline");
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.json.version, "1");

  // Dry run of the better model: says it would promote, writes nothing.
  const before = await snapshot(join(mlruns, ".."));
  const dry = await promote("--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.json.dry_run, true);
  assert.equal(dry.json.would_promote, true);
  assert.equal(dry.json.promoted, false);
  assert.equal(dry.json.checksum, null);
  assert.deepEqual(await snapshot(join(mlruns, "..")), before, "--dry-run changed files");

  // A demand for more improvement than there is: refused, and nothing changes.
  const delta = (good.metrics.accuracy - weak.metrics.accuracy) + 0.01;
  const greedy = await promote("--min-delta", String(delta));
  assert.equal(greedy.code, GATE_EXIT_CODE);
  assert.equal(greedy.json.promoted, false);
  assert.equal(greedy.json.rejected, true);
  assert.match(greedy.stderr, /^mlops: not promoted: accuracy .* less than --min-delta/);
  assert.deepEqual(await snapshot(join(mlruns, "..")), before, "a refused promotion changed files");

  const better = await promote();
  assert.equal(better.code, 0, better.stderr);
  assert.equal(better.json.version, "2");
  assert.equal(better.json.previous_version, "1");
  const v2 = await store.getModelVersion(MODEL, "2");
  assert.equal(v2.tags[PROMOTE_TAGS.previous], "1");
  // The gate's reason, recorded as the CLI words it: options by their flags.
  assert.match(v2.tags[PROMOTE_TAGS.reason], /, beats it by at least --min-delta 0$/);
  assert.equal(Number(v2.tags["mlops.old.accuracy"]), weak.metrics.accuracy);
  assert.equal(Number(v2.tags["mlops.new.accuracy"]), good.metrics.accuracy);
  assert.equal((await readBundle(out)).version, "2");

  // The weak model again: worse than the champion, so refused with the gate's exit code.
  const worse = await promote("--run", weak.parent_run_id);
  assert.equal(worse.code, GATE_EXIT_CODE);
  assert.equal(worse.json.status, "rejected");
  assert.match(worse.stderr, /not promoted: .*not better/);
  assert.equal((await store.getModelVersionByAlias(MODEL, "champion")).version, "2");
  assert.equal((await store.searchModelVersions({ name: MODEL })).length, 2);
  // ... and by log loss (lower is better) too.
  const byLoss = await promote("--run", weak.parent_run_id, "--metric", "log_loss");
  assert.equal(byLoss.code, GATE_EXIT_CODE);

  // Rollback to version 1: alias and edge bundle follow, the version records it.
  const back = await promote("--version", "1", "--model", MODEL, "--reason", "incident 42");
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.json.rollback, true);
  assert.equal(back.json.version, "1");
  assert.equal((await store.getModelVersionByAlias(MODEL, "champion")).version, "1");
  const v1 = await store.getModelVersion(MODEL, "1");
  assert.equal(v1.tags[PROMOTE_TAGS.rollbackFrom], "2");
  assert.match(v1.tags[PROMOTE_TAGS.rollbackReason], /incident 42/);
  const bundle = await readBundle(out);
  assert.equal(bundle.version, "1");
  assert.equal(bundle.training.params.nTrees, 1);
});

Deno.test("promote: no runs, unknown metric, a metric the runs lack, bad version", async () => {
  const empty = join(tmp, "empty", "mlruns");
  const out = join(tmp, "empty", "edge-model");
  const none = await mlops("promote", "--tracking-uri", empty, "--out", out);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^mlops: no sweep runs found in .*run `mlops sweep` first/);

  const { promote, store } = await setup("bad");
  const unknown = await promote("--metric", "auc");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--metric auc: unknown metric \(known: accuracy/);

  // An experiment whose only run has accuracy but no roc_auc.
  const expId = await store.createExperiment("hand-logged");
  const info = await store.createRun({ experimentId: expId });
  await store.logBatch(info.runId, {
    metrics: [{ key: "accuracy", value: 0.9, timestamp: 1, step: 0 }],
  });
  await store.updateRun(info.runId, "FINISHED");
  const lacking = await promote("--experiment", "hand-logged", "--metric", "roc_auc");
  assert.equal(lacking.code, 2);
  assert.match(
    lacking.stderr,
    /no run in experiment 'hand-logged' has this metric \(they have: accuracy\)/,
  );
  const noModel = await promote("--experiment", "hand-logged");
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /has a model to register/);

  const badDelta = await promote("--min-delta", "-1");
  assert.equal(badDelta.code, 2);
  const noVersion = await promote("--version", "7", "--model", "nobody");
  assert.equal(noVersion.code, 2);
  assert.match(noVersion.stderr, /no registered model 'nobody'/);
  assert.equal(await Deno.stat(out).catch(() => null), null, "no bundle written on errors");
});
