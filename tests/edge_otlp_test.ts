/**
 * The push path, as Deno Deploy runs it: two edge processes with the same
 * environment (OTEL_DENO=true, one OTEL_SERVICE_NAME, no instance id given)
 * export OTLP/HTTP to a receiver on loopback. Their series must carry
 * distinct `service.instance.id`s, and the counters summed over instances
 * must equal the requests each was sent.
 */
import { strict as assert } from "node:assert";
import { writeBundle } from "../lib/model/io.ts";
import { fetchWithin, startEdgeProcess } from "./support/edge_process.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

type AnyValue = { stringValue?: string; intValue?: string; doubleValue?: number };
type Attr = { key: string; value: AnyValue };
type Point = { attributes?: Attr[]; asDouble?: number; asInt?: string; timeUnixNano: string };
type Metric = { name: string; sum?: { dataPoints: Point[] }; gauge?: { dataPoints: Point[] } };
type Export = {
  resourceMetrics: {
    resource: { attributes: Attr[] };
    scopeMetrics: { metrics: Metric[] }[];
  }[];
};

const attr = (attrs: Attr[] | undefined, key: string) =>
  attrs?.find((a) => a.key === key)?.value.stringValue;

Deno.test("otlp: two edge processes push series with distinct instance ids that sum to the traffic", async () => {
  const exports: Export[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/v1/metrics") exports.push(await req.json());
    else await req.body?.cancel();
    return Response.json({});
  });
  const dir = await Deno.makeTempDir({ prefix: "mlops-otlp-" });
  try {
    await writeBundle(`${dir}/model`, tinyBundle());
    const env = {
      MODEL_PATH: `${dir}/model`,
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_METRIC_EXPORT_INTERVAL: "200",
      OTEL_SERVICE_NAME: "mlops-edge",
    };
    await using one = await startEdgeProcess(env);
    await using two = await startEdgeProcess(env);
    const sent = new Map<string, number>();
    for (const [edge, n] of [[one, 7], [two, 12]] as const) {
      let ok = 0;
      for (let i = 0; ok < n && i < 400; i++) {
        const res = await fetchWithin(`${edge.url}/v1/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ x: i % 10, color: i % 2 ? "red" : "blue" }),
        });
        await res.body?.cancel();
        if (res.status === 200) ok++;
        else await new Promise((r) => setTimeout(r, 10)); // still loading the model
      }
      assert.equal(ok, n);
      sent.set(edge.url, n);
    }

    /** Latest cumulative value per instance id of `name`'s points matching `where`. */
    const latest = (name: string, where: (p: Point) => boolean) => {
      const byInstance = new Map<string, { t: bigint; v: number }>();
      for (const e of exports) {
        for (const rm of e.resourceMetrics) {
          for (const sm of rm.scopeMetrics) {
            for (const m of sm.metrics.filter((m) => m.name === name)) {
              for (const p of (m.sum ?? m.gauge)?.dataPoints ?? []) {
                if (!where(p)) continue;
                const id = attr(p.attributes, "service.instance.id") ?? "(none)";
                const t = BigInt(p.timeUnixNano);
                const v = p.asDouble ?? Number(p.asInt);
                if ((byInstance.get(id)?.t ?? -1n) < t) byInstance.set(id, { t, v });
              }
            }
          }
        }
      }
      return byInstance;
    };
    const predictOk = (p: Point) =>
      attr(p.attributes, "route") === "/v1/predict" && attr(p.attributes, "status") === "200";
    const total = 7 + 12;
    const deadline = Date.now() + 15_000;
    let counts = latest("mlops_http_requests_total", predictOk);
    while ([...counts.values()].reduce((s, c) => s + c.v, 0) < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      counts = latest("mlops_http_requests_total", predictOk);
    }

    // Two instances, each with its own random id; none without one.
    const ids = [...counts.keys()];
    assert.equal(ids.length, 2, `instance ids: ${ids.join(", ")}`);
    assert.ok(!counts.has("(none)"));
    for (const id of ids) assert.match(id, /^[0-9a-f-]{36}$/);
    // Summed over instances, the counter is exactly the traffic: neither
    // instance's series overwrote the other's.
    assert.deepEqual([...counts.values()].map((c) => c.v).sort((a, b) => a - b), [7, 12]);
    assert.equal([...counts.values()].reduce((s, c) => s + c.v, 0), total);
    // Same for what the model saw, and every series is stamped.
    const predictions = latest("mlops_predictions_total", () => true);
    assert.equal(predictions.size, 2);
    const bins = latest("mlops_feature_bin_total", (p) => attr(p.attributes, "feature") === "x");
    assert.deepEqual([...bins.keys()].sort(), ids.sort());
    // The resource names the service; the instance is on the points.
    const resource = exports.at(-1)!.resourceMetrics[0].resource.attributes;
    assert.equal(attr(resource, "service.name"), "mlops-edge");
    // The pulled /metrics is unchanged: Prometheus names the target itself.
    const text = await (await fetchWithin(`${one.url}/metrics`)).text();
    assert.doesNotMatch(text, /service_instance_id|service\.instance\.id/);
    assert.match(
      text,
      /mlops_http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} 7/,
    );
  } finally {
    await receiver.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
