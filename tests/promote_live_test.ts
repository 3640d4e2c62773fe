/**
 * `mlops promote --live` against the real Prometheus (Debian's), scraping a
 * loopback exporter that serves `mlops_feedback_total` with the labels the
 * edge uses (model_name, model_version, model_role, outcome; docs/EDGE16
 * contract), and a file-store registry with champion and challenger aliases.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { mlops, MLOPS_ARGV, runCommand } from "./support/cli.ts";
import { needs } from "./support/parts.ts";
import { freePort, startPrometheus } from "./support/monitoring_parts.ts";
import { logTinyModelRun } from "./support/tiny_bundle.ts";
import { moduleTempDir } from "./support/temp.ts";
import { GATE_EXIT_CODE } from "../cli/commands/promote.ts";
import { openStore } from "../lib/mlflow/mod.ts";
import { readBundle } from "../lib/model/io.ts";
import { decideLive, PROMOTE_TAGS } from "../lib/registry/mod.ts";
import { OptionError } from "../lib/errors.ts";
import { cliMessage, flagOf } from "../cli/options.ts";

const tmp = await moduleTempDir("mlops-promote-live-test-");

/**
 * Feedback each model gets, [correct, incorrect] per version; "ghost" has
 * no challenger series at all.
 */
const FEEDBACK: Record<string, Record<string, [number, number]>> = {
  churn: { "1": [700, 300], "2": [800, 200] },
  few: { "1": [300, 100], "2": [40, 10] },
  close: { "1": [800, 200], "2": [805, 195] },
  ghost: { "1": [500, 100] },
};

/**
 * A loopback exporter: counters stay at 0 for two scrapes (one may time
 * out under load), then reach their totals over four more (so `increase()`
 * sees them all), as an edge's would.
 * Two instances per model, each with half the traffic, so the query must
 * sum over instances.
 */
function startExporter() {
  let scrapes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const share = Math.min(1, Math.max(0, scrapes++ - 1) / 4);
    const lines = ["# TYPE mlops_feedback_total counter"];
    for (const [model, versions] of Object.entries(FEEDBACK)) {
      for (const [version, [correct, incorrect]] of Object.entries(versions)) {
        const role = version === "1" ? "champion" : "challenger";
        for (const instance of ["a", "b"]) {
          for (const [outcome, n] of [["correct", correct], ["incorrect", incorrect]] as const) {
            const v = Math.round((n / 2) * share);
            lines.push(
              `mlops_feedback_total{model_name="${model}",model_version="${version}",` +
                `model_role="${role}",outcome="${outcome}",edge="${instance}"} ${v}`,
            );
          }
        }
      }
    }
    return new Response(lines.join("\n") + "\n", {
      headers: { "content-type": "text/plain; version=0.0.4" },
    });
  });
  return { server, target: `127.0.0.1:${server.addr.port}` };
}

/** A registry with `model` versions 1 (champion) and 2 (challenger) of the tiny bundle. */
async function registry(mlruns: string, model: string) {
  const store = openStore(mlruns);
  const exp = await store.createExperiment(model);
  for (const [i, accuracy] of [0.7, 0.8].entries()) {
    const runId = await logTinyModelRun(store, exp, accuracy);
    const r = await mlops(
      "promote",
      "--tracking-uri",
      mlruns,
      "--run",
      runId,
      "--model",
      model,
      "--alias",
      i === 0 ? "champion" : "challenger",
      "--out",
      join(mlruns, "..", `out-${i}`),
    );
    assert.equal(r.code, 0, r.stderr);
  }
  return store;
}

Deno.test(needs(["prometheus"], {
  name: "promote --live: reads the comparison from the real Prometheus and gates on it",
  async fn() {
    const exporter = startExporter();
    await using prom = await startPrometheus(
      [
        "global: { scrape_interval: 500ms, evaluation_interval: 500ms }",
        "scrape_configs:",
        "  - job_name: edge",
        "    scrape_interval: 500ms",
        "    scrape_timeout: 400ms",
        `    static_configs: [{ targets: ["${exporter.target}"] }]`,
      ].join("\n"),
      {},
    );
    try {
      // Until Prometheus holds every counter at its total, from a zero on.
      const stored = async () => {
        const q = "min(count_over_time(mlops_feedback_total[1h])) and " +
          "min(min_over_time(mlops_feedback_total[1h])) == 0";
        const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = await res.json();
        return Number(body.data?.result?.[0]?.value?.[1] ?? 0);
      };
      const deadline = Date.now() + 60_000;
      while (await stored() < 8 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(await stored() >= 8, "Prometheus did not store 8 samples of the exporter");
      const mlruns = join(tmp, "mlruns");
      for (const m of Object.keys(FEEDBACK)) await registry(mlruns, m);
      const store = openStore(mlruns);
      const live = async (model: string, ...args: string[]) => {
        const r = await mlops(
          "promote",
          "--live",
          "--model",
          model,
          "--tracking-uri",
          mlruns,
          "--prometheus-url",
          prom.url,
          "--out",
          join(tmp, `edge-${model}`),
          ...args,
        );
        return { ...r, json: args.includes("--json") && r.stdout ? JSON.parse(r.stdout) : null };
      };

      // Dry run: the table, the verdict, and nothing changes.
      const dry = await live("churn", "--dry-run");
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^champion\s+1\s+(\d+)\s+(\d+)\s+0\.[67]\d{3}\s+\[0\.\d{4}, 0\.\d{4}\]$/m,
      );
      assert.match(
        dry.stdout,
        /^challenger\s+2\s+\d+\s+\d+\s+0\.[78]\d{3}\s+\[0\.\d{4}, 0\.\d{4}\]$/m,
      );
      assert.match(dry.stdout, /^difference\s+\+0\.\d{4}\s+\[\+0\.\d{4}, \+0\.\d{4}\]$/m);
      assert.match(dry.stdout, /would move churn@champion to version 2/);
      assert.equal((await store.getModelVersionByAlias("churn", "champion")).version, "1");

      // JSON: counts summed over both edge instances, and the interval they give.
      const j = (await live("churn", "--dry-run", "--json")).json;
      for (
        const [side, [correct, incorrect]] of [["champion", FEEDBACK.churn["1"]], [
          "challenger",
          FEEDBACK.churn["2"],
        ]] as const
      ) {
        const s = j[side];
        // increase() extrapolates to the end of the window: a little over, never under.
        assert.ok(s.correct >= correct && s.correct <= correct * 1.5, `${side} ${s.correct}`);
        assert.ok(s.incorrect >= incorrect && s.incorrect <= incorrect * 1.5);
        assert.equal(s.feedback, s.correct + s.incorrect);
        assert.equal(s.accuracy, s.correct / s.feedback);
      }
      const again = decideLive(
        { version: "1", correct: j.champion.correct, incorrect: j.champion.incorrect },
        { version: "2", correct: j.challenger.correct, incorrect: j.challenger.incorrect },
        { minFeedback: 200, minDelta: 0, confidence: 0.95 },
      );
      assert.deepEqual(j.difference, again.comparison.difference);
      assert.ok(j.difference.lower > 0.05, "0.8 vs 0.7 on 1,000 each is clearly better");
      assert.equal(j.would_promote, true);

      // A demand above the lower bound: refused with the gate's exit code.
      const greedy = await live("churn", "--min-delta", String(j.difference.lower + 0.01));
      assert.equal(greedy.code, GATE_EXIT_CODE, greedy.stderr);
      assert.match(greedy.stderr, /^mlops: not promoted: .*lower bound is not above --min-delta/);

      // The real thing: champion moves, the version records why, the bundle follows.
      const out = join(tmp, "edge-churn");
      const done = await live("churn", "--json", "--reason", "won in shadow");
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.json.status, "promoted");
      assert.equal(done.json.version, "2");
      assert.equal(done.json.previous_version, "1");
      const champion = await store.getModelVersionByAlias("churn", "champion");
      assert.equal(champion.version, "2");
      assert.equal(champion.tags[PROMOTE_TAGS.gate], "live");
      assert.equal(champion.tags[PROMOTE_TAGS.previous], "1");
      assert.match(champion.tags[PROMOTE_TAGS.reason], /^won in shadow \(challenger version 2/);
      // The CLI has the gate name options by its flags, in the record too.
      assert.match(champion.tags[PROMOTE_TAGS.reason], /lower bound is above --min-delta 0\)$/);
      assert.equal(Number(champion.tags["mlops.live.feedback"]), done.json.challenger.feedback);
      const bundle = await readBundle(out);
      assert.equal(bundle.version, "2");
      assert.equal(bundle.training.metrics.accuracy, 0.8);
      assert.equal(done.json.checksum.startsWith("sha256:"), true);

      // Again: the challenger is now the champion's version.
      const twice = await live("churn");
      assert.equal(twice.code, 2);
      assert.match(
        twice.stderr,
        /^mlops: churn@challenger is version 2, which is already the champion$/,
      );

      // Too little feedback on the challenger: the gate says how much is needed.
      const few = await live("few");
      assert.equal(few.code, GATE_EXIT_CODE);
      assert.match(
        few.stdout,
        /^challenger\s+2\s+(\d+)/m,
        "the table is printed with the refusal",
      );
      const m = /need ≥ 200 labelled predictions per model, challenger has (\d+)$/.exec(few.stderr);
      assert.ok(m, few.stderr);
      assert.ok(Number(m[1]) >= 50 && Number(m[1]) < 200);
      assert.equal((await store.getModelVersionByAlias("few", "champion")).version, "1");
      // ... unless fewer are asked for.
      const fewer = await live("few", "--min-feedback", "40", "--dry-run", "--json");
      assert.equal(fewer.json.rejected, true, "45/50 vs 300/400: the interval still spans 0");

      // A hair better is not better: the interval spans zero.
      const close = await live("close");
      assert.equal(close.code, GATE_EXIT_CODE);
      assert.match(
        close.stderr,
        /not promoted: challenger version 2 vs champion version 1: accuracy [+-]0\.0\d+, 95% CI \[-0\.\d+, \+0\.\d+\]/,
      );

      // No series for a version: one line, exit 2.
      const ghost = await live("ghost");
      assert.equal(ghost.code, 2);
      assert.match(
        ghost.stderr,
        /^mlops: no mlops_feedback_total series for ghost version 2 \(challenger\) in the last 7d at http:\/\/127\.0\.0\.1:\d+: is the edge serving it/,
      );
      assert.equal(ghost.stderr.split("\n").length, 1);

      // Prometheus unreachable: one line, exit 2.
      const down = await live("few", "--prometheus-url", `http://127.0.0.1:${freePort()}`);
      assert.equal(down.code, 2);
      assert.match(
        down.stderr,
        /^mlops: cannot read live feedback: Prometheus at http:\/\/127\.0\.0\.1:\d+ is down: connection refused$/,
      );
      // Bad input, before anything is read.
      const badWindow = await live("churn", "--window", "7 days");
      assert.match(badWindow.stderr, /^mlops: --window 7 days: expected a Prometheus duration/);
      const clash = await live("churn", "--version", "1");
      assert.match(clash.stderr, /^mlops: --live and --version cannot be combined/);
    } finally {
      await exporter.server.shutdown();
    }
  },
}));

Deno.test("promote --alias challenger exports to edge/model/challenger by default", async () => {
  const dir = join(tmp, "default-out");
  await Deno.mkdir(dir, { recursive: true });
  const store = openStore(join(dir, "mlruns"));
  const exp = await store.createExperiment("churn");
  const champion = await logTinyModelRun(store, exp, 0.7);
  const challenger = await logTinyModelRun(store, exp, 0.8);
  const run = (...args: string[]) =>
    runCommand(MLOPS_ARGV[0], [
      ...MLOPS_ARGV.slice(1),
      "promote",
      "--tracking-uri",
      "mlruns",
      "--model",
      "churn",
      ...args,
    ], { cwd: dir });
  const a = await run("--run", champion);
  assert.equal(a.code, 0, a.stderr);
  const b = await run("--run", challenger, "--alias", "challenger");
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await readBundle(join(dir, "edge/model"))).version, "1");
  const c = await readBundle(join(dir, "edge/model/challenger"));
  assert.equal(c.version, "2");
  assert.equal(c.name, "churn");
  assert.equal((await store.getModelVersionByAlias("churn", "challenger")).version, "2");
  // An alias that would climb out of edge/model is refused before anything changes.
  const bad = await run("--run", challenger, "--alias", "../x");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid alias '\.\.\/x'/);
});

Deno.test("decideLive: table", () => {
  const o = { minFeedback: 100, minDelta: 0, confidence: 0.95 };
  const cases: [string, [number, number], [number, number], Partial<typeof o>, boolean, RegExp][] =
    [
      ["clearly better", [700, 300], [800, 200], {}, true, /lower bound is above minDelta 0$/],
      [
        "tie",
        [800, 200],
        [800, 200],
        {},
        false,
        /accuracy \+0\.0000, 95% CI \[-0\.\d+, \+0\.\d+\]; the lower bound is not above/,
      ],
      ["worse", [800, 200], [700, 300], {}, false, /accuracy -0\.1000/],
      [
        "better but the bound is under min-delta",
        [700, 300],
        [800, 200],
        { minDelta: 0.07 },
        false,
        /not above minDelta 0\.07/,
      ],
      [
        "champion has too little",
        [50, 40],
        [800, 200],
        {},
        false,
        /need ≥ 100 labelled predictions per model, champion has 90$/,
      ],
      [
        "challenger has too little (named first)",
        [50, 40],
        [80, 10],
        {},
        false,
        /challenger has 90$/,
      ],
      ["exactly the minimum counts", [70, 30], [99, 1], {}, true, /above/],
      ["no feedback at all", [0, 0], [0, 0], {}, false, /challenger has 0$/],
      ["99% is stricter than 95%", [760, 240], [800, 200], { confidence: 0.99 }, false, /99% CI/],
      ["... than which 95% passes", [760, 240], [800, 200], {}, true, /95% CI/],
    ];
  for (const [what, [c1, i1], [c2, i2], change, pass, reason] of cases) {
    const g = decideLive(
      { version: "1", correct: c1, incorrect: i1 },
      { version: "2", correct: c2, incorrect: i2 },
      { ...o, ...change },
    );
    assert.equal(g.pass, pass, `${what}: ${g.reason}`);
    assert.match(g.reason, reason, what);
  }
  // The reason names options as the caller spells them: the CLI passes its flags.
  const greedy = decideLive(
    { version: "1", correct: 700, incorrect: 300 },
    { version: "2", correct: 800, incorrect: 200 },
    { ...o, minDelta: 0.07 },
    flagOf,
  );
  assert.match(greedy.reason, /the lower bound is not above --min-delta 0\.07$/);
  assert.throws(
    () =>
      decideLive({ version: "1", correct: 1, incorrect: 1 }, {
        version: "2",
        correct: 1,
        incorrect: 1,
      }, { ...o, confidence: 95 }),
    (e: unknown) => {
      assert.ok(e instanceof OptionError && e.option === "confidence", String(e));
      assert.match(cliMessage(e), /--confidence 95/);
      return true;
    },
  );
});
