/**
 * Two (or more) processes on one file store, for real: separate `deno`
 * processes started to hit the store at the same moment, and processes killed
 * with SIGKILL in the middle of a write.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { FileStore } from "../lib/mlflow/transfer.ts";
import { RestStore } from "../lib/mlflow/rest_store.ts";
import { readBundle } from "../lib/model/io.ts";
import { withLock } from "../lib/mlflow/_fs.ts";
import { GATE_EXIT_CODE } from "../cli/commands/promote.ts";
import { CONFLICT_EXIT_CODE } from "../lib/registry/mod.ts";
import { mlops } from "./support/cli.ts";
import { needs } from "./support/parts.ts";
import { readWithMlflow } from "./support/real_mlflow.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { logTinyModelRun } from "./support/tiny_bundle.ts";
import { smallTelco } from "./support/sweep.ts";
import { runWorkers, spawnWorker, waitForLine } from "./support/store_worker.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-concurrency-test-");

/** A start time far enough ahead for every worker to have loaded. */
const startSoon = () => Date.now() + 2500;

Deno.test("concurrent writers into one fresh store converge on one experiment per name", async () => {
  const ROUNDS = 6, WRITERS = 4;
  const duplicated: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const root = join(tmp, `experiments-${round}`, "mlruns");
    const startAt = startSoon();
    const out = await runWorkers(
      Array.from({ length: WRITERS }, () => ({
        job: "experiment" as const,
        store: root,
        name: "shared",
        startAt,
      })),
    );
    for (const o of out) assert.equal(o.code, 0, o.stderr);
    const ids = new Set(out.map((o) => o.stdout.trim()));
    const store = new FileStore(root);
    const named = (await store.listExperiments()).filter((e) => e.name === "shared");
    if (named.length !== 1 || ids.size !== 1) duplicated.push(round);
    // Every writer's run landed in the one experiment.
    if (named.length === 1) {
      assert.equal((await store.searchRuns([named[0].experimentId])).length, WRITERS);
    }
  }
  assert.deepEqual(duplicated, [], `rounds with duplicate experiments: ${duplicated.join(", ")}`);
});

Deno.test("four concurrent `mlops train` into one fresh store: one experiment, four runs, four versions", async () => {
  const data = await smallTelco(tmp);
  const root = join(tmp, "train", "mlruns");
  const startAt = startSoon();
  const out = await runWorkers(Array.from({ length: 4 }, (_, i) => ({
    job: "cli" as const,
    startAt,
    args: [
      "train",
      "--data",
      data,
      "--trees",
      "5",
      "--workers",
      "1",
      "--out",
      join(tmp, "train", `out-${i}`),
      "--tracking-uri",
      root,
      "--json",
    ],
  })));
  for (const o of out) assert.equal(o.code, 0, o.stderr);
  const store = new FileStore(root);
  const experiments = (await store.listExperiments()).filter((e) => e.name === "telco-small");
  assert.equal(experiments.length, 1);
  const runs = await store.searchRuns([experiments[0].experimentId]);
  assert.equal(runs.length, 4);
  const versions = await store.searchModelVersions({ name: "telco-small" });
  assert.deepEqual(versions.map((v) => v.version).sort(), ["1", "2", "3", "4"]);
  assert.deepEqual(
    new Set(versions.map((v) => v.runId)),
    new Set(runs.map((r) => r.info.runId)),
  );
});

Deno.test("a process killed with SIGKILL while it holds the store's lock does not block the next one", async () => {
  const root = join(tmp, "killed-holder", "mlruns");
  const lock = join(root, ".mlops-experiments.lock");
  const holder = spawnWorker({ job: "lock", path: lock });
  await waitForLine(holder, "locked");
  // While it lives, the lock is really held.
  await assert.rejects(
    () => withLock(lock, "waiting for the holder", () => Promise.resolve(), 1000),
    /^UserError: gave up waiting for the holder after 1 s: another process holds the lock /,
  );
  holder.kill("SIGKILL");
  await holder.status;
  await holder.stderr.cancel();
  const store = new FileStore(root);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const created = await Promise.race([
    store.createExperiment("after-the-kill"),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("still waiting for the dead holder's lock")),
        20_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal((await store.getExperimentByName("after-the-kill"))?.experimentId, created);
});

Deno.test("two concurrent `mlops promote` of a better and a worse run: the better one ends up champion, as in some serial order", async () => {
  const ROUNDS = 6;
  const root = join(tmp, "promote", "mlruns");
  const store = new FileStore(root);
  const exp = await store.createExperiment("race");
  const better = await logTinyModelRun(store, exp, 0.9);
  const worse = await logTinyModelRun(store, exp, 0.6);
  const orders = { betterFirst: 0, worseFirst: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const model = `race-${round}`;
    const out = join(tmp, "promote", `edge-${round}`);
    const startAt = Date.now() + 1500;
    const promote = (runId: string) => ({
      job: "cli" as const,
      startAt,
      args: [
        "promote",
        "--run",
        runId,
        "--model",
        model,
        "--tracking-uri",
        root,
        "--out",
        out,
        "--json",
      ],
    });
    const [b, w] = await runWorkers([promote(better), promote(worse)]);
    const where = `round ${round}: better ${b.stdout} ${b.stderr} / worse ${w.stdout} ${w.stderr}`;
    assert.equal(b.code, 0, where);
    const bj = JSON.parse(b.stdout), wj = JSON.parse(w.stdout);
    const champion = await store.getModelVersionByAlias(model, "champion");
    assert.equal(champion.runId, better, where);
    assert.equal(champion.version, bj.version, where);
    if (w.code === GATE_EXIT_CODE) {
      // Serial order: better, then worse (gated against the better one and refused).
      orders.betterFirst++;
      assert.equal(bj.previous_version, null, where);
      assert.equal(wj.status, "rejected", where);
      assert.equal(wj.previous_version, bj.version, where);
      assert.equal((await store.searchModelVersions({ name: model })).length, 1, where);
    } else {
      // Serial order: worse (first champion), then better (beats it).
      orders.worseFirst++;
      assert.equal(w.code, 0, where);
      assert.equal(wj.status, "promoted", where);
      assert.equal(wj.previous_version, null, where);
      assert.equal(bj.previous_version, wj.version, where);
      assert.equal(
        (await store.getModelVersion(model, bj.version)).tags["mlops.previous_version"],
        wj.version,
        where,
      );
    }
    // The edge bundle is the champion's: the last writer was the last promotion.
    const edge = await readBundle(out);
    assert.equal(edge.version, champion.version, where);
    assert.equal(edge.training.metrics.accuracy, 0.9, where);
  }
  console.log(`serial orders seen: ${JSON.stringify(orders)}`);
});

Deno.test("promote over REST: an alias moved by another client during the promotion is a conflict, not a success", async () => {
  const server = startMlflowServer();
  try {
    const store = new RestStore(server.url);
    const exp = await store.createExperiment("rest-race");
    const worse = await logTinyModelRun(store, exp, 0.6);
    const middle = await logTinyModelRun(store, exp, 0.8);
    const better = await logTinyModelRun(store, exp, 0.9);
    const out = join(tmp, "rest-edge");
    const promote = (runId: string) =>
      mlops("promote", "--run", runId, "--model", "m", "--tracking-uri", server.url, "--out", out);
    assert.equal((await promote(worse)).code, 0);
    const v2 = await store.createModelVersion({
      name: "m",
      source: `${(await store.getRun(middle)).info.artifactUri}/model`,
      runId: middle,
    });
    const aliases = () => server.models.get("m")!.aliases;
    const API = "/api/2.0/mlflow/";

    // Another client moves the alias right after ours lands.
    server.afterEach((req) => {
      if (req.method === "POST" && req.path === `${API}registered-models/alias`) {
        aliases().set("champion", v2.version);
      }
    });
    const late = await promote(better);
    assert.equal(late.code, CONFLICT_EXIT_CODE, late.stderr);
    assert.equal(late.stderr.split("\n").length, 1, late.stderr);
    assert.match(
      late.stderr,
      /^mlops: conflict: m@champion was moved by another client .*\(it is version 2, expected version 3, set just before\).*version 3 is registered but is not champion/,
    );
    assert.doesNotMatch(late.stdout, /promoted/);
    assert.equal(
      (await readBundle(out)).version,
      "1",
      "the edge bundle must not follow a lost race",
    );

    // Another client moves it between our gate and our move: we must not move it.
    aliases().set("champion", "1");
    server.afterEach((req) => {
      if (req.method === "POST" && req.path === `${API}model-versions/create`) {
        aliases().set("champion", v2.version);
      }
    });
    const best = await logTinyModelRun(store, exp, 0.95);
    const early = await promote(best);
    assert.equal(early.code, CONFLICT_EXIT_CODE, early.stderr);
    assert.match(
      early.stderr,
      /^mlops: conflict: .*\(it is version 2, expected version 1\).*version 4 /,
    );
    assert.equal(aliases().get("champion"), "2", "a stale gate must not move the alias");
  } finally {
    server.afterEach(null);
    await server.close();
  }
});

Deno.test("a run left half-written by kill -9 is removed by the next write once stale; fresh and in-use ones stay", async () => {
  const root = join(tmp, "stale", "mlruns");
  const store = new FileStore(root);
  const exp = await store.createExperiment("e");
  const expDir = join(root, exp);
  const staged = async (runId: string) => {
    for await (const e of Deno.readDir(expDir)) {
      if (e.name.startsWith(`.tmp-${runId}-`)) return e.name;
    }
    throw new Error(`no staging folder for run ${runId}`);
  };
  /** Starts a run in another process and returns the process and its staging folder. */
  const stage = async (idle: boolean) => {
    const child = spawnWorker({ job: "stage", store: root, name: "e", idle });
    const runId = (await waitForLine(child, "ready ")).slice("ready ".length);
    return { child, dir: await staged(runId) };
  };
  const kill = async (child: Deno.ChildProcess) => {
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
  };
  const age = (name: string) => {
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    return Deno.utime(join(expDir, name), old, old);
  };

  const killed = await stage(false);
  await new Promise((r) => setTimeout(r, 200)); // let it write for a while
  await kill(killed.child);
  const fresh = await stage(false);
  await kill(fresh.child);
  const inUse = await stage(true);
  try {
    await age(killed.dir);
    await age(inUse.dir);

    // The next write into the experiment, by a new process.
    const next = await runWorkers([{ job: "experiment", store: root, name: "e", startAt: 0 }]);
    assert.equal(next[0].code, 0, next[0].stderr);

    const left = new Set<string>();
    for await (const e of Deno.readDir(expDir)) if (e.name.startsWith(".tmp-")) left.add(e.name);
    assert.ok(!left.has(killed.dir), "the stale folder of a killed process was not removed");
    assert.ok(left.has(fresh.dir), "a fresh folder was removed");
    assert.ok(left.has(inUse.dir), "the folder of a live process was removed");
    assert.equal((await store.searchRuns([exp])).length, 1, "the new run was published");
  } finally {
    await kill(inUse.child);
  }
});

Deno.test(needs(["mlflow"], {
  name: "MLflow reads a store after concurrent writers, promotions and a killed writer",
  async fn() {
    const root = join(tmp, "mlflow-reads", "mlruns");
    const startAt = startSoon();
    const made = await runWorkers(Array.from({ length: 3 }, () => ({
      job: "experiment" as const,
      store: root,
      name: "shared",
      startAt,
    })));
    for (const o of made) assert.equal(o.code, 0, o.stderr);
    const store = new FileStore(root);
    const exp = made[0].stdout.trim();
    const better = await logTinyModelRun(store, exp, 0.9);
    const worse = await logTinyModelRun(store, exp, 0.6);
    const out = join(tmp, "mlflow-reads", "edge");
    const promote = (runId: string) => ({
      job: "cli" as const,
      startAt: Date.now() + 1500,
      args: ["promote", "--run", runId, "--model", "m", "--tracking-uri", root, "--out", out],
    });
    await runWorkers([promote(better), promote(worse)]);
    // A writer killed mid-run leaves its hidden staging folder behind.
    const killed = spawnWorker({ job: "stage", store: root, name: "shared" });
    await waitForLine(killed, "ready ");
    killed.kill("SIGKILL");
    await killed.status;
    await killed.stderr.cancel();

    const read = await readWithMlflow(root) as {
      errors: unknown[];
      experiments: { name: string; runs: unknown[] }[];
      registered_models: {
        name: string;
        aliases: Record<string, string>;
        versions: { version: string | number; run_id: string }[];
      }[];
    };
    assert.deepEqual(read.errors, []);
    assert.deepEqual(read.experiments.map((e) => e.name).sort(), ["Default", "shared"]);
    const shared = read.experiments.find((e) => e.name === "shared")!;
    assert.equal(shared.runs.length, 5);
    assert.deepEqual(read.registered_models.map((m) => m.name), ["m"]);
    const champion = read.registered_models[0].aliases.champion;
    const v = read.registered_models[0].versions.find((v) => String(v.version) === champion);
    assert.equal(v?.run_id, better);
  },
}));
