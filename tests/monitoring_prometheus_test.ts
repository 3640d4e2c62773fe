/**
 * Every query proven on real data: Prometheus (Debian's) scrapes a real edge
 * serving the Telco model and a real bot, evaluates the shipped rules every
 * second, while a traffic generator sends good and bad requests, feedback,
 * unknown categories, training rows and then shifted rows, and 503s from a
 * second edge that has no model (an honest 5xx path). Then, through
 * Prometheus' HTTP API:
 *
 * - every dashboard panel query, every recording rule and every query of the
 *   public status page returns data;
 * - every alert expression evaluates, and every selector in it has data;
 * - ratios read 0 (not empty) while nothing failed;
 * - FeatureDrift is quiet on training rows, and fires on shifted rows;
 * - the public status page, pointed at this Prometheus and Alertmanager,
 *   reports the whole job: availability, latency, accuracy, the alerting
 *   heartbeat, and the drift as an ongoing incident.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { createEdge } from "../edge/edge.ts";
import { readCsvFile } from "../lib/data/mod.ts";
import { readBundle } from "../lib/model/mod.ts";
import { rng } from "../lib/rng.ts";
import { statusQueries } from "../edge/status/queries.ts";
import { renderDashboards, vectorSelectors } from "../monitoring/dashboards/mod.ts";
import { notification, postAlerts, startBot, startEmulator } from "./support/bot_harness.ts";
import { startAlertmanagerFor } from "./support/bot_monitoring.ts";
import { testConfig } from "./support/edge_harness.ts";
import {
  freePort,
  promQuery,
  shippedPrometheusFiles,
  startPrometheus,
  until,
} from "./support/monitoring_parts.ts";
import { needs } from "./support/parts.ts";
import { trainedModel } from "./support/trained_model.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

type Rule = { record?: string; alert?: string; expr: string };

async function shippedRules(): Promise<Rule[]> {
  const out: Rule[] = [];
  for (const f of ["mlops.rules.yml", "bot.rules.yml"]) {
    const doc = parse(await Deno.readTextFile(`${ROOT}monitoring/rules/${f}`)) as {
      groups: { rules: Rule[] }[];
    };
    out.push(...doc.groups.flatMap((g) => g.rules));
  }
  return out;
}

/** Dashboard queries with Grafana's variables as Grafana would send them ("All"). */
function dashboardQueries(): { panel: string; expr: string }[] {
  return Object.values(renderDashboards()).flatMap((json) =>
    (JSON.parse(json).panels as { title: string; targets?: { expr: string }[] }[])
      .flatMap((p) =>
        (p.targets ?? []).map((t) => ({
          panel: p.title,
          expr: t.expr.replaceAll("$__rate_interval", "15s").replaceAll("$job", ".+")
            .replaceAll("$instance", ".+"),
        }))
      )
  );
}

Deno.test(needs(["prometheus", "alertmanager"], {
  name:
    "prometheus: every dashboard query and rule has data on a loaded edge; ratios are 0; drift quiet on training rows, firing on shifted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { modelDir, csv } = await trainedModel();
    const bundle = await readBundle(modelDir);
    bundle.version = "4";
    const table = await readCsvFile(csv);
    const rows = table.rows.map((r) => Object.fromEntries(table.header.map((h, j) => [h, r[j]])));
    const rand = rng(12);
    const sample = () => ({ ...rows[Math.floor(rand() * rows.length)] });

    const ports = { prom: freePort(), am: freePort() };
    // A shadow challenger beside the champion: the model series come in two
    // roles, and every per-model rule and compare panel must have data.
    await using a = createEdge(testConfig({
      prometheusUrl: `http://127.0.0.1:${ports.prom}`,
      alertmanagerUrl: `http://127.0.0.1:${ports.am}`,
      statusCacheSeconds: 0,
      challenger: { model: { kind: "path", path: "/nonexistent" }, mode: "shadow", share: 0.1 },
    }));
    assert.equal((await a.load(bundle)).status, "ready");
    assert.equal((await a.loadChallenger({ ...bundle, version: "5" })).status, "ready");
    a.monitor.startLagProbe(200);
    await using b = createEdge(testConfig()); // no model: /v1/predict answers 503
    assert.equal((await b.load()).status, "failed");
    const serve = (h: Deno.ServeHandler) =>
      Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, h);
    const serverA = serve(a.app.fetch), serverB = serve(b.app.fetch);
    const A = `127.0.0.1:${serverA.addr.port}`, B = `127.0.0.1:${serverB.addr.port}`;

    await using emu = await startEmulator();
    await using bot = await startBot(emu);
    const t0 = Date.now();
    await using _am = await startAlertmanagerFor(bot.url, { port: ports.am });
    const { config, files } = await shippedPrometheusFiles({
      targets: { "mlops-edge": [A], "mlops-bot": [new URL(bot.url).host] },
      alertmanager: `127.0.0.1:${ports.am}`,
      forOverrides: { FeatureDrift: "0s" },
    });
    // Firing alerts are resent every second, not every minute: the first
    // Watchdog may go out before Prometheus has found Alertmanager.
    await using prom = await startPrometheus(config, files, ports.prom, undefined, [
      "--rules.alert.resend-delay=1s",
    ]);
    const query = (e: string) => promQuery(prom.url, e);
    const values = async (e: string) => {
      const r = await query(e);
      if (!r.ok) throw new Error(`${e}: ${r.error}`);
      return r.result.map((s) => Number(s.value[1]));
    };

    const post = async (host: string, path: string, body: unknown) => {
      const res = await fetch(`http://${host}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };

    try {
      // ---- Phase 1: a healthy, loaded service on training-distribution traffic.
      // Prometheus sees the counters before the traffic, as it does a running
      // service (a series' first sample is never counted by rate/increase).
      await until("the first scrapes", 15_000, async () => (await values("sum(up)"))[0] === 2);
      // Steady traffic over several scrapes (a new series' first sample is
      // its baseline, as in any Prometheus), then a pause for the rules.
      await postAlerts(bot.url, notification([{ name: "HighLatencyP99" }]));
      for (let i = 0; i < 36; i++) {
        await post(A, "/v1/predict", { instances: Array.from({ length: 20 }, sample) });
        const row = sample();
        const p = await post(A, "/v1/predict", row);
        assert.equal(p.status, 200);
        await post(A, "/v1/feedback", { prediction_id: p.json.prediction_id, actual: row.Churn });
        if (i % 3 === 0) {
          const other = sample();
          await post(A, "/v1/feedback", { features: other, actual: other.Churn });
          await post(A, "/invocations", { dataframe_records: [sample(), sample()] });
        }
        if (i % 4 === 0) {
          await post(A, "/v1/predict", "{oops");
          await post(A, "/v1/predict", { ...sample(), tenure: "0x10" });
          await post(A, "/v1/predict", { ...sample(), PaymentMethod: "Crypto" });
        }
        await new Promise((r) => setTimeout(r, 120));
      }
      await until(
        "two scrapes after the traffic",
        15_000,
        async () =>
          (await values('sum(mlops_predictions_total{job="mlops-edge", model_role="champion"})'))[
              0
            ] >= 730 &&
          (await values("count_over_time(up[1m])"))[0] > 3,
      );
      await new Promise((r) => setTimeout(r, 2500)); // a few more evaluations

      // Ratios are 0, not empty, while nothing failed.
      assert.deepEqual(await values("job:mlops_http_errors:ratio_rate5m"), [0]);
      for (const q of dashboardQueries().filter((q) => q.panel === "5xx ratio")) {
        assert.deepEqual(await values(q.expr), [0], q.expr);
      }

      // Every recording rule has data.
      const rules = await shippedRules();
      const empty: string[] = [];
      for (const r of rules.filter((r) => r.record)) {
        const v = await values(r.record!);
        if (v.length === 0) empty.push(r.record!);
      }
      assert.deepEqual(empty, [], "recording rules without data");

      // Every alert expression evaluates, and every selector in it has data.
      const noData: string[] = [];
      for (const r of rules.filter((r) => r.alert)) {
        const whole = await query(r.expr);
        assert.ok(whole.ok, `${r.alert}: ${!whole.ok && whole.error}`);
        for (const s of vectorSelectors(r.expr)) {
          if ((await values(s)).length === 0) noData.push(`${r.alert}: ${s}`);
        }
      }
      assert.deepEqual(noData, [], "alert selectors without data");

      // Every query of the public status page returns a number.
      for (const [name, expr] of Object.entries(statusQueries("mlops-edge"))) {
        assert.ok((await values(expr)).some(Number.isFinite), `status query ${name}: ${expr}`);
      }

      // Every dashboard query returns a number.
      const blank: string[] = [];
      for (const q of dashboardQueries()) {
        const v = await values(q.expr);
        if (!v.some(Number.isFinite)) blank.push(`${q.panel}: ${q.expr}`);
      }
      assert.deepEqual(blank, [], "dashboard queries without data");

      // Training rows: enough samples to judge, and no drift.
      const samples = await values("min(job_feature:mlops_drift_samples:increase1h)");
      assert.ok(samples[0] >= 300, `samples ${samples}`);
      const psi = await values("max(job_feature:mlops_drift_psi:1h)");
      assert.ok(psi[0] < 0.1, `max PSI on training rows ${psi}`);
      const drift = rules.find((r) => r.alert === "FeatureDrift")!;
      assert.deepEqual(await values(drift.expr), [], "FeatureDrift on training rows");

      // The public status page, from Prometheus and Alertmanager: the whole
      // job, the alerting heartbeat (Watchdog) arriving, nothing wrong.
      const statusOf = async () => await (await fetch(`http://${A}/v1/status`)).json();
      let page = await statusOf();
      await until(
        "the Watchdog in Alertmanager",
        15_000,
        async () => (page = await statusOf()).components[2].state === "operational",
      );
      assert.equal(page.source, "prometheus");
      assert.equal(page.overall, "operational");
      assert.equal(page.availability["24h"], 1);
      assert.equal(page.availability["7d"], 1);
      assert.ok(page.latency_p99_ms["24h"] > 0, JSON.stringify(page.latency_p99_ms));
      assert.ok(page.live_accuracy.value > 0.5 && page.live_accuracy.labels > 0);
      assert.equal(page.live_accuracy.window, "last hour, all instances");
      assert.deepEqual(page.incidents, []);

      // ---- Phase 2: an honest 5xx (an edge without a model) and shifted traffic.
      await Deno.writeTextFile(
        `${prom.dir}/targets/mlops-edge.yml`,
        JSON.stringify([{ targets: [A, B] }]),
      );
      await until(
        "the second edge scraped",
        15_000,
        async () => (await values('count(up{job="mlops-edge"})'))[0] === 2,
      );
      for (let i = 0; i < 60; i++) {
        if (i % 3 === 0) {
          assert.equal((await post(B, "/v1/predict", sample())).status, 503);
        }
        if (i % 6 === 0) await new Promise((r) => setTimeout(r, 100));
        await post(A, "/v1/predict", {
          instances: Array.from({ length: 40 }, () => ({
            ...sample(),
            tenure: "70",
            Contract: "Two year",
            MonthlyCharges: "115",
          })),
        });
      }
      // Each feature's alert goes firing at its own rule evaluation: wait for all
      // three (one seen firing before the others was a flake under load).
      const shifted = ["tenure", "Contract", "MonthlyCharges"];
      const firingFeatures = async () => {
        const r = await query('ALERTS{alertname="FeatureDrift", alertstate="firing"}');
        return new Set(r.ok ? r.result.map((s) => s.metric.feature) : []);
      };
      try {
        await until("FeatureDrift firing on shifted traffic", 30_000, async () => {
          const firing = await firingFeatures();
          return shifted.every((f) => firing.has(f));
        });
      } catch {
        // Name what is missing rather than only that the wait ran out.
      }
      const features = await firingFeatures();
      for (const f of shifted) assert.ok(features.has(f), `FeatureDrift not firing for ${f}`);
      await until(
        "the 503s in the error ratio",
        15_000,
        async () => ((await values("job:mlops_http_errors:ratio_rate5m"))[0] ?? 0) > 0,
      );
      assert.ok(
        (await values(rules.find((r) => r.alert === "ModelNotReady")!.expr)).length === 1,
        "ModelNotReady's expression sees the edge without a model",
      );
      await until(
        "the drift on the status page",
        15_000,
        async () => (page = await statusOf()).components[1].state === "degraded",
      );
      assert.equal(page.overall, "degraded");
      assert.equal(page.components[1].detail, "Input data has drifted");
      const drifted = page.incidents.find((i: { title: string }) =>
        i.title === "Input data has drifted"
      );
      assert.ok(drifted && drifted.ended_at === null, JSON.stringify(page.incidents));
      assert.ok(page.availability["24h"] < 1, `availability ${page.availability["24h"]}`);
      assert.doesNotMatch(JSON.stringify(page), /127\.0\.0\.1|tenure|summary/);
      const took = (Date.now() - t0) / 1000;
      assert.ok(took < 60, `took ${took} s`);
    } finally {
      await serverA.shutdown();
      await serverB.shutdown();
    }
  },
}));
