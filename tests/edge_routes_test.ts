import { strict as assert } from "node:assert";
import { createEdge } from "../edge/edge.ts";
import { UserError } from "../lib/errors.ts";
import { type ModelBundle, serializeBundle } from "../lib/model/mod.ts";
import { post, preflight, readyEdge, testConfig } from "./support/edge_harness.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const BLUE_LOW = { x: 1, color: "blue" }; // → no  [0.8, 0.2]
const RED_HIGH = { x: 9, color: "red" }; // → yes [0.15, 0.85]

function near(actual: number, expected: number, eps = 1e-6): void {
  assert.ok(Math.abs(actual - expected) < eps, `${actual} ≉ ${expected}`);
}

Deno.test("predict: one instance returns label, probabilities, model and an id", async () => {
  await using edge = await readyEdge();
  const res = await post(edge, "/v1/predict", BLUE_LOW);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.label, "no");
  near(body.probabilities.no, 0.8);
  near(body.probabilities.yes, 0.2);
  assert.deepEqual(body.model, { name: "tiny", version: "7" });
  assert.match(body.prediction_id, /^p1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  assert.equal(body.unknown_categories, undefined);
});

Deno.test("predict: a batch returns one prediction per instance, in order", async () => {
  await using edge = await readyEdge();
  const res = await post(edge, "/v1/predict", { instances: [BLUE_LOW, RED_HIGH, BLUE_LOW] });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.model, { name: "tiny", version: "7" });
  assert.deepEqual(body.predictions.map((p: { label: string }) => p.label), ["no", "yes", "no"]);
  near(body.predictions[1].probabilities.yes, 0.85);
  const ids = new Set(body.predictions.map((p: { prediction_id: string }) => p.prediction_id));
  assert.equal(ids.size, 3);
});

Deno.test("predict: a bare JSON array is a batch too", async () => {
  await using edge = await readyEdge();
  const body = await (await post(edge, "/v1/predict", [RED_HIGH])).json();
  assert.equal(body.predictions[0].label, "yes");
});

Deno.test("predict: numeric strings parse, null and empty strings are missing", async () => {
  await using edge = await readyEdge();
  const s = await (await post(edge, "/v1/predict", { x: "9", color: "red" })).json();
  assert.equal(s.label, "yes");
  // Missing x goes left (≤ 5), missing color is "not red": [0.8, 0.2].
  for (const missing of [{ x: null, color: null }, { x: "", color: "" }, { x: " ", color: null }]) {
    const m = await (await post(edge, "/v1/predict", missing)).json();
    assert.equal(m.label, "no", JSON.stringify(missing));
    near(m.probabilities.no, 0.8);
  }
});

Deno.test("predict: fields the model does not use are ignored", async () => {
  await using edge = await readyEdge();
  const res = await post(edge, "/v1/predict", { ...RED_HIGH, id: "c-1", label: "yes", extra: [1] });
  assert.equal(res.status, 200);
});

Deno.test("predict: unknown categories are accepted, reported and counted", async () => {
  await using edge = await readyEdge();
  const body = await (await post(edge, "/v1/predict", { x: 9, color: "green" })).json();
  // Tree 0 says [0.2, 0.8]; unseen color is "not red", [0.7, 0.3].
  assert.equal(body.label, "yes");
  near(body.probabilities.yes, 0.55);
  assert.deepEqual(body.unknown_categories, ["color"]);
  const metrics = await (await edge.app.request("/metrics")).text();
  assert.match(metrics, /^mlops_unknown_categories_total\{feature="color"\} 1$/m);
  const status = await (await edge.app.request("/v1/ops")).json();
  assert.deepEqual(status.unknown_categories, { color: 1 });
});

Deno.test("predict: invalid fields are a 400 listing every offending path", async () => {
  await using edge = await readyEdge();
  // 1e999 overflows to Infinity when parsed, so send it as raw JSON text.
  const res = await post(
    edge,
    "/v1/predict",
    '{"instances": [{"x": "abc", "color": "red"}, {"color": []}, 7, {"x": 1e999, "color": "red"}]}',
  );
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error_code, "INVALID_INPUT");
  assert.deepEqual(body.details.map((d: { path: string }) => d.path), [
    "instances[0].x",
    "instances[1].x",
    "instances[1].color",
    "instances[2]",
    "instances[3].x",
  ]);
  assert.match(body.message, /^instances\[0\]\.x: .*\(and 4 more\)$/);
});

Deno.test("predict: numeric strings are decimal only; hex, binary, octal and Infinity are 400s", async () => {
  await using edge = await readyEdge();
  for (const x of ["0x10", "0b1", "0o7", "Infinity", " 0x9 "]) {
    const res = await post(edge, "/v1/predict", { instances: [RED_HIGH, { x, color: "red" }] });
    assert.equal(res.status, 400, x);
    const body = await res.json();
    assert.equal(body.details[0].path, "instances[1].x", x);
    assert.match(body.message, /decimal/, x);
  }
  const csv = await post(edge, "/invocations", "x,color\n0x10,red\n", {
    "content-type": "text/csv",
  });
  assert.equal(csv.status, 400);
  assert.match((await csv.json()).message, /x: expected a decimal number/);
  for (const x of ["9", "9.0", "+9", "9e0", " 9 "]) {
    const ok = await (await post(edge, "/v1/predict", { x, color: "red" })).json();
    assert.equal(ok.label, "yes", x);
  }
});

Deno.test("predict: envelope errors are 400s", async () => {
  await using edge = await readyEdge();
  const cases: [string, string, string][] = [
    ["{not json", "INVALID_JSON", ""],
    ["", "INVALID_JSON", ""],
    ["42", "INVALID_INPUT", ""],
    ["null", "INVALID_INPUT", ""],
    ['{"instances": {"x": 1}}', "INVALID_INPUT", "instances"],
    ['{"instances": []}', "INVALID_INPUT", "instances"],
  ];
  for (const [raw, code, path] of cases) {
    const res = await post(edge, "/v1/predict", raw);
    assert.equal(res.status, 400, raw);
    const body = await res.json();
    assert.equal(body.error_code, code, raw);
    if (code === "INVALID_INPUT") assert.equal(body.details[0].path, path, raw);
  }
});

Deno.test("predict: bodies over the limit are 413, with or without Content-Length", async () => {
  await using edge = await readyEdge({ maxBodyBytes: 100 });
  const big = JSON.stringify({ instances: Array(10).fill(BLUE_LOW) });
  const res = await post(edge, "/v1/predict", big);
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error_code, "PAYLOAD_TOO_LARGE");

  const bytes = new TextEncoder().encode(big);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 16) c.enqueue(bytes.slice(i, i + 16));
      c.close();
    },
  });
  const chunked = await edge.app.request("/v1/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: stream,
  });
  assert.equal(chunked.status, 413);
  await chunked.body?.cancel();
});

Deno.test("predict: a body that stops arriving is a 408 after the body timeout", async () => {
  await using edge = await readyEdge({ bodyTimeoutMs: 200 });
  const declared: Record<string, string>[] = [
    {}, // chunked: streamed
    { "content-length": "100" }, // small: the runtime's one-shot reader
    { "content-length": "500000" }, // large: streamed
  ];
  for (const headers of declared) {
    const stalled = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"x": 1'));
      },
    });
    const t0 = performance.now();
    const res = await Promise.race([
      edge.app.request("/v1/predict", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: stalled,
      }),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within 3 s (${JSON.stringify(headers)})`)),
          3000,
        )
      ),
    ]);
    const ms = performance.now() - t0;
    assert.equal(res.status, 408, JSON.stringify(headers));
    const body = await res.json();
    assert.equal(body.error_code, "REQUEST_TIMEOUT");
    assert.match(body.message, /did not arrive within 200 ms/);
    assert.ok(ms >= 190, `answered after ${ms.toFixed(0)} ms`);
  }
  const metrics = await (await edge.app.request("/metrics")).text();
  assert.match(metrics, /^mlops_validation_failures_total\{reason="request_timeout"\} 3$/m);
});

Deno.test("predict: batches over MAX_BATCH are 413", async () => {
  await using edge = await readyEdge({ maxBatch: 2 });
  const res = await post(edge, "/v1/predict", { instances: [BLUE_LOW, BLUE_LOW, BLUE_LOW] });
  assert.equal(res.status, 413);
  const body = await res.json();
  assert.equal(body.error_code, "BATCH_TOO_LARGE");
  assert.match(body.message, /3 instances; the limit is 2/);
  assert.equal((await post(edge, "/v1/predict", { instances: [BLUE_LOW, BLUE_LOW] })).status, 200);
});

Deno.test("predict: a wrong or missing Content-Type is 415", async () => {
  await using edge = await readyEdge();
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
    const res = await post(edge, "/v1/predict", BLUE_LOW, { "content-type": type });
    assert.equal(res.status, 415, type);
    assert.equal((await res.json()).error_code, "UNSUPPORTED_MEDIA_TYPE");
  }
  const none = await edge.app.request("/v1/predict", { method: "POST", body: "{}" });
  assert.equal(none.status, 415);
  await none.body?.cancel();
  const charset = await post(edge, "/v1/predict", BLUE_LOW, {
    "content-type": "Application/JSON; charset=utf-8",
  });
  assert.equal(charset.status, 200);
});

Deno.test("invocations: every MLflow payload shape scores the same", async () => {
  await using edge = await readyEdge();
  const expected = { predictions: ["no", "yes"] };
  const payloads: unknown[] = [
    { dataframe_split: { columns: ["x", "color"], data: [[1, "blue"], [9, "red"]] } },
    {
      dataframe_split: { index: [0, 1], columns: ["color", "x"], data: [["blue", 1], ["red", 9]] },
    },
    { dataframe_split: { data: [[1, "blue"], [9, "red"]] } },
    { dataframe_records: [BLUE_LOW, RED_HIGH] },
    { instances: [BLUE_LOW, RED_HIGH] },
    { instances: [[1, "blue"], [9, "red"]] },
    { inputs: [BLUE_LOW, RED_HIGH] },
    { inputs: { x: [1, 9], color: ["blue", "red"] } },
    { inputs: [BLUE_LOW, RED_HIGH], params: { anything: 1 } },
  ];
  for (const p of payloads) {
    const res = await post(edge, "/invocations", p);
    assert.equal(res.status, 200, JSON.stringify(p));
    assert.deepEqual(await res.json(), expected, JSON.stringify(p));
  }
  const csv = await post(edge, "/invocations", "x,color,label\n1,blue,no\n9,red,yes\n", {
    "content-type": "text/csv",
  });
  assert.equal(csv.status, 200);
  assert.deepEqual(await csv.json(), expected);
});

Deno.test("invocations: malformed MLflow payloads are 400s with paths", async () => {
  await using edge = await readyEdge();
  const cases: [unknown, string][] = [
    [{}, ""],
    [{ instances: [BLUE_LOW], inputs: [BLUE_LOW] }, ""],
    [
      { dataframe_split: { columns: ["x", "color"], data: [[1, "blue"], [9]] } },
      "dataframe_split.data[1]",
    ],
    [{ dataframe_split: { columns: ["x", 3], data: [] } }, "dataframe_split.columns[1]"],
    [
      { dataframe_split: { columns: ["x", "color"], data: [[1, {}]] } },
      "dataframe_split.data[0].color",
    ],
    [{ dataframe_split: { columns: ["x", "color"] } }, "dataframe_split.data"],
    [{ dataframe_records: { x: 1 } }, "dataframe_records"],
    [{ instances: [[1]] }, "instances[0]"],
    [{ inputs: { x: [1, 2], color: ["red"] } }, "inputs.color"],
    [{ inputs: { x: ["a"], color: ["red"] } }, "inputs.x[0]"],
    [{ inputs: 5 }, "inputs"],
  ];
  for (const [payload, path] of cases) {
    const res = await post(edge, "/invocations", payload);
    assert.equal(res.status, 400, JSON.stringify(payload));
    const body = await res.json();
    assert.equal(body.details[0].path, path, JSON.stringify(payload));
  }
  const csv = await post(edge, "/invocations", "x,color\n1\n", { "content-type": "text/csv" });
  assert.equal(csv.status, 400);
  await csv.body?.cancel();
});

Deno.test("feedback: by prediction id feeds live accuracy, once per id", async () => {
  await using edge = await readyEdge();
  const a = await (await post(edge, "/v1/predict", BLUE_LOW)).json();
  const b = await (await post(edge, "/v1/predict", RED_HIGH)).json();

  const right = await post(edge, "/v1/feedback", { prediction_id: a.prediction_id, actual: "no" });
  assert.equal(right.status, 200);
  assert.deepEqual(await right.json(), {
    prediction_id: a.prediction_id,
    predicted: "no",
    actual: "no",
    correct: true,
    live_accuracy: { accuracy: 1, n: 1, window: 500 },
  });
  const wrong =
    await (await post(edge, "/v1/feedback", { prediction_id: b.prediction_id, actual: "no" }))
      .json();
  assert.equal(wrong.correct, false);
  assert.equal(wrong.live_accuracy.accuracy, 0.5);

  const again = await post(edge, "/v1/feedback", { prediction_id: a.prediction_id, actual: "no" });
  assert.equal(again.status, 409);
  assert.equal((await again.json()).error_code, "FEEDBACK_ALREADY_RECORDED");
  const unknown = await post(edge, "/v1/feedback", { prediction_id: "nope-1", actual: "no" });
  // (Forged, expired and rotated ids: prediction_id_test.ts and edge_feedback_ids_test.ts.)
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error_code, "UNKNOWN_PREDICTION_ID");

  // Prometheus gets counters (accuracy = correct / all, summed over instances)
  // and how long labels took; the refused replay and unknown id count nowhere.
  const metrics = await (await edge.app.request("/metrics")).text();
  const tiny = 'model_name="tiny",model_version="7",model_role="champion"';
  assert.match(metrics, new RegExp(`^mlops_feedback_total\\{${tiny},outcome="correct"\\} 1$`, "m"));
  assert.match(
    metrics,
    new RegExp(`^mlops_feedback_total\\{${tiny},outcome="incorrect"\\} 1$`, "m"),
  );
  assert.match(metrics, new RegExp(`^mlops_feedback_label_lag_seconds_count\\{${tiny}\\} 2$`, "m"));
  assert.match(
    metrics,
    new RegExp(`^mlops_feedback_label_lag_seconds_bucket\\{${tiny},le="1"\\} 2$`, "m"),
  );
  assert.doesNotMatch(metrics, /mlops_live_accuracy/);
});

Deno.test("feedback: prediction ids cannot be guessed from one's own", async () => {
  await using edge = await readyEdge();
  const victim = await (await post(edge, "/v1/predict", BLUE_LOW)).json();
  const mine = await (await post(edge, "/v1/predict", { instances: [RED_HIGH, RED_HIGH] })).json();
  const own: string[] = mine.predictions.map((p: { prediction_id: string }) => p.prediction_id);
  // Guesses an attacker would make from ids it was given: neighbours of a
  // trailing counter in any base, and the ids with one character changed.
  const guesses = new Set<string>();
  for (const id of own) {
    // Signed ids end in a base64url tag, which may end in no counter-like digits.
    const m = /^(.*?)([0-9a-z]+)$/.exec(id) ?? ["", id, "0"];
    for (const base of [10, 16, 36]) {
      const n = parseInt(m[2], base);
      if (!Number.isFinite(n)) continue;
      for (const d of [-3, -2, -1, 1, 2]) guesses.add(m[1] + Math.max(0, n + d).toString(base));
      const sep = id.lastIndexOf("-");
      if (sep >= 0) {
        const seq = parseInt(id.slice(sep + 1), 36);
        for (const d of [-3, -2, -1]) guesses.add(id.slice(0, sep + 1) + (seq + d).toString(36));
      }
    }
    for (let i = 0; i < id.length; i++) {
      for (const c of "0123456789abcdef") guesses.add(id.slice(0, i) + c + id.slice(i + 1));
    }
  }
  for (const id of own) guesses.delete(id);
  for (const guess of guesses) {
    const res = await post(edge, "/v1/feedback", { prediction_id: guess, actual: "yes" });
    assert.equal(res.status, 404, `guessed ${guess} (victim's: ${victim.prediction_id})`);
    await res.body?.cancel();
  }
  // Signed: a 128-bit tag each.
  for (const id of [victim.prediction_id, ...own]) assert.match(id, /\.[A-Za-z0-9_-]{22}$/);
  const real = await post(edge, "/v1/feedback", {
    prediction_id: victim.prediction_id,
    actual: "no",
  });
  assert.equal(real.status, 200);
  assert.equal((await real.json()).live_accuracy.n, 1);
});

Deno.test("feedback: with API keys, only the key that made a prediction can judge it", async () => {
  await using edge = await readyEdge({ apiKeys: ["key-a", "key-b"] });
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const a = await (await post(edge, "/v1/predict", BLUE_LOW, as("key-a"))).json();
  const other = await post(edge, "/v1/feedback", {
    prediction_id: a.prediction_id,
    actual: "yes",
  }, as("key-b"));
  assert.equal(other.status, 403);
  const body = await other.json();
  assert.equal(body.error_code, "FORBIDDEN_PREDICTION_ID");
  assert.doesNotMatch(JSON.stringify(body), /key-a|key-b/);
  // The refusal did not use the prediction up: its owner still can.
  const own = await post(edge, "/v1/feedback", { prediction_id: a.prediction_id, actual: "no" }, {
    ...as("key-a"),
  });
  assert.equal(own.status, 200);
  assert.deepEqual((await own.json()).live_accuracy, { accuracy: 1, n: 1, window: 500 });
  const again = await post(edge, "/v1/feedback", {
    prediction_id: a.prediction_id,
    actual: "no",
  }, as("key-a"));
  assert.equal(again.status, 409);
  await again.body?.cancel();
});

Deno.test("feedback: the same features and label replayed count once in the live window", async () => {
  await using edge = await readyEdge({ accuracyWindow: 3 });
  const wrong = { features: BLUE_LOW, actual: "yes" }; // the model says "no"
  const statuses: number[] = [];
  for (let i = 0; i < 200; i++) {
    const res = await post(edge, "/v1/feedback", wrong);
    statuses.push(res.status);
    if (res.status === 409) {
      assert.equal((await res.json()).error_code, "FEEDBACK_ALREADY_RECORDED");
    } else await res.body?.cancel();
  }
  assert.equal(statuses[0], 200);
  assert.equal(statuses.filter((s) => s === 409).length, 199);
  // The same observation written differently is the same observation.
  for (const features of [{ color: "blue", x: "1", note: "ignored" }, { x: 1.0, color: "blue" }]) {
    const res = await post(edge, "/v1/feedback", { features, actual: "yes" });
    assert.equal(res.status, 409, JSON.stringify(features));
    await res.body?.cancel();
  }
  let acc = (await (await edge.app.request("/v1/ops")).json()).live_accuracy;
  assert.deepEqual([acc.n, acc.correct], [1, 0]);
  // Different features, or another label, are new feedback.
  for (const fb of [{ features: RED_HIGH, actual: "yes" }, { features: BLUE_LOW, actual: "no" }]) {
    assert.equal((await post(edge, "/v1/feedback", fb)).status, 200, JSON.stringify(fb));
  }
  // Once the first has left the window (3 events), it may count again.
  assert.equal(
    (await post(edge, "/v1/feedback", { features: RED_HIGH, actual: "no" })).status,
    200,
  );
  assert.equal((await post(edge, "/v1/feedback", wrong)).status, 200);
  acc = (await (await edge.app.request("/v1/ops")).json()).live_accuracy;
  assert.deepEqual([acc.n, acc.correct], [3, 1]);
});

Deno.test("feedback: features plus actual are scored on the spot", async () => {
  await using edge = await readyEdge();
  const res = await post(edge, "/v1/feedback", { features: RED_HIGH, actual: "yes" });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.predicted, "yes");
  assert.equal(body.correct, true);
  assert.equal(body.prediction_id, undefined);
});

Deno.test("feedback: invalid bodies are 400s naming the field", async () => {
  await using edge = await readyEdge();
  const cases: [unknown, string][] = [
    [{ prediction_id: "x" }, "actual"],
    [{ prediction_id: "x", actual: "maybe" }, "actual"],
    [{ actual: "no" }, ""],
    [{ prediction_id: "x", features: BLUE_LOW, actual: "no" }, ""],
    [{ prediction_id: 5, actual: "no" }, "prediction_id"],
    [{ features: [1, 2], actual: "no" }, "features"],
    [{ features: { x: "bad", color: "red" }, actual: "no" }, "features.x"],
    [[], ""],
  ];
  for (const [payload, path] of cases) {
    const res = await post(edge, "/v1/feedback", payload);
    assert.equal(res.status, 400, JSON.stringify(payload));
    const body = await res.json();
    assert.equal(body.details[0].path, path, JSON.stringify(payload));
  }
});

Deno.test("model: describes identity, schema, classes and training", async () => {
  await using edge = await readyEdge();
  const body = await (await edge.app.request("/v1/model")).json();
  assert.equal(body.name, "tiny");
  assert.equal(body.version, "7");
  assert.deepEqual(body.classes, ["no", "yes"]);
  assert.deepEqual(body.features.map((f: { name: string }) => f.name), ["x", "color"]);
  assert.deepEqual(body.training.metrics, { accuracy: 0.75 });
  assert.equal(body.promoted_at, "2025-01-02T00:00:00.000Z");
  assert.equal(body.forest.trees, 2);
});

Deno.test("health: /healthz is always up; /readyz and scoring wait for the model", async () => {
  // LOAD_WAIT_MS=0: scoring turns a request away at once while the model loads.
  await using edge = createEdge(testConfig({ loadWaitMs: 0 }));
  assert.equal((await edge.app.request("/healthz")).status, 200);
  const loading = await edge.app.request("/readyz");
  assert.equal(loading.status, 503);
  assert.equal((await loading.json()).status, "loading");
  const early = await post(edge, "/v1/predict", BLUE_LOW);
  assert.equal(early.status, 503);
  assert.equal(early.headers.get("retry-after"), "1");
  assert.equal((await early.json()).error_code, "MODEL_NOT_READY");

  await edge.load(tinyBundle());
  const ready = await (await edge.app.request("/readyz")).json();
  assert.equal(ready.status, "ready");
  assert.deepEqual(ready.model, { name: "tiny", version: "7" });
  assert.equal((await edge.app.request("/ping")).status, 200);
});

/** A bundle load that finishes (or fails) when the test says so. */
function gatedLoad() {
  const gate = Promise.withResolvers<ModelBundle>();
  return { bundle: () => gate.promise, open: gate.resolve, fail: gate.reject };
}

Deno.test("health: a request that arrives while the model loads waits for it (LOAD_WAIT_MS)", async () => {
  await using edge = createEdge(testConfig({ loadWaitMs: 5_000 }));
  const { bundle, open } = gatedLoad();
  const loaded = edge.holder.load(bundle);
  const t0 = performance.now();
  const early = post(edge, "/v1/predict", BLUE_LOW);
  const model = edge.app.request("/v1/model");
  // Probes do not wait: they say how loading stands.
  assert.equal((await edge.app.request("/readyz")).status, 503);
  await new Promise((r) => setTimeout(r, 50));
  open(tinyBundle());
  await loaded;
  const res = await early;
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).label, "no");
  assert.equal(res.headers.get("x-model-version"), "7");
  assert.equal((await model).status, 200);
  const waited = performance.now() - t0;
  assert.ok(waited >= 45 && waited < 2_000, `answered after ${waited.toFixed(0)} ms`);
});

Deno.test("health: a waiting request gets the load's failure, or 503 once LOAD_WAIT_MS passes", async () => {
  {
    await using edge = createEdge(testConfig({ loadWaitMs: 5_000 }));
    const { bundle, fail } = gatedLoad();
    const loaded = edge.holder.load(bundle);
    const early = post(edge, "/v1/predict", BLUE_LOW);
    fail(new UserError("model bundle x is corrupted (checksum mismatch)"));
    await loaded;
    const res = await early;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "30");
    assert.match((await res.json()).message, /checksum mismatch/);
  }
  {
    await using edge = createEdge(testConfig({ loadWaitMs: 100 }));
    const { bundle, open } = gatedLoad();
    const loaded = edge.holder.load(bundle);
    const t0 = performance.now();
    const res = await post(edge, "/v1/predict", BLUE_LOW);
    const waited = performance.now() - t0;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.match((await res.json()).message, /still loading/);
    assert.ok(waited >= 95 && waited < 2_000, `gave up after ${waited.toFixed(0)} ms`);
    open(tinyBundle());
    await loaded;
    assert.equal((await post(edge, "/v1/predict", BLUE_LOW)).status, 200);
  }
});

Deno.test("health: a missing bundle fails /readyz with the path; /healthz stays up", async () => {
  await using edge = createEdge(testConfig({ model: { kind: "path", path: "/nonexistent/dir" } }));
  const state = await edge.load();
  assert.equal(state.status, "failed");
  const res = await edge.app.request("/readyz");
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.status, "failed");
  assert.match(body.reason, /\/nonexistent\/dir/);
  assert.equal((await edge.app.request("/healthz")).status, 200);
  const predict = await post(edge, "/v1/predict", BLUE_LOW);
  assert.equal(predict.status, 503);
  assert.match((await predict.json()).message, /\/nonexistent\/dir/);
  assert.equal((await edge.app.request("/")).status, 200);
  assert.equal((await (await edge.app.request("/v1/ops")).json()).model.status, "failed");
});

Deno.test("health: corrupt and truncated bundles are refused with a reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = serializeBundle(tinyBundle());
    const variants = {
      truncated: good.slice(0, good.length / 2),
      tampered: good.replace('"name":"tiny"', '"name":"tinY"'),
      garbage: "\u0000\u0001binary",
    };
    for (const [name, text] of Object.entries(variants)) {
      const path = `${dir}/${name}.json`;
      await Deno.writeTextFile(path, text);
      await using edge = createEdge(testConfig({ model: { kind: "path", path } }));
      const state = await edge.load();
      assert.equal(state.status, "failed", name);
      const body = await (await edge.app.request("/readyz")).json();
      assert.ok(body.reason.length > 0, name);
      assert.equal((await post(edge, "/v1/predict", BLUE_LOW)).status, 503, name);
    }
    await Deno.writeTextFile(`${dir}/model.mlops.json`, good);
    await using edge = createEdge(testConfig({ model: { kind: "path", path: dir } }));
    assert.equal((await edge.load()).status, "ready");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("health: an inconsistent bundle never becomes the served model", async () => {
  await using edge = createEdge(testConfig());
  const bad = tinyBundle();
  bad.forest = { ...bad.forest, nFeatures: 3 };
  const state = await edge.load(bad);
  assert.equal(state.status, "failed");
  if (state.status === "failed") assert.match(state.reason, /forest expects 3 features/);
  assert.equal(edge.holder.model, undefined);
});

Deno.test("auth: API keys guard predict, invocations and feedback only", async () => {
  await using edge = await readyEdge({ apiKeys: ["key-one", "key.two"] });
  const none = await post(edge, "/v1/predict", BLUE_LOW);
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error_code, "UNAUTHORIZED");
  const wrong = await post(edge, "/v1/predict", BLUE_LOW, { authorization: "Bearer key-three" });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const malformed = await post(edge, "/v1/predict", BLUE_LOW, { authorization: "Basic abc" });
  assert.equal(malformed.status, 400);
  await malformed.body?.cancel();
  for (const key of ["key-one", "key.two"]) {
    const ok = await post(edge, "/v1/predict", BLUE_LOW, { authorization: `Bearer ${key}` });
    assert.equal(ok.status, 200, key);
    await ok.body?.cancel();
  }
  const inv = await post(edge, "/invocations", { instances: [BLUE_LOW] });
  assert.equal(inv.status, 401);
  await inv.body?.cancel();
  const fb = await post(edge, "/v1/feedback", { features: BLUE_LOW, actual: "no" });
  assert.equal(fb.status, 401);
  await fb.body?.cancel();
  for (const open of ["/healthz", "/readyz", "/metrics", "/v1/status", "/v1/model", "/"]) {
    const res = await edge.app.request(open);
    assert.equal(res.status, 200, open);
    await res.body?.cancel();
  }
  const metrics = await (await edge.app.request("/metrics")).text();
  // A malformed header is a 400, but it is still an auth failure.
  assert.match(metrics, /mlops_validation_failures_total\{reason="unauthorized"\} 5/);
  assert.doesNotMatch(metrics, /key-one|key\.two|key-three/);
});

Deno.test("cors: configured origins get CORS headers, on errors too", async () => {
  await using edge = await readyEdge({ corsOrigins: ["https://app.example"] });
  const pre = await preflight(
    edge,
    "/v1/predict",
    "https://app.example",
    "content-type,authorization",
  );
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
  assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/);
  const ok = await post(edge, "/v1/predict", BLUE_LOW, { origin: "https://app.example" });
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
  await ok.body?.cancel();
  const bad = await post(edge, "/v1/predict", "{", { origin: "https://app.example" });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get("access-control-allow-origin"), "https://app.example");
  await bad.body?.cancel();
  const other = await post(edge, "/v1/predict", BLUE_LOW, { origin: "https://evil.example" });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();

  await using closed = await readyEdge();
  const none = await post(closed, "/v1/predict", BLUE_LOW, { origin: "https://app.example" });
  assert.equal(none.headers.get("access-control-allow-origin"), null);
  await none.body?.cancel();
});

Deno.test("routing: unknown paths and methods are JSON 404s with a bounded label", async () => {
  await using edge = await readyEdge();
  for (
    const [method, path] of [["GET", "/nope"], ["GET", "/v1/predict"], ["DELETE", "/v1/model"]]
  ) {
    const res = await edge.app.request(path, { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal((await res.json()).error_code, "NOT_FOUND");
  }
  const metrics = await (await edge.app.request("/metrics")).text();
  assert.match(metrics, /route="unmatched",status="404"/);
  assert.doesNotMatch(metrics, /route="\/nope"/);
});

Deno.test("openapi: the document is derived from the model", async () => {
  await using edge = await readyEdge({ apiKeys: ["k"] });
  const res = await edge.app.request("/openapi.json");
  assert.equal(res.status, 200);
  const spec = await res.json();
  assert.equal(spec.openapi, "3.1.0");
  const instance = spec.components.schemas.Instance;
  assert.deepEqual(instance.required, ["x", "color"]);
  assert.deepEqual(instance.properties.x.type, ["number", "string", "null"]);
  assert.match(instance.properties.color.description, /"blue", "red"/);
  assert.deepEqual(instance.examples[0], { x: 5, color: "blue" });
  for (const path of ["/v1/predict", "/invocations", "/v1/feedback", "/v1/model", "/metrics"]) {
    assert.ok(spec.paths[path], path);
  }
  assert.deepEqual(spec.components.securitySchemes.bearer, { type: "http", scheme: "bearer" });
  // Every $ref resolves.
  const refs = JSON.stringify(spec).match(/#\/components\/schemas\/\w+/g) ?? [];
  for (const ref of refs) assert.ok(spec.components.schemas[ref.split("/").at(-1)!], ref);
});

Deno.test("openapi: who answered (headers), split-mode stickiness and the challenger's fields", async () => {
  await using edge = await readyEdge();
  const spec = await (await edge.app.request("/openapi.json")).json();
  const resolve = (o: { $ref?: string }) => {
    if (o.$ref === undefined) return o;
    const [, , kind, name] = o.$ref.split("/");
    const target = spec.components[kind]?.[name];
    assert.ok(target, o.$ref);
    return target;
  };
  // Every $ref of any kind resolves.
  for (const r of JSON.stringify(spec).match(/#\/components\/\w+\/[\w-]+/g) ?? []) {
    resolve({ $ref: r });
  }
  const headerParams = (op: { parameters?: { $ref?: string }[] }) =>
    (op.parameters ?? []).map(resolve).filter((p) => p.in === "header").map((p) => p.name);
  let operations = 0;
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods as Record<string, Record<string, never>>)) {
      const what = `${method.toUpperCase()} ${path}`;
      operations++;
      // A client may send its own request id anywhere.
      assert.ok(headerParams(op).includes("X-Request-Id"), what);
      // Every response, errors included, says who answered.
      for (const [code, res] of Object.entries(op.responses as Record<string, never>)) {
        const headers = (res as { headers?: Record<string, { $ref?: string }> }).headers ?? {};
        for (const h of ["X-Request-Id", "X-Model-Name", "X-Model-Version"]) {
          assert.ok(headers[h], `${what} ${code}: ${h}`);
          assert.equal(resolve(headers[h]).schema.type, "string", `${what} ${code}: ${h}`);
        }
      }
    }
  }
  assert.ok(operations >= 18, `${operations} operations`);
  // X-Client-Id is read where split mode chooses a model, and only there.
  const sticky = ["/v1/predict", "/invocations", "/v2/models/{name}/infer"];
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods as Record<string, Record<string, never>>)) {
      assert.equal(
        headerParams(op).includes("X-Client-Id"),
        sticky.includes(path) && method === "post",
        `${method} ${path}`,
      );
    }
  }
  const clientId = resolve({ $ref: "#/components/parameters/XClientId" });
  assert.match(clientId.description, /split/);
  assert.match(clientId.description, /API key/);
  // The challenger in /v1/model, /readyz and feedback's answers.
  const state = spec.components.schemas.ChallengerState;
  assert.deepEqual(state.properties.mode.enum, ["shadow", "split"]);
  assert.deepEqual(state.properties.status.enum, ["ready", "loading", "failed"]);
  for (const f of ["share", "model", "reason"]) assert.ok(state.properties[f], f);
  const ok = (path: string) =>
    resolve(spec.paths[path].get.responses["200"].content["application/json"].schema);
  assert.equal(ok("/v1/model").properties.challenger.$ref, "#/components/schemas/ChallengerState");
  assert.equal(ok("/readyz").properties.challenger.$ref, "#/components/schemas/ChallengerState");
  assert.ok(ok("/v1/status").properties.models, "champion and challenger side by side");
  const answer = spec.components.schemas.FeedbackResponse.properties.answers.items;
  assert.deepEqual(answer.properties.model.properties.role.enum, ["champion", "challenger"]);
  assert.match(spec.components.schemas.ModelRef.description, /answered/);
});

Deno.test("docs: the HTML page lists endpoints and fields", async () => {
  await using edge = await readyEdge();
  const res = await edge.app.request("/docs");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  const html = await res.text();
  for (const s of ["/v1/predict", "/invocations", "<code>color</code>", "Try it"]) {
    assert.ok(html.includes(s), s);
  }
});

Deno.test("ops: the operator view and its JSON reflect this instance's traffic", async () => {
  await using edge = await readyEdge();
  for (let i = 0; i < 5; i++) await (await post(edge, "/v1/predict", RED_HIGH)).body?.cancel();
  await (await post(edge, "/v1/predict", { instances: [BLUE_LOW, BLUE_LOW] })).body?.cancel();
  await (await post(edge, "/v1/predict", "{")).body?.cancel();
  const page = await edge.app.request("/ops");
  assert.match(await page.text(), /fetch\("v1\/ops"/);
  const s = await (await edge.app.request("/v1/ops")).json();
  assert.equal(s.instance, edge.meters.instanceId.slice(0, 8));
  assert.equal(s.model.status, "ready");
  assert.equal(s.model.version, "7");
  assert.equal(s.predictions.total, 7);
  assert.deepEqual(s.predictions.total_by_class, { no: 2, yes: 5 });
  assert.equal(s.traffic.total_requests, 7);
  assert.deepEqual(s.rejected, { invalid_json: 1 });
  const x = s.drift.features.find((f: { name: string }) => f.name === "x");
  assert.equal(x.n, 7);
  assert.equal(x.minSamples, 300);
  assert.equal(x.psi, null, "7 values say nothing about drift");
  await (await post(edge, "/v1/predict", { instances: Array(300).fill(RED_HIGH) })).body?.cancel();
  const later = await (await edge.app.request("/v1/ops")).json();
  const x2 = later.drift.features.find((f: { name: string }) => f.name === "x");
  assert.ok(x2.psi > 0.2, `all values in two bins should drift: ${x2.psi}`);
});

Deno.test("ops: behind the API key when keys are set; the public status is not", async () => {
  await using edge = await readyEdge({ apiKeys: ["k1"] });
  assert.equal((await edge.app.request("/v1/ops")).status, 401);
  const ok = await edge.app.request("/v1/ops", { headers: { authorization: "Bearer k1" } });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  // The pages are static shells: the operator page holds no data itself.
  const page = await (await edge.app.request("/ops")).text();
  assert.doesNotMatch(page, /tiny|"version"/);
  assert.equal((await edge.app.request("/v1/status")).status, 200);
});

Deno.test("status: the public page says what this instance knows, and that it is only that", async () => {
  await using edge = await readyEdge();
  for (let i = 0; i < 3; i++) await (await post(edge, "/v1/predict", RED_HIGH)).body?.cancel();
  const page = await (await edge.app.request("/")).text();
  assert.match(page, /fetch\("v1\/status"/);
  assert.match(page, /<h1>Service status<\/h1>/);
  const s = await (await edge.app.request("/v1/status")).json();
  assert.equal(s.source, "instance");
  assert.equal(s.overall, "operational");
  assert.equal(s.headline, "All systems operational");
  assert.deepEqual(
    s.components.map((c: { id: string; state: string }) => [c.id, c.state]),
    [["edge", "operational"], ["model", "operational"], ["alerting", "unknown"]],
  );
  assert.deepEqual(s.model, {
    status: "ready",
    name: "tiny",
    version: "7",
    trained_at: "2025-01-01T00:00:00.000Z",
    promoted_at: "2025-01-02T00:00:00.000Z",
  });
  assert.deepEqual(s.availability, { "24h": null, "7d": null });
  assert.deepEqual(s.incidents, []);
  assert.match(s.note, /this instance alone/);
  assert.match(s.note, /Prometheus is not configured/);
  // Operator details stay on /ops.
  assert.equal(JSON.stringify(s).match(/rss|heap|rejected|unknown_categories/), null);
  // Without a model: an outage, said in words.
  await using bare = createEdge(testConfig());
  await bare.load();
  const down = await (await bare.app.request("/v1/status")).json();
  assert.equal(down.overall, "outage");
  assert.equal(down.components[1].detail, "No model loaded");
});

Deno.test("status: an unreachable Prometheus is said plainly, never named", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await using edge = await readyEdge({
    prometheusUrl: `http://user:secret@127.0.0.1:${port}`,
    alertmanagerUrl: `http://127.0.0.1:${port}`,
  });
  const res = await edge.app.request("/v1/status");
  const text = await res.text();
  const s = JSON.parse(text);
  assert.equal(s.source, "instance");
  assert.match(s.note, /Prometheus did not answer/);
  assert.equal(s.components[2].detail, "Alert status unavailable");
  assert.doesNotMatch(text, /secret|127\.0\.0\.1/);
});

Deno.test("access log: one JSON line per request, without bodies or keys", async () => {
  const { Hono } = await import("hono");
  const { accessLog } = await import("../edge/middleware/access_log.ts");
  const { ModelHolder } = await import("../edge/serving/model_holder.ts");
  const lines: string[] = [];
  const app = new Hono();
  app.use(accessLog(new ModelHolder(), (l) => lines.push(l)));
  app.post("/v1/predict", (c) => c.json({ ok: true }));
  await (await app.request("/v1/predict", {
    method: "POST",
    headers: { authorization: "Bearer secret-key", "content-type": "application/json" },
    body: '{"tenure": "private value"}',
  })).body?.cancel();
  await (await app.request("/nope?token=abc")).body?.cancel();
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(first).sort(), [
    "method",
    "ms",
    "request_id",
    "route",
    "status",
    "ts",
  ]);
  assert.equal(first.route, "/v1/predict");
  assert.equal(JSON.parse(lines[1]).route, "unmatched");
  assert.doesNotMatch(lines.join("\n"), /secret-key|private value|token=abc/);
});
