/**
 * Champion and challenger on one edge: shadow mode (the challenger scores
 * every request, clients only see the champion), split mode (a sticky share
 * of clients gets the challenger), feedback counted per model, both models
 * in /v1/model and /readyz, and challengers that cannot stand beside the
 * champion refused with one line.
 */
import { strict as assert } from "node:assert";
import { type ChallengerConfig, configFromEnv, type EdgeConfig } from "../edge/config.ts";
import { createEdge, type Edge } from "../edge/edge.ts";
import { isUserError } from "../lib/errors.ts";
import type { ModelBundle } from "../lib/model/types.ts";
import { post, testConfig } from "./support/edge_harness.ts";
import { parsePrometheusText } from "./support/prometheus_text.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const BLUE_LOW = { x: 1, color: "blue" }; // champion: no; challenger: yes
const RED_HIGH = { x: 9, color: "red" }; // champion: yes; challenger: no

/**
 * The tiny model with every leaf's probabilities swapped: it answers the
 * opposite of the champion on every instance, so whose answer a client got
 * (and which model feedback judged) is never ambiguous.
 */
function contrarian(overrides: Partial<ModelBundle> = {}): ModelBundle {
  const b = tinyBundle({ version: "8", ...overrides });
  const v = b.forest.value;
  for (let i = 0; i < v.length; i += 2) [v[i], v[i + 1]] = [v[i + 1], v[i]];
  return b;
}

async function championAndChallenger(
  challenger: Omit<ChallengerConfig, "model">,
  overrides: Partial<EdgeConfig> = {},
  bundle: ModelBundle = contrarian(),
): Promise<Edge> {
  const edge = createEdge(testConfig({
    challenger: { model: { kind: "path", path: "/nonexistent/challenger" }, ...challenger },
    ...overrides,
  }));
  assert.equal((await edge.load(tinyBundle())).status, "ready");
  await edge.loadChallenger(bundle);
  return edge;
}

async function metrics(edge: Edge) {
  return parsePrometheusText(await (await edge.app.request("/metrics")).text());
}

/** Sum of a family's samples whose labels include `labels`. */
function total(
  families: ReturnType<typeof parsePrometheusText>,
  name: string,
  labels: Record<string, string>,
  sample = name,
): number {
  return (families.get(name)?.samples ?? [])
    .filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

const CHAMPION = { model_name: "tiny", model_version: "7", model_role: "champion" };
const CHALLENGER = { model_name: "tiny", model_version: "8", model_role: "challenger" };

Deno.test("shadow: the challenger scores every request, clients only see the champion", async () => {
  await using edge = await championAndChallenger({ mode: "shadow", share: 0.1 });
  const before = await metrics(edge);
  assert.equal(total(before, "mlops_predictions_total", CHALLENGER), 0);

  for (let i = 0; i < 10; i++) {
    const body = await (await post(edge, "/v1/predict", i % 2 ? RED_HIGH : BLUE_LOW)).json();
    assert.equal(body.label, i % 2 ? "yes" : "no", "the champion's answer");
    assert.deepEqual(body.model, { name: "tiny", version: "7" });
  }
  const batch = await (await post(edge, "/v1/predict", { instances: [BLUE_LOW, RED_HIGH] })).json();
  assert.deepEqual(batch.predictions.map((p: { label: string }) => p.label), ["no", "yes"]);
  const inv = await (await post(edge, "/invocations", { instances: [BLUE_LOW, BLUE_LOW] })).json();
  assert.deepEqual(inv, { predictions: ["no", "no"] });
  await new Promise((r) => setTimeout(r, 20)); // /invocations shadows after answering

  const m = await metrics(edge);
  // Both models saw all 14 instances; each counts its own classes.
  assert.equal(total(m, "mlops_predictions_total", CHAMPION), 14);
  assert.equal(total(m, "mlops_predictions_total", CHALLENGER), 14);
  assert.equal(total(m, "mlops_predictions_total", { ...CHAMPION, class: "no" }), 8);
  assert.equal(total(m, "mlops_predictions_total", { ...CHALLENGER, class: "yes" }), 8);
  for (const who of [CHAMPION, CHALLENGER]) {
    const scored = total(
      m,
      "mlops_model_scoring_duration_seconds",
      who,
      "mlops_model_scoring_duration_seconds_count",
    );
    assert.equal(scored, 12, `${who.model_role}: one scoring per request while compared`);
    const bins = total(m, "mlops_feature_bin_total", { ...who, feature: "x" });
    assert.equal(bins, 14, `${who.model_role}: drift of its own bins`);
    assert.equal(
      m.get("mlops_class_expected_ratio")!.samples.filter((s) =>
        s.labels.model_role === who.model_role
      ).length,
      2,
    );
  }
  const info = m.get("mlops_model_info")!.samples.map((
    s,
  ) => [s.labels.model_role, s.labels.version]);
  assert.deepEqual(info, [["champion", "7"], ["challenger", "8"]]);
  // Traffic is what clients got: the shadow is not counted twice.
  const ops = await (await edge.app.request("/v1/ops")).json();
  assert.equal(ops.predictions.total, 14);
});

Deno.test("shadow: feedback by id judges both answers, each for its own model", async () => {
  await using edge = await championAndChallenger({ mode: "shadow", share: 0.1 });
  const a = await (await post(edge, "/v1/predict", BLUE_LOW)).json();
  const b = await (await post(edge, "/v1/predict", RED_HIGH)).json();
  const fa =
    await (await post(edge, "/v1/feedback", { prediction_id: a.prediction_id, actual: "no" }))
      .json();
  // The client's answer (the champion's) decides `correct`; every answer is listed.
  assert.equal(fa.correct, true);
  assert.deepEqual(fa.answers, [
    { model: { name: "tiny", version: "7", role: "champion" }, predicted: "no", correct: true },
    { model: { name: "tiny", version: "8", role: "challenger" }, predicted: "yes", correct: false },
  ]);
  await post(edge, "/v1/feedback", { prediction_id: b.prediction_id, actual: "no" });
  // A replay counts for neither.
  const again = await post(edge, "/v1/feedback", { prediction_id: a.prediction_id, actual: "no" });
  assert.equal(again.status, 409);
  // By features: every loaded model scores them.
  await post(edge, "/v1/feedback", { features: RED_HIGH, actual: "no" });

  const m = await metrics(edge);
  const count = (who: Record<string, string>, outcome: string) =>
    total(m, "mlops_feedback_total", { ...who, outcome });
  assert.equal(count(CHAMPION, "correct"), 1);
  assert.equal(count(CHAMPION, "incorrect"), 2);
  assert.equal(count(CHALLENGER, "correct"), 2);
  assert.equal(count(CHALLENGER, "incorrect"), 1);
  const lag = "mlops_feedback_label_lag_seconds_count";
  assert.equal(total(m, "mlops_feedback_label_lag_seconds", CHALLENGER, lag), 2);
  const ops = await (await edge.app.request("/v1/ops")).json();
  assert.equal(ops.live_accuracy.n, 3, "the local window judges what clients got");
  assert.deepEqual(
    ops.models.map((x: { role: string; live_accuracy: { correct: number; n: number } }) => [
      x.role,
      x.live_accuracy.correct,
      x.live_accuracy.n,
    ]),
    [["champion", 1, 3], ["challenger", 2, 3]],
  );
});

Deno.test("split: the challenger answers its share of 10,000 requests, and says so", async () => {
  const share = 0.1, n = 10_000;
  await using edge = await championAndChallenger({ mode: "split", share });
  let challenger = 0;
  for (let i = 0; i < n; i++) {
    const body = await (await post(edge, "/v1/predict", BLUE_LOW)).json();
    const by = body.model.version;
    assert.equal(body.label, by === "8" ? "yes" : "no", "the answer is the named model's");
    if (by === "8") challenger++;
  }
  // Binomial(10,000, 0.1): sd 30, so ±4.5 sd fails by chance about once in 150,000 runs.
  const sd = Math.sqrt(n * share * (1 - share));
  assert.ok(
    Math.abs(challenger - n * share) < 4.5 * sd,
    `challenger answered ${challenger} of ${n}`,
  );
  const m = await metrics(edge);
  assert.equal(total(m, "mlops_predictions_total", CHALLENGER), challenger);
  assert.equal(total(m, "mlops_predictions_total", CHAMPION), n - challenger);
});

Deno.test("split: each client id sticks to one model, and the share holds across clients", async () => {
  const share = 0.3, clients = 2000;
  await using edge = await championAndChallenger({ mode: "split", share });
  let challenger = 0;
  for (let i = 0; i < clients; i++) {
    const id = `client-${i}`;
    const seen = new Set<string>();
    for (const instance of [BLUE_LOW, RED_HIGH, BLUE_LOW]) {
      const body = await (await post(edge, "/v1/predict", instance, { "x-client-id": id })).json();
      seen.add(body.model.version);
    }
    assert.equal(seen.size, 1, `${id} met ${[...seen]}`);
    if (seen.has("8")) challenger++;
  }
  const sd = Math.sqrt(clients * share * (1 - share));
  assert.ok(
    Math.abs(challenger - clients * share) < 4.5 * sd,
    `${challenger} of ${clients} clients`,
  );
});

Deno.test("split: an API key sticks to one model whatever X-Client-Id it sends; feedback follows the answer", async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
  await using edge = await championAndChallenger({ mode: "split", share: 0.5 }, { apiKeys: keys });
  const byKey = new Map<string, string>();
  for (const key of keys) {
    for (let i = 0; i < 4; i++) {
      const res = await post(edge, "/v1/predict", BLUE_LOW, {
        authorization: `Bearer ${key}`,
        "x-client-id": `c${i}`,
      });
      const version = (await res.json()).model.version;
      assert.equal(byKey.get(key) ?? version, version, `${key} switched models`);
      byKey.set(key, version);
    }
  }
  const versions = [...byKey.values()];
  assert.ok(versions.includes("7") && versions.includes("8"), "both models answer some keys");

  // Feedback counts for the model that answered, and only that one.
  const key = keys.find((k) => byKey.get(k) === "8")!;
  const auth = { authorization: `Bearer ${key}` };
  const p = await (await post(edge, "/v1/predict", BLUE_LOW, auth)).json();
  assert.equal(p.label, "yes");
  const before = await metrics(edge);
  const fb = await (await post(
    edge,
    "/v1/feedback",
    { prediction_id: p.prediction_id, actual: "yes" },
    auth,
  ))
    .json();
  assert.equal(fb.correct, true);
  assert.equal(fb.answers, undefined, "one answer: the challenger's");
  const after = await metrics(edge);
  const diff = (who: Record<string, string>, outcome: string) =>
    total(after, "mlops_feedback_total", { ...who, outcome }) -
    total(before, "mlops_feedback_total", { ...who, outcome });
  assert.equal(diff(CHALLENGER, "correct"), 1);
  assert.equal(diff(CHAMPION, "correct") + diff(CHAMPION, "incorrect"), 0);
});

Deno.test("split: a share of 0 never answers with the challenger, 1 always does", async () => {
  for (const [share, version] of [[0, "7"], [1, "8"]] as const) {
    await using edge = await championAndChallenger({ mode: "split", share });
    for (let i = 0; i < 50; i++) {
      const res = await post(edge, "/v1/predict", BLUE_LOW, { "x-client-id": `c${i}` });
      const body = await res.json();
      assert.equal(body.model.version, version);
      // The headers name the model that answered, not the one being served.
      assert.equal(res.headers.get("x-model-version"), version);
    }
    const inv = await post(edge, "/invocations", { instances: [BLUE_LOW] }, {
      "x-client-id": "c0",
    });
    await inv.body?.cancel();
    assert.equal(inv.headers.get("x-model-version"), version);
  }
});

Deno.test("model and readiness: both models reported", async () => {
  await using edge = await championAndChallenger({ mode: "split", share: 0.25 });
  const ready = await (await edge.app.request("/readyz")).json();
  assert.equal(ready.status, "ready");
  assert.deepEqual(ready.model, { name: "tiny", version: "7" });
  assert.equal(ready.challenger.status, "ready");
  assert.equal(ready.challenger.mode, "split");
  assert.equal(ready.challenger.share, 0.25);
  assert.deepEqual(ready.challenger.model, { name: "tiny", version: "8" });
  const model = await (await edge.app.request("/v1/model")).json();
  assert.equal(model.version, "7");
  assert.equal(model.challenger.version, "8");
  assert.equal(model.challenger.mode, "split");
  assert.deepEqual(model.challenger.classes, ["no", "yes"]);
});

Deno.test("a challenger that does not fit the champion is refused with one line; the champion serves", async () => {
  const base = tinyBundle();
  const cases: [string, ModelBundle, RegExp][] = [
    [
      "other classes",
      contrarian({ schema: { ...base.schema, classes: ["no", "maybe"] } }),
      /^challenger refused: its classes "no", "maybe" differ from the champion's "no", "yes"$/,
    ],
    [
      "a missing feature",
      contrarian({ schema: { ...base.schema, features: [base.schema.features[0]] } }),
      /^challenger refused: it lacks features the champion takes: "color"$/,
    ],
    [
      "an extra feature",
      contrarian({
        schema: {
          ...base.schema,
          features: [...base.schema.features, { name: "age", kind: "numeric", fill: 0 }],
        },
      }),
      /^challenger refused: it uses features the champion does not take: "age"$/,
    ],
    [
      "a feature of another kind",
      contrarian({
        schema: {
          ...base.schema,
          features: [
            { name: "x", kind: "categorical", encoding: "binary", categories: ["1"] },
            base.schema.features[1],
          ],
        },
      }),
      /^challenger refused: feature "x" is categorical there, numeric in the champion$/,
    ],
  ];
  for (const [what, bundle, reason] of cases) {
    await using edge = await championAndChallenger({ mode: "shadow", share: 0.1 }, {}, bundle);
    const state = edge.challenger!.holder.state;
    assert.equal(state.status, "failed", what);
    assert.match(state.status === "failed" ? state.reason : "", reason, what);
    const ready = await edge.app.request("/readyz");
    assert.equal(ready.status, 200, what);
    const body = await ready.json();
    assert.equal(body.challenger.status, "failed");
    assert.match(body.challenger.reason, reason);
    const p = await (await post(edge, "/v1/predict", BLUE_LOW)).json();
    assert.equal(p.label, "no", `${what}: the champion alone answers`);
    const m = await metrics(edge);
    assert.equal(total(m, "mlops_predictions_total", { model_role: "challenger" }), 0);
  }
  // The order of features may differ: requests name them, and each model encodes its own.
  const reordered = contrarian({
    schema: {
      ...base.schema,
      features: [base.schema.features[1], base.schema.features[0]],
      encodedNames: ["color=red", "x"],
      encodedSource: [0, 1],
    },
    featureStats: [base.featureStats[1], base.featureStats[0]],
  });
  reordered.forest.feature = Int32Array.from([1, -1, -1, 0, -1, -1]);
  await using edge = await championAndChallenger({ mode: "shadow", share: 0.1 }, {}, reordered);
  assert.equal(edge.challenger!.holder.state.status, "ready");
  const fb = await (await post(edge, "/v1/feedback", { features: BLUE_LOW, actual: "yes" })).json();
  assert.deepEqual(fb.answers.map((a: { predicted: string }) => a.predicted), ["no", "yes"]);
});

Deno.test("a challenger whose bundle cannot be read leaves the champion serving, and says why", async () => {
  await using edge = createEdge(testConfig({
    challenger: {
      model: { kind: "path", path: "/nonexistent/challenger" },
      mode: "shadow",
      share: 0.1,
    },
  }));
  await edge.load(tinyBundle());
  const state = await edge.loadChallenger();
  assert.equal(state.status, "failed");
  assert.match(state.status === "failed" ? state.reason : "", /\/nonexistent\/challenger/);
  assert.equal((await post(edge, "/v1/predict", BLUE_LOW)).status, 200);
});

Deno.test("config: challenger variables, and the combinations that mean nothing are refused", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(configFromEnv(env({})).challenger, null);
  assert.deepEqual(
    configFromEnv(env({ CHALLENGER_MODEL_PATH: "edge/model/challenger" })).challenger,
    {
      model: { kind: "path", path: "edge/model/challenger" },
      mode: "shadow",
      share: 0.1,
    },
  );
  assert.deepEqual(
    configFromEnv(env({
      CHALLENGER_MODEL_URL: "https://models.example/c.json",
      CHALLENGER_MODE: "split",
      CHALLENGER_SHARE: "0.25",
    })).challenger,
    { model: { kind: "url", url: "https://models.example/c.json" }, mode: "split", share: 0.25 },
  );
  const cases: [Record<string, string>, RegExp][] = [
    [
      { CHALLENGER_MODEL_PATH: "a", CHALLENGER_MODEL_URL: "https://x.example/b" },
      /^set CHALLENGER_MODEL_PATH or CHALLENGER_MODEL_URL, not both$/,
    ],
    [
      { CHALLENGER_MODEL_URL: "ftp://x.example/b" },
      /^CHALLENGER_MODEL_URL must be http\(s\) or file/,
    ],
    [{ CHALLENGER_MODEL_URL: "::" }, /^CHALLENGER_MODEL_URL is not a valid URL$/],
    [
      { CHALLENGER_MODEL_PATH: "a", CHALLENGER_MODE: "canary" },
      /^CHALLENGER_MODE must be shadow or split/,
    ],
    [
      { CHALLENGER_MODEL_PATH: "a", CHALLENGER_MODE: "split", CHALLENGER_SHARE: "1.5" },
      /^CHALLENGER_SHARE must be a number in \[0, 1\], got "1.5"$/,
    ],
    [
      { CHALLENGER_MODEL_PATH: "a", CHALLENGER_MODE: "split", CHALLENGER_SHARE: "10%" },
      /^CHALLENGER_SHARE must be a number in \[0, 1\]/,
    ],
    [
      { CHALLENGER_MODEL_PATH: "a", CHALLENGER_SHARE: "0.2" },
      /^CHALLENGER_SHARE applies to CHALLENGER_MODE=split only/,
    ],
    [{ CHALLENGER_MODE: "split" }, /^CHALLENGER_MODE is set but there is no challenger/],
    [{ CHALLENGER_SHARE: "0.2" }, /^CHALLENGER_SHARE is set but there is no challenger/],
  ];
  for (const [vars, message] of cases) {
    assert.throws(() => configFromEnv(env(vars)), (e: unknown) => {
      assert.ok(isUserError(e), JSON.stringify(vars));
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("status page: champion and challenger side by side, from this instance", async () => {
  await using edge = await championAndChallenger({ mode: "shadow", share: 0.1 });
  const solo = await (await edge.app.request("/v1/status")).json();
  assert.equal(solo.models.length, 2);
  for (let i = 0; i < 4; i++) {
    const p = await (await post(edge, "/v1/predict", BLUE_LOW)).json();
    await post(edge, "/v1/feedback", { prediction_id: p.prediction_id, actual: "no" });
  }
  const s = await (await edge.app.request("/v1/status")).json();
  assert.deepEqual(
    s.models.map((
      m: { role: string; version: string; answers: string },
    ) => [m.role, m.version, m.answers]),
    [
      ["champion", "7", "every request"],
      ["challenger", "8", "none: it scores every request in shadow"],
    ],
  );
  assert.deepEqual(
    s.models.map((
      m: { live_accuracy: { value: number; labels: number } },
    ) => [m.live_accuracy.value, m.live_accuracy.labels]),
    [
      [1, 4],
      [0, 4],
    ],
  );
  assert.equal(s.live_accuracy.value, 1, "the public figure is what clients got");
  const page = await (await edge.app.request("/")).text();
  assert.match(page, /id="compare-section" hidden/);
  // Without a challenger the comparison is empty (and the section stays hidden).
  await using alone = createEdge(testConfig());
  await alone.load(tinyBundle());
  assert.deepEqual((await (await alone.app.request("/v1/status")).json()).models, []);
});

Deno.test("status page: with Prometheus, each model's accuracy over all instances", async () => {
  const seen: string[] = [];
  await using prom = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const query = new URLSearchParams(await req.text()).get("query") ?? "";
    seen.push(query);
    const result = query.startsWith("sum by (model_role, model_version, outcome)")
      ? [
        ["champion", "7", "correct", 60],
        ["champion", "7", "incorrect", 40],
        ["challenger", "8", "correct", 90],
        ["challenger", "8", "incorrect", 10],
      ].map(([model_role, model_version, outcome, n]) => ({
        metric: { model_role, model_version, outcome },
        value: [0, String(n)],
      }))
      : [];
    return Response.json({ status: "success", data: { resultType: "vector", result } });
  });
  await using edge = await championAndChallenger({ mode: "split", share: 0.2 }, {
    prometheusUrl: `http://127.0.0.1:${prom.addr.port}`,
  });
  const s = await (await edge.app.request("/v1/status")).json();
  assert.equal(s.source, "prometheus");
  assert.deepEqual(
    s.models.map((
      m: { role: string; answers: string; live_accuracy: { value: number; labels: number } },
    ) => [
      m.role,
      m.answers,
      m.live_accuracy.value,
      m.live_accuracy.labels,
    ]),
    [["champion", "80% of clients", 0.6, 100], ["challenger", "20% of clients", 0.9, 100]],
  );
  assert.ok(seen.some((q) => q.includes('job="mlops-edge"') && q.includes("mlops_feedback_total")));
});

/** One OIP V2 request per feature tensor for `instances` (the tiny model's x and color). */
function inferBody(instances: { x: number; color: string }[]) {
  return {
    inputs: [
      { name: "x", shape: [instances.length], datatype: "FP64", data: instances.map((i) => i.x) },
      {
        name: "color",
        shape: [instances.length],
        datatype: "BYTES",
        data: instances.map((i) => i.color),
      },
    ],
  };
}

/** An OIP answer: who answered (body and header) and its labels. */
async function infer(
  edge: Edge,
  path: string,
  instances: { x: number; color: string }[],
  headers: Record<string, string> = {},
) {
  const res = await post(edge, path, inferBody(instances), headers);
  assert.equal(res.status, 200, path);
  const body = await res.json();
  assert.equal(
    res.headers.get("x-model-version"),
    body.model_version,
    "the header names the model whose answer the body holds",
  );
  assert.equal(res.headers.get("x-model-name"), body.model_name);
  return { version: body.model_version as string, labels: body.outputs[0].data as string[] };
}

Deno.test("oip shadow: the challenger scores every infer, the client gets the champion's answer", async () => {
  await using edge = await championAndChallenger({ mode: "shadow", share: 0.1 });
  for (const path of ["/v2/models/tiny/infer", "/v2/models/tiny/versions/7/infer"]) {
    const a = await infer(edge, path, [BLUE_LOW, RED_HIGH, BLUE_LOW]);
    assert.deepEqual(a, { version: "7", labels: ["no", "yes", "no"] }, path);
  }
  await new Promise((r) => setTimeout(r, 20)); // the shadow scores after the answer
  const m = await metrics(edge);
  assert.equal(total(m, "mlops_predictions_total", CHAMPION), 6);
  assert.equal(total(m, "mlops_predictions_total", CHALLENGER), 6, "the shadow scored both");
  assert.equal(total(m, "mlops_predictions_total", { ...CHALLENGER, class: "yes" }), 4);
  const ops = await (await edge.app.request("/v1/ops")).json();
  assert.equal(ops.predictions.total, 6, "the shadow's answers are not traffic");

  // A shadow that throws never fails the request; it is counted.
  const shadow = edge.challenger!.model!;
  shadow.predict = () => {
    throw new Error("broken challenger");
  };
  const a = await infer(edge, "/v2/models/tiny/infer", [RED_HIGH]);
  assert.deepEqual(a, { version: "7", labels: ["yes"] });
  await new Promise((r) => setTimeout(r, 20));
  const failed = await metrics(edge);
  assert.equal(
    total(failed, "mlops_validation_failures_total", { reason: "challenger_failed" }),
    1,
  );
});

Deno.test("oip split: the challenger answers its share of infer requests, sticky per client", async () => {
  const share = 0.3;
  await using edge = await championAndChallenger({ mode: "split", share });
  // Drawn one by one without a client id.
  const n = 1000;
  let drawn = 0;
  for (let i = 0; i < n; i++) {
    const a = await infer(edge, "/v2/models/tiny/infer", [BLUE_LOW]);
    assert.deepEqual(
      a.labels,
      [a.version === "8" ? "yes" : "no"],
      "the answer is the named model's",
    );
    if (a.version === "8") drawn++;
  }
  const sd = Math.sqrt(n * share * (1 - share));
  assert.ok(Math.abs(drawn - n * share) < 4.5 * sd, `challenger answered ${drawn} of ${n}`);
  // Sticky per X-Client-Id, and the same choice as /v1/predict makes for that client.
  const clients = 300;
  let sticky = 0;
  for (let i = 0; i < clients; i++) {
    const h = { "x-client-id": `client-${i}` };
    const seen = new Set<string>();
    for (const instance of [BLUE_LOW, RED_HIGH, BLUE_LOW]) {
      seen.add((await infer(edge, "/v2/models/tiny/infer", [instance], h)).version);
    }
    const v1 = await (await post(edge, "/v1/predict", BLUE_LOW, h)).json();
    seen.add(v1.model.version);
    assert.equal(seen.size, 1, `client-${i} met ${[...seen]}`);
    if (seen.has("8")) sticky++;
  }
  const sdc = Math.sqrt(clients * share * (1 - share));
  assert.ok(Math.abs(sticky - clients * share) < 4.5 * sdc, `${sticky} of ${clients} clients`);
  const m = await metrics(edge);
  assert.equal(total(m, "mlops_predictions_total", CHALLENGER), drawn + sticky * 4);
  assert.equal(total(m, "mlops_predictions_total", CHAMPION), n + clients * 4 - drawn - sticky * 4);
});

Deno.test("oip: a version in the path is answered by that version, champion or challenger", async () => {
  for (const [mode, share] of [["shadow", 0.1], ["split", 0], ["split", 1]] as const) {
    const what = `${mode} ${share}`;
    await using edge = await championAndChallenger({ mode, share });
    for (let i = 0; i < 5; i++) {
      const h = { "x-client-id": `c${i}` };
      const champion = await infer(edge, "/v2/models/tiny/versions/7/infer", [BLUE_LOW], h);
      assert.deepEqual(champion, { version: "7", labels: ["no"] }, what);
      const challenger = await infer(edge, "/v2/models/tiny/versions/8/infer", [BLUE_LOW], h);
      assert.deepEqual(challenger, { version: "8", labels: ["yes"] }, what);
    }
    const none = await post(edge, "/v2/models/tiny/versions/6/infer", inferBody([BLUE_LOW]));
    assert.equal(none.status, 404, what);
    assert.match((await none.json()).error, /has no version "6" here/, what);
    const other = await post(edge, "/v2/models/other/versions/8/infer", inferBody([BLUE_LOW]));
    assert.equal(other.status, 404, what);
    await other.body?.cancel();
    await new Promise((r) => setTimeout(r, 20));
    // Metadata and readiness by version: each model's own, and the headers name it.
    for (const [version, classesOf] of [["7", "champion"], ["8", "challenger"]] as const) {
      const meta = await edge.app.request(`/v2/models/tiny/versions/${version}`);
      assert.equal(meta.status, 200, `${what} metadata ${version}`);
      assert.equal(meta.headers.get("x-model-version"), version, what);
      const body = await meta.json();
      assert.equal(body.name, "tiny", what);
      assert.deepEqual(body.versions, [version], `${what} ${classesOf}`);
      const ready = await edge.app.request(`/v2/models/tiny/versions/${version}/ready`);
      assert.equal(ready.status, 200, what);
      assert.equal(ready.headers.get("x-model-version"), version, what);
      assert.deepEqual(await ready.json(), { name: "tiny", ready: true }, what);
    }
    const unversioned = await edge.app.request("/v2/models/tiny");
    assert.equal(unversioned.headers.get("x-model-version"), "7", what);
    assert.deepEqual((await unversioned.json()).versions, ["7"], what);
    const missing = await edge.app.request("/v2/models/tiny/versions/6/ready");
    assert.equal(missing.status, 404, what);
    await missing.body?.cancel();
    const m = await metrics(edge);
    // Addressed to the challenger: it answers, and nothing shadows it. Addressed to the
    // champion: in shadow mode the challenger still scores it, as it scores every request.
    assert.equal(total(m, "mlops_predictions_total", CHAMPION), 5, what);
    assert.equal(total(m, "mlops_predictions_total", CHALLENGER), mode === "shadow" ? 10 : 5, what);
  }
});
