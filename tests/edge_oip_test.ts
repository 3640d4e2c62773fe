/**
 * Open Inference Protocol (V2) conformance (issue 16 item 3), written from
 * the published specification, not from our code:
 *
 * - KServe's "Open Inference Protocol" REST specification,
 *   github.com/kserve/open-inference-protocol,
 *   specification/protocol/inference_rest.md (the API table: `v2/health/live`,
 *   `v2/health/ready`, `v2/models/<model_name>[/versions/<model_version>]`,
 *   `.../ready`, `.../infer`; `$inference_request`, `$inference_response`,
 *   `$ready_model_response`, `$metadata_model_response`, and its example
 *   request with `"id" : "42"`) and specification/protocol/open_inference_rest.yaml
 *   (`inference_error_response`: `{"error": string}`; `metadata_server_response`:
 *   `name`, `version`, `extensions`; `response_output`: `name`, `shape`,
 *   `datatype`, `data`).
 * - MLServer's "Content Types (and Codecs)" user guide
 *   (docs.seldon.ai/mlserver/user-guide/content-type): a pandas DataFrame
 *   travels as one input per column, strings as `BYTES`.
 * - Tensor data is row-major and may be nested or flat (the spec's
 *   "Tensor Data" section; its example sends shape `[2, 2]` as `[1, 2, 3, 4]`).
 */
import { strict as assert } from "node:assert";
import { createEdge } from "../edge/edge.ts";
import { post, readyEdge, testConfig } from "./support/edge_harness.ts";

// The tiny model: x ≤ 5 and not red → "no" [0.8, 0.2]; x > 5 and red → "yes" [0.15, 0.85].
const PER_FEATURE = {
  id: "42",
  inputs: [
    { name: "x", shape: [2], datatype: "FP32", data: [1, 9] },
    { name: "color", shape: [2], datatype: "BYTES", data: ["blue", "red"] },
  ],
};

function near(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-6, `${a} ≉ ${expected[i]}`));
}

async function errorOf(res: Response, status: number, what: string): Promise<string> {
  assert.equal(res.status, status, what);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/, what);
  const body = await res.json();
  assert.equal(typeof body.error, "string", `${what}: ${JSON.stringify(body)}`);
  assert.ok(body.error.length > 0, what);
  return body.error;
}

Deno.test("oip: server live, ready and metadata", async () => {
  await using edge = createEdge(testConfig());
  const live = await edge.app.request("/v2/health/live");
  assert.equal(live.status, 200);
  assert.deepEqual(await live.json(), { live: true });
  const notYet = await edge.app.request("/v2/health/ready");
  assert.equal(notYet.status, 503, "a readiness probe must see the status");
  assert.deepEqual(await notYet.json(), { ready: false });
  const modelNotYet = await edge.app.request("/v2/models/tiny/ready");
  assert.equal(modelNotYet.status, 503);
  assert.deepEqual(await modelNotYet.json(), { name: "tiny", ready: false });
  await errorOf(await post(edge, "/v2/models/tiny/infer", PER_FEATURE), 503, "infer while loading");

  const { tinyBundle } = await import("./support/tiny_bundle.ts");
  await edge.load(tinyBundle());
  const ready = await edge.app.request("/v2/health/ready");
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true });
  const meta = await (await edge.app.request("/v2")).json();
  assert.equal(typeof meta.name, "string");
  assert.equal(typeof meta.version, "string");
  assert.ok(Array.isArray(meta.extensions));
});

Deno.test("oip: model metadata and model ready, plain and versioned", async () => {
  await using edge = await readyEdge();
  for (const base of ["/v2/models/tiny", "/v2/models/tiny/versions/7"]) {
    const res = await edge.app.request(base);
    assert.equal(res.status, 200, base);
    const m = await res.json();
    assert.equal(m.name, "tiny");
    assert.deepEqual(m.versions, ["7"]);
    assert.equal(typeof m.platform, "string");
    // $metadata_tensor: name, datatype, shape (-1 for a variable dimension).
    assert.deepEqual(m.inputs, [
      { name: "x", datatype: "FP64", shape: [-1] },
      { name: "color", datatype: "BYTES", shape: [-1] },
    ]);
    assert.deepEqual(m.outputs.map((o: { name: string }) => o.name), ["label", "probabilities"]);
    for (const o of m.outputs) {
      assert.equal(typeof o.datatype, "string");
      assert.ok(Array.isArray(o.shape));
    }
    const ready = await edge.app.request(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { name: "tiny", ready: true });
  }
  for (
    const path of [
      "/v2/models/other",
      "/v2/models/other/ready",
      "/v2/models/tiny/versions/8",
      "/v2/models/tiny/versions/8/ready",
      "/v2/models/other/versions/7",
    ]
  ) {
    assert.match(await errorOf(await edge.app.request(path), 404, path), /tiny|version/);
  }
});

Deno.test("oip: infer with one tensor per feature (MLServer's pandas layout)", async () => {
  await using edge = await readyEdge();
  for (const path of ["/v2/models/tiny/infer", "/v2/models/tiny/versions/7/infer"]) {
    const res = await post(edge, path, PER_FEATURE);
    assert.equal(res.status, 200, path);
    const body = await res.json();
    assert.equal(body.model_name, "tiny");
    assert.equal(body.model_version, "7");
    assert.equal(body.id, "42", "the request's id is returned");
    const [label, proba] = body.outputs;
    assert.deepEqual(label, { name: "label", shape: [2], datatype: "BYTES", data: ["no", "yes"] });
    assert.equal(proba.name, "probabilities");
    assert.deepEqual(proba.shape, [2, 2]);
    assert.equal(proba.datatype, "FP64");
    near(proba.data, [0.8, 0.2, 0.15, 0.85]);
  }
  // [N, 1] columns, integer types, and a requested subset of outputs.
  const res = await post(edge, "/v2/models/tiny/infer", {
    inputs: [
      { name: "color", shape: [3, 1], datatype: "BYTES", data: [["red"], ["blue"], ["red"]] },
      { name: "x", shape: [3, 1], datatype: "INT32", data: [9, 1, 2] },
    ],
    outputs: [{ name: "label" }],
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.outputs, [
    { name: "label", shape: [3], datatype: "BYTES", data: ["yes", "no", "no"] },
  ]);
  assert.equal(typeof body.id, "string", "an id even when the request has none");
  // null is a missing value: x goes left (≤ 5), color is "not red": [0.8, 0.2].
  const missing = await (await post(edge, "/v2/models/tiny/infer", {
    inputs: [
      { name: "x", shape: [1], datatype: "FP64", data: [null] },
      { name: "color", shape: [1], datatype: "BYTES", data: [null] },
    ],
  })).json();
  near(missing.outputs[1].data, [0.8, 0.2]);
  assert.equal(body.id, res.headers.get("x-request-id"));
});

Deno.test("oip: infer with one 2-D tensor in schema order, nested or flat", async () => {
  await using edge = await readyEdge();
  for (
    const data of [
      [["1", "blue"], ["9", "red"]],
      ["1", "blue", "9", "red"],
    ]
  ) {
    const res = await post(edge, "/v2/models/tiny/infer", {
      inputs: [{ name: "input-0", shape: [2, 2], datatype: "BYTES", data }],
    });
    assert.equal(res.status, 200, JSON.stringify(data));
    const body = await res.json();
    assert.deepEqual(body.outputs[0].data, ["no", "yes"]);
    near(body.outputs[1].data, [0.8, 0.2, 0.15, 0.85]);
  }
});

Deno.test("oip: bad requests are 4xx in the protocol's error shape, never 500", async () => {
  await using edge = await readyEdge({ maxBatch: 4 });
  const tensor = (over: Record<string, unknown>) => ({
    inputs: [{ ...PER_FEATURE.inputs[0], ...over }, PER_FEATURE.inputs[1]],
  });
  const cases: [string, unknown, number, RegExp][] = [
    ["not JSON", "{", 400, /JSON/i],
    ["no inputs", { id: "1" }, 400, /inputs/],
    ["empty inputs", { inputs: [] }, 400, /inputs/],
    ["id not a string", { ...PER_FEATURE, id: 42 }, 400, /id/],
    ["unknown datatype", tensor({ datatype: "STRING" }), 400, /datatype/],
    ["shape vs data", tensor({ shape: [3] }), 400, /shape|values/],
    ["negative shape", tensor({ shape: [-2] }), 400, /shape/],
    ["too deep", tensor({ data: [[[1]], [[9]]] }), 400, /nested|shape/],
    ["FP32 given text", tensor({ data: ["1", "9"] }), 400, /numbers/],
    ["INT8 out of range", tensor({ datatype: "INT8", data: [1, 900] }), 400, /INT8/],
    ["UINT8 negative", tensor({ datatype: "UINT8", data: [1, -1] }), 400, /UINT8/],
    [
      "BYTES given a number",
      {
        inputs: [PER_FEATURE.inputs[0], { ...PER_FEATURE.inputs[1], data: ["blue", 7] }],
      },
      400,
      /BYTES/,
    ],
    ["unknown input", tensor({ name: "y" }), 400, /not a feature/],
    ["input sent twice", { inputs: [PER_FEATURE.inputs[0], PER_FEATURE.inputs[0]] }, 400, /twice/],
    ["a feature without input", { inputs: [PER_FEATURE.inputs[0]] }, 400, /no input for "color"/],
    ["rows differ", tensor({ shape: [1], data: [1] }), 400, /rows/],
    ["unknown output", { ...PER_FEATURE, outputs: [{ name: "logits" }] }, 400, /outputs/],
    [
      "2-D of wrong width",
      {
        inputs: [{ name: "m", shape: [1, 3], datatype: "BYTES", data: ["1", "red", "x"] }],
      },
      400,
      /\[rows, 2\]/,
    ],
    [
      "a number the model cannot read",
      {
        inputs: [{ name: "m", shape: [1, 2], datatype: "BYTES", data: ["abc", "red"] }],
      },
      400,
      /decimal/,
    ],
    [
      "over MAX_BATCH",
      {
        inputs: [
          { name: "x", shape: [5], datatype: "FP64", data: [1, 2, 3, 4, 5] },
          {
            name: "color",
            shape: [5],
            datatype: "BYTES",
            data: ["red", "red", "red", "red", "red"],
          },
        ],
      },
      413,
      /limit/,
    ],
  ];
  for (const [what, body, status, message] of cases) {
    const res = await post(edge, "/v2/models/tiny/infer", body);
    assert.match(await errorOf(res, status, what), message, what);
  }
  await errorOf(
    await post(edge, "/v2/models/tiny/infer", PER_FEATURE, { "content-type": "text/plain" }),
    415,
    "content type",
  );
  await errorOf(await post(edge, "/v2/models/other/infer", PER_FEATURE), 404, "unknown model");
  await errorOf(
    await post(edge, "/v2/models/tiny/versions/6/infer", PER_FEATURE),
    404,
    "unknown version",
  );
  await errorOf(await edge.app.request("/v2/nothing"), 404, "unknown v2 path");
  await errorOf(
    await edge.app.request("/v2/models/tiny/infer"),
    404,
    "GET on infer",
  );

  // Random garbage in every field: always a 4xx with {"error"}.
  const junk: unknown[] = [null, 0, -1, 1e308, "", "x", true, [], {}, [[]], [null], { a: 1 }];
  let n = 0;
  for (const name of junk.slice(0, 6)) {
    for (const shape of junk) {
      for (const data of junk) {
        const datatype = ["FP32", "BYTES", "BOOL", 7][n++ % 4];
        const res = await post(edge, "/v2/models/tiny/infer", {
          inputs: [{ name, shape, datatype, data }],
        });
        assert.ok(
          res.status >= 400 && res.status < 500,
          `${res.status} for ${JSON.stringify({ name, shape, data })}`,
        );
        assert.equal(typeof (await res.json()).error, "string");
      }
    }
  }
});

Deno.test("oip: keys guard infer, errors name no key, and every answer says who answered", async () => {
  await using edge = await readyEdge({ apiKeys: ["k1"] });
  const denied = await post(edge, "/v2/models/tiny/infer", PER_FEATURE, {
    "x-request-id": "oip-1",
  });
  await errorOf(denied.clone(), 401, "no key");
  assert.equal((await denied.json()).request_id, "oip-1");
  assert.equal(denied.headers.get("x-request-id"), "oip-1");
  assert.equal(denied.headers.get("x-model-name"), "tiny");
  const ok = await post(edge, "/v2/models/tiny/infer", PER_FEATURE, { authorization: "Bearer k1" });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-model-name"), "tiny");
  assert.equal(ok.headers.get("x-model-version"), "7");
  assert.ok(ok.headers.get("x-request-id"));
  await ok.body?.cancel();
  // Probes and metadata stay open, as /healthz and /v1/model do.
  for (
    const path of [
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/tiny",
      "/v2/models/tiny/ready",
    ]
  ) {
    const res = await edge.app.request(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("x-model-name"), "tiny", path);
    assert.ok(res.headers.get("x-request-id"), path);
    await res.body?.cancel();
  }
});

Deno.test("oip: metrics count infer under its route template, whatever names clients send", async () => {
  await using edge = await readyEdge();
  await (await post(edge, "/v2/models/tiny/infer", PER_FEATURE)).body?.cancel();
  for (let i = 0; i < 5; i++) {
    await (await post(edge, `/v2/models/made-up-${i}/infer`, PER_FEATURE)).body?.cancel();
  }
  const metrics = await (await edge.app.request("/metrics")).text();
  assert.match(metrics, /route="\/v2\/models\/:name\/infer",status="200"\} 1/);
  assert.match(metrics, /route="\/v2\/models\/:name\/infer",status="404"\} 5/);
  assert.doesNotMatch(metrics, /made-up/);
  assert.match(metrics, /^mlops_predictions_total\{[^}]*model_role="champion",class="no"\} 1$/m);
});

Deno.test("oip: the OpenAPI document describes the V2 routes", async () => {
  await using edge = await readyEdge();
  const spec = await (await edge.app.request("/openapi.json")).json();
  for (
    const path of [
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/{name}",
      "/v2/models/{name}/ready",
      "/v2/models/{name}/infer",
      "/v2/models/{name}/versions/{version}/infer",
    ]
  ) {
    assert.ok(spec.paths[path], path);
  }
  const infer = spec.paths["/v2/models/{name}/infer"].post;
  assert.ok(infer.requestBody.content["application/json"].schema);
  assert.ok(infer.responses["400"]);
  const refs = JSON.stringify(spec).match(/#\/components\/schemas\/\w+/g) ?? [];
  for (const ref of refs) assert.ok(spec.components.schemas[ref.split("/").at(-1)!], ref);
});
