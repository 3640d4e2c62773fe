/**
 * `deno task monitor` brings up the whole local stack with one command and
 * Ctrl-C stops exactly what it started: run for real (Prometheus and
 * Alertmanager from Debian, the edge it starts), on free loopback ports.
 */
import { strict as assert } from "node:assert";
import { writeBundle } from "../lib/model/io.ts";
import { monitorPlan } from "../monitoring/stack.ts";
import { spawnChild } from "./support/child.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { freePort } from "./support/monitoring_parts.ts";
import { needs, PARTS } from "./support/parts.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

Deno.test("monitor plan: external URLs, the edge only when none runs, the chosen metrics path, Grafana when found", () => {
  const env = { PROMETHEUS_ADDR: "127.0.0.1:19090", ALERTMANAGER_ADDR: "127.0.0.1:19093" };
  const plan = monitorPlan(env, "/d", { edgeRunning: false, grafanaBin: null });
  assert.deepEqual(plan.services.map((s) => s.name), ["alertmanager", "prometheus", "edge"]);
  const arg = (name: string, flag: string) =>
    plan.services.find((s) => s.name === name)!.args.find((a) => a.startsWith(flag));
  // Alert links point at the addresses used, not at this machine's host name.
  assert.equal(
    arg("prometheus", "--web.external-url="),
    "--web.external-url=http://127.0.0.1:19090/",
  );
  assert.equal(
    arg("alertmanager", "--web.external-url="),
    "--web.external-url=http://127.0.0.1:19093/",
  );
  const edge = plan.services.find((s) => s.name === "edge")!;
  assert.equal(edge.env.PROMETHEUS_URL, "http://127.0.0.1:19090");
  assert.equal(edge.env.ALERTMANAGER_URL, "http://127.0.0.1:19093");
  assert.match(plan.files["/d/targets/mlops-edge.yml"], /127\.0\.0\.1:8000/);
  assert.doesNotMatch(plan.files["/d/targets/otel-collector.yml"], /9464/);
  assert.match(plan.files["/d/prometheus.yml"], /- 127\.0\.0\.1:19093/);
  assert.ok(
    plan.notes.some((n) => n.includes("docker compose -f monitoring/compose.yml up -d grafana")),
  );
  for (const u of ["Prometheus", "Alertmanager", "Status page", "Operator view", "Scraping"]) {
    assert.ok(plan.urls.some((x) => x.what === u), u);
  }

  const push = monitorPlan({ EDGE_METRICS: "otlp" }, "/d", {
    edgeRunning: false,
    grafanaBin: "/opt/bin/grafana",
  });
  assert.equal(push.files["/d/targets/mlops-edge.yml"].trim(), "[]");
  assert.match(push.files["/d/targets/otel-collector.yml"], /127\.0\.0\.1:9464/);
  const pushedEdge = push.services.find((s) => s.name === "edge")!;
  assert.equal(pushedEdge.env.OTEL_DENO, "true");
  assert.equal(pushedEdge.env.OTEL_SERVICE_NAME, "mlops-edge");
  const grafana = push.services.find((s) => s.name === "grafana")!;
  assert.deepEqual(grafana.args.slice(0, 1), ["server"]);
  assert.match(grafana.env.GF_PATHS_PROVISIONING, /^\/d\/grafana\/provisioning$/);
  assert.match(
    push.files["/d/grafana/provisioning/datasources/prometheus.yml"],
    /127\.0\.0\.1:9090/,
  );
  assert.match(
    push.files["/d/grafana/provisioning/dashboards/mlops.yml"],
    /monitoring\/grafana\/dashboards/,
  );
  assert.ok(push.urls.some((u) => u.what === "Grafana"));

  const running = monitorPlan({}, "/d", { edgeRunning: true, grafanaBin: null });
  assert.ok(!running.services.some((s) => s.name === "edge"));
  assert.ok(running.notes.some((n) => /already running/.test(n)));
});

Deno.test(needs(["promtool"], {
  name: "monitor plan: the Prometheus config it writes passes promtool check config",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-monitor-plan-" });
    try {
      const plan = monitorPlan({}, dir, { edgeRunning: false, grafanaBin: null });
      for (const [file, text] of Object.entries(plan.files)) {
        await Deno.mkdir(file.replace(/\/[^/]*$/, ""), { recursive: true });
        await Deno.writeTextFile(file, text);
      }
      const out = await new Deno.Command(PARTS.promtool.path, {
        args: ["check", "config", `${dir}/prometheus.yml`],
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.match(text, /SUCCESS: 2 rule files found/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

/** `deno task monitor` as a child process; resolves once it printed that all is up. */
async function runMonitor(env: Record<string, string>) {
  const child = spawnChild(Deno.execPath(), {
    args: [
      "run",
      "--allow-run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      `${ROOT}monitoring/run_stack.ts`,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", PATH: "/usr/bin:/bin", ...env },
    killAfterMs: 20_000,
  });
  await child.waitFor(
    (out) => out.includes("mlops monitoring is up") && out.includes("Ctrl-C stops"),
    { timeoutMs: 40_000, intervalMs: 100, what: "monitor did not come up" },
  );
  return {
    output: child.output,
    /** Ctrl-C, then the exit code. */
    async interrupt(): Promise<number> {
      return (await child.stop("SIGINT")).code;
    },
  };
}

const up = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2000) }).then(async (r) => {
    await r.body?.cancel();
    return r.ok;
  }, () => false);

Deno.test(needs(["prometheus", "alertmanager"], {
  name:
    "monitor: one command brings up Prometheus, Alertmanager and the edge; alert links work; Ctrl-C stops them all",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-monitor-run-" });
    try {
      await writeBundle(`${dir}/model`, tinyBundle());
      const prom = `127.0.0.1:${freePort()}`, am = `127.0.0.1:${freePort()}`;
      const edge = `http://127.0.0.1:${freePort()}`;
      const m = await runMonitor({
        PROMETHEUS_ADDR: prom,
        ALERTMANAGER_ADDR: am,
        EDGE_URL: edge,
        MODEL_PATH: `${dir}/model`,
      });
      const out = m.output();
      for (
        const line of [
          `http://${prom}/`,
          `http://${am}/`,
          `${edge}/`,
          `${edge}/ops`,
          "up -d grafana",
        ]
      ) {
        assert.ok(out.includes(line), `printed ${line}:\n${out}`);
      }
      assert.ok(await up(`${edge}/readyz`), "the edge it started serves the model");
      // Prometheus scrapes it, and the Watchdog reaches Alertmanager with a link
      // to this Prometheus (not http://<hostname>:9090).
      // Bounded, but past Prometheus' resend delay (1 min): on a loaded 2-core
      // machine the first notification has been seen not to arrive (firing in
      // Prometheus, absent in Alertmanager after 60 s); the resend then does.
      let watchdog: { generatorURL: string } | undefined;
      const deadline = Date.now() + 90_000;
      while (!watchdog && Date.now() < deadline) {
        const alerts = await (await fetch(`http://${am}/api/v2/alerts`)).json() as {
          labels: { alertname: string };
          generatorURL: string;
        }[];
        watchdog = alerts.find((a) => a.labels.alertname === "Watchdog");
        if (!watchdog) await new Promise((r) => setTimeout(r, 250));
      }
      if (!watchdog) {
        const alerts = await fetch(`http://${prom}/api/v1/alerts`).then((r) => r.text(), String);
        const ams = await fetch(`http://${prom}/api/v1/alertmanagers`).then(
          (r) => r.text(),
          String,
        );
        const notifier = (await fetch(`http://${prom}/metrics`).then((r) => r.text(), String))
          .split("\n").filter((l) => l.startsWith("prometheus_notifications_")).join("\n");
        assert.fail(
          `the Watchdog did not reach Alertmanager.\nPrometheus alerts: ${alerts}\n` +
            `alertmanagers: ${ams}\nnotifier:\n${notifier}\noutput:\n${m.output().slice(-6000)}`,
        );
      }
      assert.ok(watchdog.generatorURL.startsWith(`http://${prom}/graph`), watchdog.generatorURL);
      // The first scrape of the edge may come after the first rule evaluation.
      let q: { data: { result: { value: [number, string] }[] } } | undefined;
      for (let i = 0; i < 120 && q?.data.result[0]?.value[1] !== "1"; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 250));
        q = await (await fetch(`http://${prom}/api/v1/query?query=up{job="mlops-edge"}`)).json();
      }
      assert.equal(q?.data.result[0]?.value[1], "1", JSON.stringify(q));
      const status = await (await fetch(`${edge}/v1/status`)).json();
      assert.equal(status.source, "prometheus", "the status page reads this Prometheus");

      assert.equal(await m.interrupt(), 0);
      for (const url of [`http://${prom}/-/ready`, `http://${am}/-/ready`, `${edge}/healthz`]) {
        assert.equal(await up(url), false, `${url} still answers after Ctrl-C`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needs(["prometheus", "alertmanager"], {
  name: "monitor: an edge that was already running is used, and left running on Ctrl-C",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-monitor-edge-" });
    try {
      await writeBundle(`${dir}/model`, tinyBundle());
      await using edge = await startEdgeProcess({ MODEL_PATH: `${dir}/model` });
      const prom = `127.0.0.1:${freePort()}`, am = `127.0.0.1:${freePort()}`;
      const m = await runMonitor({
        PROMETHEUS_ADDR: prom,
        ALERTMANAGER_ADDR: am,
        EDGE_URL: edge.url,
      });
      assert.match(m.output(), /Using the edge already running/);
      assert.equal(await m.interrupt(), 0);
      assert.equal(await up(`http://${prom}/-/ready`), false);
      assert.ok(await up(`${edge.url}/healthz`), "the edge it did not start is still up");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needs(["prometheus", "alertmanager"], {
  name: "monitor: a busy edge that answers /healthz slowly is used, not doubled on its port",
  async fn() {
    // A loaded machine's edge: /healthz answers, but after 1.5 s (the old probe gave up
    // after 1 s and planned a second edge on the same port, which then could not listen).
    const ac = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      async (req) => {
        await new Promise((r) => setTimeout(r, 1500));
        const path = new URL(req.url).pathname;
        return path === "/healthz" ? Response.json({ status: "ok" }) : new Response("", {
          status: 404,
        });
      },
    );
    try {
      const prom = `127.0.0.1:${freePort()}`, am = `127.0.0.1:${freePort()}`;
      const m = await runMonitor({
        PROMETHEUS_ADDR: prom,
        ALERTMANAGER_ADDR: am,
        EDGE_URL: `http://127.0.0.1:${server.addr.port}`,
      });
      assert.match(m.output(), /Using the edge already running/);
      assert.doesNotMatch(m.output(), /edge did not become ready/);
      assert.equal(await m.interrupt(), 0);
    } finally {
      ac.abort();
      await server.finished;
    }
  },
}));
