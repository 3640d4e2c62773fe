import { strict as assert } from "node:assert";
import { createEdge } from "../edge/edge.ts";
import { readCsvFile } from "../lib/data/mod.ts";
import { serializeBundle } from "../lib/model/mod.ts";
import { testConfig } from "./support/edge_harness.ts";
import { fetchWithin, startEdgeProcess } from "./support/edge_process.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import { runCli, trainedModel } from "./support/trained_model.ts";
import { ServingModel } from "../edge/serving/serving_model.ts";
import { predictProbaRowScalar } from "../lib/forest/predict.ts";
import { KERNEL_AFTER } from "../lib/forest/row_predictor.ts";
import { readBundle } from "../lib/model/io.ts";

interface CliPrediction {
  prediction: string;
  proba: Record<string, number>;
}

/** Serves `handler` on a free loopback port for the duration of `fn`. */
async function withServer(
  handler: Deno.ServeHandler,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return await fetchWithin(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("server: predictions over HTTP equal `mlops predict` on every Telco row", async () => {
  const { modelDir, csv } = await trainedModel();
  const cli = JSON.parse(
    await runCli(["predict", "--model", modelDir, "--data", csv, "--json"]),
  ) as {
    predictions: CliPrediction[];
  };
  const table = await readCsvFile(csv);
  const records = table.rows.map((row) =>
    Object.fromEntries(table.header.map((h, j) => [h, row[j]]))
  );
  assert.equal(cli.predictions.length, records.length);

  await using edge = createEdge(testConfig({ model: { kind: "path", path: modelDir } }));
  assert.equal((await edge.load()).status, "ready");
  await withServer(edge.app.fetch, async (url) => {
    for (let start = 0; start < records.length; start += 1000) {
      const batch = records.slice(start, start + 1000);
      const res = await postJson(`${url}/v1/predict`, { instances: batch });
      assert.equal(res.status, 200);
      const body = await res.json() as {
        predictions: { label: string; probabilities: Record<string, number> }[];
      };
      body.predictions.forEach((p, i) => {
        const want = cli.predictions[start + i];
        assert.equal(p.label, want.prediction, `row ${start + i}`);
        assert.deepEqual(p.probabilities, want.proba, `row ${start + i}`);
      });
    }

    // Typed JSON (numbers, not strings) and the MLflow protocol agree too.
    const numeric = new Set(["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]);
    const typed = records.slice(0, 500).map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, numeric.has(k) && v.trim() !== "" ? Number(v) : v]),
      )
    );
    const inv = await postJson(`${url}/invocations`, {
      dataframe_split: {
        columns: table.header,
        data: typed.map((r) => table.header.map((h) => r[h])),
      },
    });
    assert.equal(inv.status, 200);
    const { predictions } = await inv.json() as { predictions: string[] };
    assert.deepEqual(predictions, cli.predictions.slice(0, 500).map((p) => p.prediction));
  });
});

Deno.test("server: MODEL_URL is fetched at start; a bad URL fails readiness with a reason", async () => {
  const text = serializeBundle(tinyBundle());
  await withServer((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/m.json") return new Response(text);
    if (path === "/corrupt.json") return new Response(text.slice(0, 200));
    return new Response("nope", { status: 404 });
  }, async (url) => {
    await using ok = createEdge(
      testConfig({ model: { kind: "url", url: `${url}/m.json?sig=abc` } }),
    );
    assert.equal((await ok.load()).status, "ready");
    assert.equal(ok.holder.model?.name, "tiny");

    const cases: [string, RegExp][] = [
      [`${url}/missing.json?sig=SECRET`, /answered 404/],
      [`${url}/corrupt.json`, /corrupt\.json/],
      ["http://127.0.0.1:9/unreachable.json", /cannot fetch MODEL_URL/],
    ];
    for (const [modelUrl, reason] of cases) {
      await using edge = createEdge(testConfig({ model: { kind: "url", url: modelUrl } }));
      const state = await edge.load(undefined, { timeoutMs: 3000 });
      assert.equal(state.status, "failed", modelUrl);
      const body = await (await edge.app.request("/readyz")).json();
      assert.match(body.reason, reason);
      assert.doesNotMatch(body.reason, /SECRET/);
      assert.equal((await edge.app.request("/healthz")).status, 200);
    }
  });
});

Deno.test("process: a missing bundle keeps /healthz up and /readyz says why", async () => {
  await using edge = await startEdgeProcess({ MODEL_PATH: "/nonexistent/bundle-dir" });
  const health = await fetchWithin(`${edge.url}/healthz`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  let ready: Response | undefined;
  for (let i = 0; i < 100; i++) {
    ready = await fetchWithin(`${edge.url}/readyz`);
    const body = await ready.json();
    if (body.status === "failed") {
      assert.equal(ready.status, 503);
      assert.match(body.reason, /\/nonexistent\/bundle-dir/);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const predict = await postJson(`${edge.url}/v1/predict`, { x: 1 });
  assert.equal(predict.status, 503);
  await predict.body?.cancel();
  assert.match(edge.output(), /not ready: .*nonexistent/);
});

Deno.test("process: serves a trained model soon after spawn", async () => {
  const { modelDir, csv } = await trainedModel();
  const table = await readCsvFile(csv);
  const record = Object.fromEntries(table.header.map((h, j) => [h, table.rows[0][j]]));
  const t0 = performance.now();
  await using edge = await startEdgeProcess({ MODEL_PATH: modelDir });
  let first: number | undefined;
  for (let i = 0; i < 500 && first === undefined; i++) {
    const res = await postJson(`${edge.url}/v1/predict`, record);
    if (res.status === 200) first = performance.now() - t0;
    await res.body?.cancel();
    if (first === undefined) await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(first !== undefined, "never served a prediction");
  console.log(`cold start (spawn → first prediction, with test overhead): ${first.toFixed(0)} ms`);
  assert.match(edge.output(), /serving telco-customer-churn/);

  // The first answers come from the stored layout, later ones from the wasm
  // kernel (loaded on the KERNEL_AFTER-th row): every one is what the model
  // predicts in process, to the last bit.
  const model = new ServingModel(await readBundle(modelDir));
  const rows = table.rows.slice(0, KERNEL_AFTER + 8);
  for (const [r, cells] of rows.entries()) {
    const rec = Object.fromEntries(table.header.map((h, j) => [h, cells[j]]));
    const res = await postJson(`${edge.url}/v1/predict`, rec);
    assert.equal(res.status, 200);
    const body = await res.json();
    const encoded = model.predict([rec], () => "");
    assert.ok(encoded.ok);
    const want = predictProbaRowScalar(
      model.bundle.forest,
      Float64Array.from(encoded.value.encoded),
      new Float64Array(model.classes.length),
    );
    assert.deepEqual(model.classes.map((c) => body.probabilities[c]), [...want], `row ${r}`);
  }
});

Deno.test("process: invalid configuration exits 2 with the variable named", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-net", "--allow-sys", "edge/main.ts"],
    cwd: decodeURIComponent(new URL("../", import.meta.url).pathname),
    env: { NO_COLOR: "1", MAX_BATCH: "lots", PORT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /MAX_BATCH must be an integer/);
});

Deno.test("process: with OTEL_DENO=true the same metrics go out over OTLP", async () => {
  const { modelDir, csv } = await trainedModel();
  const table = await readCsvFile(csv);
  const record = Object.fromEntries(table.header.map((h, j) => [h, table.rows[0][j]]));
  const received: string[] = [];
  await withServer(async (req) => {
    if (new URL(req.url).pathname === "/v1/metrics") received.push(await req.text());
    else await req.body?.cancel();
    return Response.json({});
  }, async (collector) => {
    await using edge = await startEdgeProcess({
      MODEL_PATH: modelDir,
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_METRIC_EXPORT_INTERVAL: "200",
      OTEL_SERVICE_NAME: "mlops-edge-test",
    });
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      const res = await postJson(`${edge.url}/v1/predict`, record);
      ok = res.status === 200;
      await res.body?.cancel();
      if (!ok) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(ok, "edge never became ready");
    // /metrics keeps working alongside OTLP.
    const prom = await (await fetchWithin(`${edge.url}/metrics`)).text();
    assert.match(
      prom,
      /mlops_predictions_total\{model_name="[^"]*",model_version="[^"]*",model_role="champion",class="/,
    );
    // An export can fall between a prediction being counted and its request
    // finishing: wait for one that has both.
    const deadline = performance.now() + 10_000;
    while (!received.some(hasAll) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  const otlp = received.find((b) => b.includes("mlops_predictions_total"));
  assert.ok(otlp, `no OTLP export with edge metrics (${received.length} exports seen)`);
  const full = received.find(hasAll) ?? otlp;
  for (const name of EXPORTED) assert.ok(full.includes(name), name);
});

const EXPORTED = [
  "mlops_predictions_total",
  "mlops_http_requests_total",
  "mlops_http_request_duration_seconds",
  "mlops_model_info",
];
const hasAll = (body: string) => EXPORTED.every((name) => body.includes(name));

/**
 * A raw HTTP/1.1 server on a free loopback port: answers every connection
 * with `head`, then spaces (valid leading JSON whitespace) in 1 MiB writes
 * until `maxBytes` are out or the client leaves.
 */
function spaceServer(head: string, maxBytes: number): { url: string } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const chunk = new Uint8Array(1 << 20).fill(0x20);
  const framed = new Uint8Array(chunk.length + 10);
  framed.set(new TextEncoder().encode("100000\r\n"));
  framed.fill(0x20, 8, 8 + chunk.length);
  framed.set([13, 10], 8 + chunk.length);
  const body = head.includes("chunked") ? framed.subarray(0, chunk.length + 10) : chunk;
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      await conn.read(new Uint8Array(16 * 1024)); // the request
      await conn.write(new TextEncoder().encode(head));
      for (let sent = 0; sent < maxBytes; sent += chunk.length) {
        for (let off = 0; off < body.length;) off += await conn.write(body.subarray(off));
      }
    } catch {
      // the edge hung up
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serve(conn);
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await accepting;
    },
  };
}

Deno.test({
  name: "process: a MODEL_URL download stops at MAX_MODEL_BYTES, declared or streamed",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const cases: [string, string][] = [
      ["declares 4 GiB", "HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\n\r\n"],
      ["streams without end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"],
      ["sends until it hangs up", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"],
    ];
    for (const [what, head] of cases) {
      // The server stops at 600 MiB: enough to show no cap, bounded if there is none.
      await using server = spaceServer(head, 600 << 20);
      await using edge = await startEdgeProcess({
        MODEL_URL: `${server.url}/model.json?sig=SECRET`,
        MAX_MODEL_BYTES: String(8 << 20),
      });
      const start = await edge.rssMiB();
      let peak = start;
      let state: { status: string; reason?: string } = { status: "loading" };
      const deadline = performance.now() + 20_000;
      while (state.status === "loading" && performance.now() < deadline && peak - start < 200) {
        await new Promise((r) => setTimeout(r, 25));
        peak = Math.max(peak, await edge.rssMiB());
        state = await (await fetchWithin(`${edge.url}/readyz`)).json();
      }
      console.log(
        `${what}: RSS ${start.toFixed(0)} → peak ${peak.toFixed(0)} MiB, ${state.status}`,
      );
      assert.ok(peak - start < 100, `${what}: RSS grew by ${(peak - start).toFixed(0)} MiB`);
      assert.equal(state.status, "failed", what);
      assert.match(state.reason ?? "", /MAX_MODEL_BYTES \(8388608 bytes\)/, what);
      assert.doesNotMatch(state.reason ?? "", /SECRET/);
      const health = await fetchWithin(`${edge.url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    }
  },
});

Deno.test("server: a bundle just under MAX_MODEL_BYTES loads; one byte less of cap fails", async () => {
  const text = serializeBundle(tinyBundle());
  const size = new TextEncoder().encode(text).length;
  await withServer(() => new Response(text), async (url) => {
    await using fits = createEdge(
      testConfig({ model: { kind: "url", url: `${url}/m.json` }, maxModelBytes: size }),
    );
    assert.equal((await fits.load()).status, "ready");
    await using over = createEdge(
      testConfig({ model: { kind: "url", url: `${url}/m.json` }, maxModelBytes: size - 1 }),
    );
    const state = await over.load();
    assert.equal(state.status, "failed");
    if (state.status === "failed") {
      assert.match(state.reason, new RegExp(`MAX_MODEL_BYTES \\(${size - 1} bytes\\)`));
    }
  });
});

Deno.test("server: a bundle written before format 3 still serves, with the same answers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-old-bundle-" });
  try {
    await Deno.copyFile(
      new URL("./fixtures/bundles/tiny.v1.mlops.json", import.meta.url),
      `${dir}/model.mlops.json`,
    );
    await using edge = createEdge(testConfig({ model: { kind: "path", path: dir } }));
    const state = await edge.load();
    assert.equal(state.status, "ready");
    const want = new ServingModel(tinyBundle());
    for (
      const record of [{ x: 9, color: "red" }, { x: 1, color: "blue" }, { x: 4, color: "red" }]
    ) {
      const res = await edge.app.fetch(
        new Request("http://edge/v1/predict", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(record),
        }),
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      const p = want.predict([record], () => "");
      assert.ok(p.ok);
      assert.deepEqual(want.classes.map((c) => body.probabilities[c]), p.value.proba);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
