/**
 * The whole champion/challenger loop with real parts, as a user runs it
 * (issue 16 item 2): two models trained by the CLI on the bundled Telco data
 * into one SQLite tracking store; one promoted champion, the other
 * `--alias challenger`; the real edge (`edge/main.ts`, as `deno task serve`)
 * serving both, the challenger in shadow; the real Prometheus scraping it;
 * predictions and feedback with the dataset's true labels by signed
 * prediction id; then `mlops promote --live` reading Prometheus, whose
 * counts, accuracies and decision must be exactly what the feedback implies.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { GATE_EXIT_CODE } from "../cli/commands/promote.ts";
import { readCsvFile } from "../lib/data/mod.ts";
import { openStore } from "../lib/mlflow/mod.ts";
import { predictTable, readBundle } from "../lib/model/mod.ts";
import { decideLive, PROMOTE_TAGS } from "../lib/registry/mod.ts";
import { mlops } from "./support/cli.ts";
import { fetchWithin, startEdgeProcess } from "./support/edge_process.ts";
import { promQuery, startPrometheus, until } from "./support/monitoring_parts.ts";
import { needs } from "./support/parts.ts";
import { moduleTempDir } from "./support/temp.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const MODEL = "telco-customer-churn";
/** Labelled predictions sent; each judges both models (the challenger is in shadow). */
const LABELS = 40;
const MIN_FEEDBACK = 30;
const tmp = await moduleTempDir("mlops-challenger-e2e-");

Deno.test(needs(["prometheus"], {
  name: "champion/challenger end to end: CLI, edge in shadow, feedback, Prometheus, promote --live",
  async fn() {
    const t0 = performance.now();
    const tracking = `sqlite:///${join(tmp, "mlflow.db")}`;
    const edgeDir = join(tmp, "edge", "model");
    const cli = async (...args: string[]) => {
      const r = await mlops(...args, "--tracking-uri", tracking);
      return { ...r, json: args.includes("--json") && r.stdout ? JSON.parse(r.stdout) : null };
    };

    // Two models of the same data, far enough apart for 40 labels to tell: a
    // champion of class-balanced stumps, and a deep challenger trained on 98%
    // of the rows, which it has all but memorised — and the traffic below is
    // those rows.
    const champion = await cli(
      "train",
      ...["--trees", "5", "--max-depth", "1", "--class-weight", "balanced", "--workers", "2"],
      ...["--out", join(tmp, "champion"), "--json"],
    );
    assert.equal(champion.code, 0, champion.stderr);
    const challenger = await cli(
      "train",
      ...["--trees", "30", "--seed", "7", "--test-size", "0.02", "--workers", "2"],
      ...["--out", join(tmp, "challenger"), "--json"],
    );
    assert.equal(challenger.code, 0, challenger.stderr);
    assert.deepEqual(
      [champion.json.registered_model, challenger.json.registered_model],
      [{ name: MODEL, version: "1" }, { name: MODEL, version: "2" }],
    );
    const promoted = await cli(
      "promote",
      ...["--run", champion.json.run_id, "--model", MODEL, "--out", edgeDir, "--json"],
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    const staged = await cli(
      "promote",
      ...["--run", challenger.json.run_id, "--model", MODEL, "--alias", "challenger"],
      ...["--out", join(edgeDir, "challenger"), "--json"],
    );
    assert.equal(staged.code, 0, staged.stderr);
    const store = openStore(tracking);
    const alias = async (a: string) => (await store.getModelVersionByAlias(MODEL, a)).version;
    assert.deepEqual([await alias("champion"), await alias("challenger")], ["1", "2"]);
    const bundles = [await readBundle(edgeDir), await readBundle(join(edgeDir, "challenger"))];
    assert.deepEqual(bundles.map((b) => b.version), ["1", "2"]);

    // The traffic: rows of the dataset, their true labels, and what each model
    // answers them, computed here from the exported bundles, not by the edge.
    const table = await readCsvFile(join(ROOT, "data/telco-customer-churn.csv"));
    const col = (name: string) => table.header.indexOf(name);
    const usable = table.rows.filter((r) => r[col("TotalCharges")].trim() !== "");
    const rows = Array.from(
      { length: LABELS },
      (_, i) => usable[Math.floor(i * usable.length / LABELS)],
    );
    const sent = { ...table, rows };
    const [byChampion, byChallenger] = bundles.map((b) => predictTable(b, sent).labels);
    const truth = rows.map((r) => r[col("Churn")]);
    const count = (labels: string[]) => {
      const correct = labels.filter((l, i) => l === truth[i]).length;
      return { correct, incorrect: LABELS - correct };
    };
    const expected = { "1": count(byChampion), "2": count(byChallenger) };
    const gate = { minFeedback: MIN_FEEDBACK, minDelta: 0, confidence: 0.95 };
    const verdict = decideLive(
      { version: "1", ...expected["1"] },
      { version: "2", ...expected["2"] },
      gate,
    );
    // The scenario must give the gate something to decide.
    assert.ok(verdict.pass, `the challenger should clearly win: ${verdict.reason}`);

    await using edge = await startEdgeProcess({
      MODEL_PATH: edgeDir,
      CHALLENGER_MODEL_PATH: join(edgeDir, "challenger"),
      CHALLENGER_MODE: "shadow",
    });
    const http = async (path: string, body?: unknown) => {
      const res = await fetchWithin(`${edge.url}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    await until("the edge serving both models", 20_000, async () => {
      const r = (await http("/readyz")).json;
      return r.status === "ready" && r.challenger?.status === "ready";
    });
    assert.match(edge.output(), /challenger telco-customer-churn 2 from .*, in shadow/);

    await using prom = await startPrometheus(
      [
        "global: { scrape_interval: 100ms, evaluation_interval: 1s }",
        "scrape_configs:",
        "  - job_name: mlops-edge",
        "    scrape_interval: 100ms",
        "    scrape_timeout: 100ms",
        `    static_configs: [{ targets: ["${new URL(edge.url).host}"] }]`,
      ].join("\n"),
      {},
    );
    const values = async (expr: string) => {
      const r = await promQuery(prom.url, expr);
      if (!r.ok) throw new Error(`${expr}: ${r.error}`);
      return r.result;
    };
    const selector = `mlops_feedback_total{model_name="${MODEL}"}`;
    // Each series' first sample must be its zero: increase() only sees what
    // came after the first sample.
    await until(
      "both models' feedback counters at zero in Prometheus",
      20_000,
      async () => (await values(`count(${selector} == 0)`))[0]?.value[1] === "4",
    );

    for (const [i, row] of rows.entries()) {
      const features = Object.fromEntries(
        table.header.map((h, j) => [h, row[j]]).filter(([h]) => h !== "Churn"),
      );
      const p = await http("/v1/predict", features);
      assert.equal(p.status, 200, JSON.stringify(p.json));
      assert.equal(p.json.label, byChampion[i], `row ${i}: the client gets the champion's answer`);
      assert.deepEqual(p.json.model, { name: MODEL, version: "1" });
      const f = await http("/v1/feedback", {
        prediction_id: p.json.prediction_id,
        actual: truth[i],
      });
      assert.equal(f.status, 200, JSON.stringify(f.json));
      assert.deepEqual(
        f.json.answers.map((a: { model: { version: string }; predicted: string }) => [
          a.model.version,
          a.predicted,
        ]),
        [["1", byChampion[i]], ["2", byChallenger[i]]],
        `row ${i}: the id carried the shadow's answer`,
      );
    }

    // Prometheus holds the totals, over enough samples that the CLI's rounding
    // absorbs increase()'s extrapolation: from a first sample of zero it adds
    // nothing before the series, and after its last sample it extrapolates to
    // "now" by at most 1.1 mean scrape intervals, a share 1.1 / (samples - 1)
    // of each count: under 0.37 of a label with 3 * count + 1 intervals.
    const most = Math.max(...Object.values(expected).flatMap((c) => [c.correct, c.incorrect]));
    const samples = 3 * most + 2;
    await until(`the feedback in Prometheus over ${samples} samples`, 30_000, async () => {
      const totals = await values(`sum by (model_version, outcome) (${selector})`);
      const got = Object.fromEntries(
        totals.map((s) => [`${s.metric.model_version}/${s.metric.outcome}`, Number(s.value[1])]),
      );
      const n = await values(`min(count_over_time(${selector}[1h]))`);
      return Object.entries(expected).every(([v, c]) =>
        got[`${v}/correct`] === c.correct && got[`${v}/incorrect`] === c.incorrect
      ) && Number(n[0]?.value[1] ?? 0) >= samples;
    });

    const live = (...args: string[]) =>
      cli(
        "promote",
        ...["--live", "--model", MODEL, "--prometheus-url", prom.url, "--out", edgeDir],
        ...args,
      );
    // Asking for more feedback than was given: refused, nothing moves.
    const few = await live("--min-feedback", String(LABELS + 1));
    assert.equal(few.code, GATE_EXIT_CODE, few.stderr);
    assert.match(
      few.stderr,
      new RegExp(`need ≥ ${LABELS + 1} labelled predictions per model, challenger has ${LABELS}$`),
    );
    // Asking for a lower bound above the one the feedback gives: refused too.
    const d = verdict.comparison.difference!;
    const greedy = await live(
      ...["--min-feedback", String(MIN_FEEDBACK), "--min-delta", String(d.lower + 0.001)],
    );
    assert.equal(greedy.code, GATE_EXIT_CODE, greedy.stderr);
    assert.match(greedy.stderr, /lower bound is not above --min-delta/);
    assert.equal(await alias("champion"), "1");
    assert.equal((await readBundle(edgeDir)).version, "1");

    // The gate as the feedback implies: the challenger wins, champion moves.
    const done = await live("--min-feedback", String(MIN_FEEDBACK), "--json", "--reason", "e2e");
    assert.equal(done.code, 0, done.stderr);
    const j = done.json;
    assert.equal(j.status, "promoted");
    for (const [side, version] of [["champion", "1"], ["challenger", "2"]] as const) {
      const c = expected[version];
      assert.deepEqual(
        [j[side].version, j[side].correct, j[side].incorrect, j[side].feedback],
        [version, c.correct, c.incorrect, LABELS],
        `${side}: the counts are the feedback sent`,
      );
      assert.equal(j[side].accuracy, c.correct / LABELS);
      assert.equal(j[side].accuracy, verdict.comparison[side].accuracy!.estimate);
    }
    assert.deepEqual(j.difference, d);
    assert.equal(j.min_feedback, MIN_FEEDBACK);
    assert.equal(await alias("champion"), "2");
    const version = await store.getModelVersionByAlias(MODEL, "champion");
    assert.equal(version.tags[PROMOTE_TAGS.gate], "live");
    assert.equal(version.tags["mlops.live.feedback"], String(LABELS));
    const exported = await readBundle(edgeDir);
    assert.equal(exported.version, "2");
    const file = JSON.parse(await Deno.readTextFile(j.bundle_file));
    assert.equal(j.checksum, file.checksum, "the bundle the edge will load next");

    const seconds = (performance.now() - t0) / 1000;
    console.log(`champion/challenger loop: ${seconds.toFixed(1)} s`);
    assert.ok(seconds < 60, `took ${seconds} s`);
  },
}));
