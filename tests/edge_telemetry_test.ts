import { strict as assert } from "node:assert";
import { createKeyVerifier, keyIdentity } from "../edge/middleware/api_key.ts";
import { fieldPath } from "../edge/payloads/field_path.ts";
import { redactUrl } from "../edge/serving/load_bundle.ts";
import { ServingModel } from "../edge/serving/serving_model.ts";
import { DriftTracker } from "../edge/telemetry/drift.ts";
import { fanoutMeter, joinableMeter } from "../edge/telemetry/fanout_meter.ts";
import { PullMeter } from "../edge/telemetry/pull_meter.ts";
import { LiveAccuracy } from "../edge/telemetry/live_accuracy.ts";
import { LiveWindow } from "../edge/telemetry/live_window.ts";
import { post, readyEdge } from "./support/edge_harness.ts";
import { parsePrometheusText } from "./support/prometheus_text.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

Deno.test("live window: counts, errors and latency quantiles over the last minute", () => {
  let now = 1_000_000;
  const w = new LiveWindow(60, () => now);
  for (let i = 0; i < 98; i++) w.request(200, 0.001);
  w.request(400, 0.001);
  w.request(503, 0.1);
  w.predictions([0, 1, 1], 2);
  // The current second is still filling: nothing shows yet.
  assert.equal(w.snapshot().requests, 0);
  now += 1000;
  const s = w.snapshot();
  assert.equal(s.requests, 100);
  assert.equal(s.clientErrors, 1);
  assert.equal(s.serverErrors, 1);
  assert.equal(s.errorRate, 0.01);
  assert.ok(Math.abs(s.latencyMs.p50! - 1) < 0.06, `p50 ${s.latencyMs.p50}`);
  assert.ok(Math.abs(s.latencyMs.p99! - 1) < 0.06, `p99 ${s.latencyMs.p99}`);
  assert.deepEqual(s.classCounts, [1, 2]);
  assert.equal(s.series.length, 60);
  assert.deepEqual(s.series.at(-1), [100, 2]);
  now += 60_000;
  const later = w.snapshot();
  assert.equal(later.requests, 0);
  assert.equal(later.latencyMs.p50, null);
  assert.deepEqual(later.classCounts, [0, 0]);
});

Deno.test("live accuracy: a sliding window of outcomes", () => {
  const acc = new LiveAccuracy(3);
  assert.equal(acc.snapshot().accuracy, null);
  for (const c of [true, true, false]) acc.add(c);
  assert.equal(acc.snapshot().accuracy, 2 / 3);
  acc.add(false); // evicts the first `true`
  acc.add(false);
  assert.deepEqual(acc.snapshot(), { window: 3, n: 3, correct: 0, accuracy: 0 });
});

Deno.test("drift: PSI is ~0 for training-like traffic, large for shifted, withheld on few samples", () => {
  const b = tinyBundle();
  const model = new ServingModel(b);
  const drift = new DriftTracker(b.schema, b.featureStats, 400);
  const feed = (rows: { x: unknown; color: unknown }[]) => {
    const scored = model.predict(rows, (i) => `[${i}]`);
    assert.ok(scored.ok);
    drift.observe(scored.value);
  };
  // Bins (-inf,3], (3,5], (5,7], (7,inf): 25% each, like training. Every bin
  // is exported from the start, at zero.
  assert.deepEqual(
    drift.binTallies().map((t) => [t.attrs.feature, t.attrs.bin, t.n, t.expected]),
    [["x", "0", 0, 0.25], ["x", "1", 0, 0.25], ["x", "2", 0, 0.25], ["x", "3", 0, 0.25], [
      "color",
      "0",
      0,
      0.5,
    ], ["color", "1", 0, 0.5]],
  );
  const like = [2, 4, 6, 8].flatMap((x) => [
    { x, color: "blue" },
    { x, color: "red" },
  ]);
  // 8 rows, far below 30 per bin: no PSI, however the few values fall.
  feed(like);
  for (const d of drift.snapshot()) {
    assert.equal(d.psi, null, d.name);
    assert.equal(d.n, 8);
  }
  assert.deepEqual(drift.snapshot().map((d) => d.minSamples), [300, 300]);
  for (let i = 0; i < 37; i++) feed(like); // 304 rows
  for (const d of drift.snapshot()) assert.ok(d.psi! < 1e-9, `${d.name} ${d.psi}`);

  // Fill the window with shifted traffic (numeric strings count as parsed);
  // missing and unseen values do not count.
  feed(Array.from({ length: 400 }, () => ({ x: "9", color: "red" })));
  feed([{ x: null, color: "green" }]);
  const [x, color] = drift.snapshot();
  assert.equal(x.n, 399);
  assert.equal(color.n, 399);
  assert.ok(x.psi! > 2, `x ${x.psi}`);
  assert.ok(color.psi! > 2, `color ${color.psi}`);
  // The cumulative counters keep everything, window or not.
  const bins = Object.fromEntries(
    drift.binTallies().map((t) => [`${t.attrs.feature}/${t.attrs.bin}`, t.n]),
  );
  assert.deepEqual(bins, {
    "x/0": 76,
    "x/1": 76,
    "x/2": 76,
    "x/3": 476,
    "color/0": 152,
    "color/1": 552,
  });
});

Deno.test("drift: features without training stats are skipped", () => {
  const b = tinyBundle();
  const drift = new DriftTracker(b.schema, [], 10);
  drift.observe({ n: 1, encoded: [1, 0], categories: [-1, 1] });
  assert.deepEqual(drift.snapshot(), []);
});

Deno.test("live accuracy: a key already in the window is a replay, until it leaves", () => {
  const acc = new LiveAccuracy(3);
  assert.equal(acc.add(false, 7), true);
  assert.equal(acc.add(false, 7), false);
  assert.equal(acc.add(true), true);
  assert.equal(acc.add(true), true);
  assert.deepEqual([acc.snapshot().n, acc.snapshot().correct], [3, 2]);
  assert.equal(acc.add(false, 7), false); // still in the window
  assert.equal(acc.add(true, 8), true); // evicts the first, and key 7 with it
  assert.equal(acc.add(false, 7), true);
  assert.deepEqual([acc.snapshot().n, acc.snapshot().correct], [3, 2]);
});

Deno.test("fanout meter: one instrument records into every meter, joined ones included", async () => {
  const meters = [new PullMeter(), new PullMeter(), new PullMeter()];
  const meter = joinableMeter(meters[0]);
  meter.join(meters[1]);
  const counter = meter.createCounter("c_total");
  counter.add(2, { k: "v" });
  meter.createHistogram("h", { advice: { explicitBucketBoundaries: [1] } }).record(0.5);
  meter.createObservableGauge("g").addCallback((o) => o.observe(7));
  const g2 = meter.createObservableGauge("g2");
  meter.addBatchObservableCallback((o) => o.observe(g2, 3), [g2]);
  meter.join(meters[2]); // after the instruments: they are created there too
  counter.add(1, { k: "v" });
  const texts = await Promise.all(meters.map((m) => m.render()));
  for (const [i, text] of texts.entries()) {
    const families = parsePrometheusText(text);
    // The late meter saw only what came after it joined.
    assert.equal(families.get("c_total")?.samples[0].value, i < 2 ? 3 : 1);
    assert.equal(families.get("g")?.samples[0].value, 7);
    assert.equal(families.get("g2")?.samples[0].value, 3);
    assert.equal(families.has("h"), i < 2);
  }
  const single = new PullMeter();
  assert.equal(fanoutMeter([single]), single);
});

Deno.test("pull meter: Prometheus text with cumulative buckets, escaped labels, no empty families", async () => {
  const meter = new PullMeter();
  const h = meter.createHistogram("lat_seconds", {
    description: "Latency.\nSecond line.",
    advice: { explicitBucketBoundaries: [0.1, 1] },
  });
  const attrs = { route: '/a"b\\c' };
  h.record(0.05, attrs);
  h.record(0.5, attrs);
  h.record(5, { route: '/a"b\\c' }); // another object, same labels: same series
  meter.createCounter("never_total"); // no point: not rendered
  meter.createObservableCounter("obs_total").addCallback(async (o) => {
    await Promise.resolve();
    o.observe(4, { "service.instance.id": "x" });
  });
  const text = await meter.render();
  const families = parsePrometheusText(text);
  assert.equal(families.has("never_total"), false);
  const lat = families.get("lat_seconds")!;
  assert.equal(lat.type, "histogram");
  const bucket = (le: string) =>
    lat.samples.find((s) => s.name === "lat_seconds_bucket" && s.labels.le === le)?.value;
  assert.deepEqual([bucket("0.1"), bucket("1"), bucket("+Inf")], [1, 2, 3]);
  assert.equal(lat.samples.find((s) => s.name === "lat_seconds_sum")?.value, 5.55);
  assert.equal(lat.samples[0].labels.route, '/a"b\\c');
  assert.match(text, /# HELP lat_seconds Latency\.\\nSecond line\./);
  assert.equal(families.get("obs_total")?.samples[0].labels.service_instance_id, "x");
});

Deno.test("pull meter: one series per label set, written in the order its labels were given", async () => {
  const meter = new PullMeter();
  const c = meter.createCounter("hits_total");
  c.add(1, { model_name: "m", model_version: "7", model_role: "champion" });
  c.add(2, { model_role: "champion", model_name: "m", model_version: "7" });
  c.add(4, { model_name: "m", model_version: "8", model_role: "challenger" });
  const text = await meter.render();
  const hits = text.split("\n").filter((l) => l.startsWith("hits_total"));
  assert.deepEqual(hits, [
    'hits_total{model_name="m",model_version="7",model_role="champion"} 3',
    'hits_total{model_name="m",model_version="8",model_role="challenger"} 4',
  ]);
});

Deno.test("api keys: verifier names the configured key that matched, and nothing else", () => {
  const verify = createKeyVerifier(["alpha", "beta="]);
  assert.equal(verify("alpha"), keyIdentity("alpha"));
  assert.equal(verify("beta="), keyIdentity("beta="));
  assert.notEqual(keyIdentity("alpha"), keyIdentity("beta="));
  assert.match(keyIdentity("alpha"), /^key:[0-9a-f]{16}$/);
  for (const wrong of ["alph", "alphaa", "alpha\0", "bet", ""]) assert.equal(verify(wrong), null);
});

Deno.test("helpers: field paths and URL redaction", () => {
  assert.equal(fieldPath(fieldPath("instances", 3), "tenure"), "instances[3].tenure");
  assert.equal(fieldPath("", "Monthly Charges"), '["Monthly Charges"]');
  assert.equal(fieldPath("", "x"), "x");
  assert.equal(
    redactUrl("https://user:pw@models.example/a/m.json?sig=SECRET"),
    "https://models.example/a/m.json?…",
  );
  assert.equal(redactUrl("nope"), "<invalid url>");
});

Deno.test("metrics: /metrics is valid Prometheus text with the documented names", async () => {
  await using edge = await readyEdge();
  await (await post(edge, "/v1/predict", {
    instances: [{ x: 1, color: "red" }, { x: 8, color: "?" }],
  }))
    .body?.cancel();
  await (await post(edge, "/v1/predict", "{")).body?.cancel();
  const p = await post(edge, "/v1/predict", { x: 1, color: "blue" });
  const { prediction_id } = await p.json();
  await (await post(edge, "/v1/feedback", { prediction_id, actual: "no" })).body?.cancel();

  const res = await edge.app.request("/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  const families = parsePrometheusText(text);
  const expected: Record<string, string> = {
    mlops_http_requests_total: "counter",
    mlops_http_request_duration_seconds: "histogram",
    mlops_http_requests_in_flight: "gauge",
    mlops_predictions_total: "counter",
    mlops_prediction_probability: "histogram",
    mlops_prediction_batch_size: "histogram",
    mlops_validation_failures_total: "counter",
    mlops_unknown_categories_total: "counter",
    mlops_feedback_total: "counter",
    mlops_model_info: "gauge",
    mlops_model_ready: "gauge",
    mlops_feedback_label_lag_seconds: "histogram",
    mlops_feature_bin_total: "counter",
    mlops_feature_bin_expected_ratio: "gauge",
    mlops_class_expected_ratio: "gauge",
    mlops_process_start_time_seconds: "gauge",
    mlops_startup_duration_seconds: "gauge",
    mlops_process_resident_memory_bytes: "gauge",
    mlops_process_heap_used_bytes: "gauge",
  };
  for (const [name, type] of Object.entries(expected)) {
    assert.equal(families.get(name)?.type, type, name);
    assert.ok(families.get(name)!.help.length > 0, `${name} has help`);
  }
  const info = families.get("mlops_model_info")!.samples[0];
  assert.deepEqual(info.labels, {
    name: "tiny",
    version: "7",
    trained_at: "2025-01-01T00:00:00.000Z",
    promoted_at: "2025-01-02T00:00:00.000Z",
    model_role: "champion",
  });
  const batch = families.get("mlops_prediction_batch_size")!.samples;
  assert.equal(batch.find((s) => s.name.endsWith("_count"))?.value, 2);
  const reqs = families.get("mlops_http_requests_total")!.samples;
  assert.ok(reqs.some((s) => s.labels.route === "/v1/predict" && s.labels.status === "400"));
  // Every bin of every feature, counted; the first request's unseen "?" is not.
  const bins = families.get("mlops_feature_bin_total")!.samples;
  assert.deepEqual(
    bins.map((s) => `${s.labels.feature}/${s.labels.bin}=${s.value}`).sort(),
    ["color/0=1", "color/1=1", "x/0=2", "x/1=0", "x/2=0", "x/3=1"],
  );
  assert.equal(families.get("mlops_feature_bin_expected_ratio")!.samples.length, 6);
  assert.deepEqual(
    families.get("mlops_class_expected_ratio")!.samples.map((s) => [s.labels.class, s.value]),
    [["no", 0.5], ["yes", 0.5]],
  );
  // Both outcomes from the start: accuracy reads "0 of n", never nothing.
  assert.deepEqual(
    families.get("mlops_feedback_total")!.samples.map((s) => [s.labels.outcome, s.value]),
    [["correct", 1], ["incorrect", 0]],
  );

  if (await exists("/usr/bin/promtool")) {
    const child = new Deno.Command("/usr/bin/promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(text));
    await w.close();
    const out = await child.output();
    const msg = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    assert.ok(out.success, `promtool check metrics:\n${msg}`);
  } else {
    console.log("promtool not installed; checked with the built-in parser only");
  }
});

Deno.test("metrics: the lag probe reports when started and stops on dispose", async () => {
  await using edge = await readyEdge();
  edge.monitor.startLagProbe(10);
  await new Promise((r) => setTimeout(r, 40));
  const text = await (await edge.app.request("/metrics")).text();
  assert.match(text, /^mlops_event_loop_lag_seconds \d/m);
  edge.monitor[Symbol.dispose]();
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
