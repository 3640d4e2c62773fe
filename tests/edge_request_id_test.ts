/**
 * Every response says who answered (issue 16 item 4): `X-Request-Id`
 * (the client's when it is a safe token, else generated), `X-Model-Name`
 * and `X-Model-Version`, on every route and every outcome — success, 4xx,
 * 404, the guards' early rejections, 5xx — and the same id and model in
 * error bodies and the access log.
 */
import { strict as assert } from "node:assert";
import { createEdge, type Edge } from "../edge/edge.ts";
import { post, preflight, readyEdge, testConfig } from "./support/edge_harness.ts";
import { parsePrometheusText } from "./support/prometheus_text.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const BLUE_LOW = { x: 1, color: "blue" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Call = [name: string, run: (edge: Edge, headers: Record<string, string>) => Promise<Response>];

const get = (path: string): Call[1] => (edge, headers) =>
  Promise.resolve(edge.app.request(path, { headers }));

/** Every route the edge serves, each in a way that succeeds on a ready edge. */
const ROUTES: Call[] = [
  ["POST /v1/predict", (e, h) => post(e, "/v1/predict", BLUE_LOW, h)],
  ["POST /invocations", (e, h) => post(e, "/invocations", { instances: [BLUE_LOW] }, h)],
  ["POST /v1/feedback", (e, h) => post(e, "/v1/feedback", { features: BLUE_LOW, actual: "no" }, h)],
  ...[
    "/v1/model",
    "/v1/status",
    "/v1/ops",
    "/healthz",
    "/readyz",
    "/ping",
    "/health",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/",
    "/ops",
    "/v2",
    "/v2/health/live",
    "/v2/health/ready",
    "/v2/models/tiny",
    "/v2/models/tiny/ready",
    "/v2/models/tiny/versions/7",
    "/v2/models/tiny/versions/7/ready",
  ].map((p): Call => [`GET ${p}`, get(p)]),
  ...["/v2/models/tiny/infer", "/v2/models/tiny/versions/7/infer"].map((p): Call => [
    `POST ${p}`,
    (e, h) =>
      post(e, p, {
        inputs: [
          { name: "x", shape: [1], datatype: "FP64", data: [1] },
          { name: "color", shape: [1], datatype: "BYTES", data: [null] },
        ],
      }, h),
  ]),
];

function assertIdentity(res: Response, what: string, model: [string, string] | null): string {
  const id = res.headers.get("x-request-id");
  assert.ok(id, `${what}: no X-Request-Id`);
  if (model === null) {
    assert.equal(res.headers.get("x-model-name"), null, what);
    assert.equal(res.headers.get("x-model-version"), null, what);
  } else {
    assert.equal(res.headers.get("x-model-name"), model[0], what);
    assert.equal(res.headers.get("x-model-version"), model[1], what);
  }
  return id;
}

Deno.test("request id: every route answers with a request id and the model's name and version", async () => {
  await using edge = await readyEdge();
  const seen = new Set<string>();
  for (const [name, run] of ROUTES) {
    const res = await run(edge, {});
    assert.equal(res.status, 200, name);
    const id = assertIdentity(res, name, ["tiny", "7"]);
    assert.match(id, UUID, name);
    seen.add(id);
    await res.body?.cancel();
  }
  assert.equal(seen.size, ROUTES.length, "a fresh id per request");
});

Deno.test("request id: a client's safe id is kept, an unsafe or oversized one replaced", async () => {
  await using edge = await readyEdge();
  for (
    const id of [
      "req-42",
      "0af7651916cd43dd8448eb211c80319c",
      "a".repeat(128),
      "Root=1-5e1b:x/y+z@w_v.",
    ]
  ) {
    for (const [name, run] of ROUTES) {
      const res = await run(edge, { "x-request-id": id });
      assert.equal(res.headers.get("x-request-id"), id, name);
      await res.body?.cancel();
    }
  }
  for (const bad of ["a".repeat(129), "two words", "<script>", 'quote"', "semi;colon", "\u00e9"]) {
    for (const [name, run] of ROUTES) {
      const res = await run(edge, { "x-request-id": bad });
      assert.match(res.headers.get("x-request-id")!, UUID, `${name} ${JSON.stringify(bad)}`);
      await res.body?.cancel();
    }
  }
});

Deno.test("request id: errors carry the id and the model in headers and body", async () => {
  await using edge = await readyEdge({ apiKeys: ["k1"], maxBodyBytes: 200 });
  const auth = { authorization: "Bearer k1" };
  const cases: [string, () => Promise<Response>, number, string][] = [
    ["no key (guard)", () => post(edge, "/v1/predict", BLUE_LOW), 401, "UNAUTHORIZED"],
    [
      "malformed key (guard)",
      () => post(edge, "/v1/predict", BLUE_LOW, { authorization: "Basic x" }),
      400,
      "UNAUTHORIZED",
    ],
    [
      "wrong type (guard)",
      () => post(edge, "/v1/predict", BLUE_LOW, { ...auth, "content-type": "text/plain" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["bad json", () => post(edge, "/v1/predict", "{", auth), 400, "INVALID_JSON"],
    ["bad field", () => post(edge, "/v1/predict", { x: "abc" }, auth), 400, "INVALID_INPUT"],
    [
      "too large",
      () => post(edge, "/invocations", { instances: Array(20).fill(BLUE_LOW) }, auth),
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    [
      "unknown id",
      () => post(edge, "/v1/feedback", { prediction_id: "nope", actual: "no" }, auth),
      404,
      "UNKNOWN_PREDICTION_ID",
    ],
    [
      "ops without key (guard)",
      () => Promise.resolve(edge.app.request("/v1/ops")),
      401,
      "UNAUTHORIZED",
    ],
    ["no route", () => Promise.resolve(edge.app.request("/nope")), 404, "NOT_FOUND"],
    [
      "wrong method",
      () => Promise.resolve(edge.app.request("/v1/model", { method: "DELETE" })),
      404,
      "NOT_FOUND",
    ],
  ];
  for (const [what, run, status, code] of cases) {
    for (const sent of [undefined, `case-${status}`]) {
      const res = sent === undefined ? await run() : await withId(run, sent);
      assert.equal(res.status, status, what);
      const id = assertIdentity(res, what, ["tiny", "7"]);
      if (sent !== undefined) assert.equal(id, sent, what);
      const body = await res.json();
      assert.equal(body.error_code, code, what);
      assert.equal(body.request_id, id, what);
      assert.deepEqual(body.model, { name: "tiny", version: "7" }, what);
    }
  }
  // `run` closures do not take headers: send the id by wrapping the app once.
  async function withId(run: () => Promise<Response>, id: string): Promise<Response> {
    const request = edge.app.request.bind(edge.app);
    edge.app.request = ((input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set("x-request-id", id);
      return request(input, { ...init, headers });
    }) as typeof edge.app.request;
    try {
      return await run();
    } finally {
      edge.app.request = request;
    }
  }
});

Deno.test("request id: without a model, 503s and probes carry the id and no model", async () => {
  await using edge = createEdge(testConfig());
  const early = await post(edge, "/v1/predict", BLUE_LOW, { "x-request-id": "early-1" });
  assert.equal(early.status, 503);
  assertIdentity(early, "predict while loading", null);
  const body = await early.json();
  assert.equal(body.request_id, "early-1");
  assert.equal(body.model, undefined);
  for (const path of ["/healthz", "/readyz", "/nope"]) {
    const res = await edge.app.request(path);
    assertIdentity(res, path, null);
    await res.body?.cancel();
  }
  await edge.load(tinyBundle({ version: null }));
  const ready = await edge.app.request("/readyz");
  // An unregistered model says "none", as the metrics' model_version label does.
  assertIdentity(ready, "unregistered", ["tiny", "none"]);
  await ready.body?.cancel();
});

Deno.test("request id: an unexpected failure is a 500 with the id and model, logged with the id", async () => {
  await using edge = await readyEdge();
  edge.monitor.predicted = () => {
    throw new Error("boom");
  };
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    const res = await post(edge, "/v1/predict", BLUE_LOW, { "x-request-id": "five-hundred" });
    assert.equal(res.status, 500);
    assertIdentity(res, "500", ["tiny", "7"]);
    const body = await res.json();
    assert.deepEqual(body, {
      error_code: "INTERNAL_ERROR",
      message: "internal server error",
      request_id: "five-hundred",
      model: { name: "tiny", version: "7" },
    });
  } finally {
    console.error = original;
  }
  assert.equal(errors.length, 1);
  assert.match(errors[0], /request five-hundred/);
});

Deno.test("access log: each line has the request id and the model that answered", async () => {
  const lines: string[] = [];
  const original = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    await using edge = await readyEdge({ accessLog: true });
    await (await post(edge, "/v1/predict", BLUE_LOW, { "x-request-id": "log-1" })).body?.cancel();
    await (await post(edge, "/v1/predict", "{", { "x-request-id": "log-2" })).body?.cancel();
    const res = await edge.app.request("/nope");
    const generated = res.headers.get("x-request-id");
    await res.body?.cancel();
    const parsed = lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      parsed.map((l) => [l.request_id, l.route, l.status, l.model]),
      [
        ["log-1", "/v1/predict", 200, { name: "tiny", version: "7" }],
        ["log-2", "/v1/predict", 400, { name: "tiny", version: "7" }],
        [generated, "unmatched", 404, { name: "tiny", version: "7" }],
      ],
    );
  } finally {
    console.log = original;
  }
});

Deno.test("cors: browsers may send X-Request-Id and X-Client-Id and read who answered", async () => {
  await using edge = await readyEdge({ corsOrigins: ["https://app.example"] });
  const pre = await preflight(
    edge,
    "/v1/predict",
    "https://app.example",
    "content-type,x-request-id,x-client-id",
  );
  assert.match(pre.headers.get("access-control-allow-headers") ?? "", /X-Request-Id/i);
  // Split mode keeps a browser client on one model by its X-Client-Id.
  assert.match(pre.headers.get("access-control-allow-headers") ?? "", /X-Client-Id/i);
  assert.ok(pre.headers.get("x-request-id"));
  const ok = await post(edge, "/v1/predict", BLUE_LOW, { origin: "https://app.example" });
  const exposed = ok.headers.get("access-control-expose-headers") ?? "";
  for (const h of ["X-Request-Id", "X-Model-Name", "X-Model-Version"]) {
    assert.match(exposed, new RegExp(h, "i"));
  }
  await ok.body?.cancel();
});

Deno.test("request id: model names a header cannot carry are percent-encoded, never a 500", async () => {
  for (
    const [name, version, header] of [
      ["ti\x1b]0;pwn\x07ny", "7\x1b[31m", ["ti%1B%5D0%3Bpwn%07ny", "7%1B%5B31m"]],
      ["\u043c\u043e\u0434\u0435\u043b\u044c", "7", ["%D0%BC%D0%BE%D0%B4%D0%B5%D0%BB%D1%8C", "7"]],
      ["caf\u00e9 model", " 7", ["caf%C3%A9%20model", "%207"]],
      ["plain name", "7", ["plain name", "7"]],
    ] as const
  ) {
    await using edge = await readyEdge({}, tinyBundle({ name, version }));
    for (
      const res of [await post(edge, "/v1/predict", BLUE_LOW), await edge.app.request("/nope")]
    ) {
      assert.ok(
        res.status === 200 || res.status === 404,
        `${res.status} for ${JSON.stringify(name)}`,
      );
      assert.deepEqual(
        [res.headers.get("x-model-name"), res.headers.get("x-model-version")],
        header,
      );
      // Bodies are JSON: the name as it is.
      assert.deepEqual((await res.json()).model, { name, version });
    }
  }
});

Deno.test("route labels: the access log and the request metrics name every request's route alike", async () => {
  // Two homes for one idea (request_metrics resolves labels from the route
  // table outside Hono; the access log and errors read Hono's routePath):
  // this keeps them saying the same thing.
  const lines: string[] = [];
  const original = console.log;
  console.log = (line: string) => lines.push(line);
  const calls: Call[] = [
    ...ROUTES,
    ["GET /nope", get("/nope")],
    ["POST /v2/models/other/infer", (e, h) => post(e, "/v2/models/other/infer", {}, h)],
    [
      "HEAD /healthz",
      (e, h) => Promise.resolve(e.app.request("/healthz", { method: "HEAD", headers: h })),
    ],
  ];
  let text: string;
  try {
    await using edge = await readyEdge({ accessLog: true });
    for (const [, run] of calls) await (await run(edge, {})).body?.cancel();
    const logged = lines.length;
    text = await (await edge.app.request("/metrics")).text();
    lines.length = logged; // the scrape's own line is not one of the calls
  } finally {
    console.log = original;
  }
  const fromLog = new Map<string, number>();
  for (const l of lines.map((x) => JSON.parse(x))) {
    const key = `${l.method} ${l.route}`;
    fromLog.set(key, (fromLog.get(key) ?? 0) + 1);
  }
  const fromMetrics = new Map<string, number>();
  const family = parsePrometheusText(text).get("mlops_http_requests_total");
  for (const s of family?.samples ?? []) {
    const key = `${s.labels.method} ${s.labels.route}`;
    fromMetrics.set(key, (fromMetrics.get(key) ?? 0) + s.value);
  }
  assert.equal(lines.length, calls.length);
  assert.deepEqual(
    [...fromMetrics].sort(),
    [...fromLog].sort(),
    "routes in mlops_http_requests_total vs the access log",
  );
  assert.ok(fromLog.has("GET unmatched") && fromLog.has("POST /v2/models/:name/infer"));
});
