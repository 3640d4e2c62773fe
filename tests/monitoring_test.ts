import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { needs, PARTS } from "./support/parts.ts";
import { metricNames } from "./support/promql.ts";

/** Tests for monitoring/: Prometheus, Alertmanager and Grafana configs. */

const ROOT = new URL("../", import.meta.url);
const p = (rel: string) => decodeURIComponent(new URL(rel, ROOT).pathname);

const PROMTOOL = PARTS.promtool.path;
const AMTOOL = PARTS.amtool.path;

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, { args, cwd: p(".") }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout) + dec.decode(stderr) };
}

type Rule = {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
const RULES = parse(await Deno.readTextFile(p("monitoring/rules/mlops.rules.yml"))) as {
  groups: { name: string; rules: Rule[] }[];
};
const ALL_RULES = RULES.groups.flatMap((g) => g.rules);

/**
 * Metric names the edge defines: every `"mlops_*"` string literal in
 * edge/telemetry, plus `_bucket`/`_sum`/`_count` for those created as histograms.
 */
async function edgeMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const e of Deno.readDir(p("edge/telemetry"))) {
    if (!e.name.endsWith(".ts")) continue;
    const src = await Deno.readTextFile(p(`edge/telemetry/${e.name}`));
    for (const m of src.matchAll(/(createHistogram\(\s*)?"(mlops_[a-z0-9_]+)"/g)) {
      names.add(m[2]);
      if (m[1]) { for (const s of ["_bucket", "_sum", "_count"]) names.add(m[2] + s); }
    }
  }
  return names;
}

Deno.test("monitoring: metricNames extracts only metric names", () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route=~"x|y"}[$__rate_interval]))) / b and on (job) c > 1e-9',
    ),
    ["a_bucket", "b", "c"],
  );
});

Deno.test("monitoring: every metric in the rules is exported by edge/telemetry", async () => {
  const edge = await edgeMetricNames();
  assert.ok(edge.has("mlops_http_requests_total") && edge.has("mlops_feature_bin_total"));
  const recorded = new Set(ALL_RULES.flatMap((r) => r.record ? [r.record] : []));
  for (const r of ALL_RULES) {
    for (const name of metricNames(r.expr)) {
      assert.ok(
        edge.has(name) || recorded.has(name) || name === "up",
        `${r.record ?? r.alert}: ${name} is neither an edge metric nor a recording rule`,
      );
    }
  }
});

Deno.test("monitoring: alerts carry severity and annotations; each is tested firing and not", async () => {
  const wanted = [
    "EdgeDown",
    "HighErrorRate",
    "HighLatencyP99",
    "LiveAccuracyDrop",
    "FeatureDrift",
    "ValidationFailuresSpike",
    "NoPredictions",
    "ModelChanged",
    "ModelNotReady",
    "EdgeScrapedAcrossInstances",
  ];
  const alerts = ALL_RULES.filter((r) => r.alert);
  for (const name of wanted) assert.ok(alerts.some((a) => a.alert === name), `missing ${name}`);
  for (const a of alerts) {
    assert.match(a.labels?.severity ?? "", /^(critical|warning|info)$/, a.alert);
    assert.ok(a.annotations?.summary && a.annotations?.description, a.alert);
  }
  const tests = parse(await Deno.readTextFile(p("monitoring/rules/mlops.rules.test.yml"))) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
  };
  const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const name of new Set(alerts.map((a) => a.alert!))) {
    const mine = cases.filter((c) => c.alertname === name);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${name} never tested firing`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${name} never tested quiet`);
  }
});

Deno.test(needs(["promtool"], {
  name: "monitoring: promtool check config / check rules / test rules",
  async fn() {
    const [config, rules, unit] = await Promise.all([
      run(PROMTOOL, ["check", "config", "monitoring/prometheus.yml"]),
      run(PROMTOOL, ["check", "rules", "monitoring/rules/mlops.rules.yml"]),
      run(PROMTOOL, ["test", "rules", "monitoring/rules/mlops.rules.test.yml"]),
    ]);
    assert.equal(config.code, 0, config.out);
    assert.match(config.out, /SUCCESS/);
    assert.equal(rules.code, 0, rules.out);
    assert.equal(unit.code, 0, unit.out);
    assert.match(unit.out, /SUCCESS/);
  },
}));

Deno.test(needs(["amtool"], {
  name: "monitoring: amtool check-config and routing by severity",
  async fn() {
    const check = await run(AMTOOL, ["check-config", "monitoring/alertmanager.yml"]);
    assert.equal(check.code, 0, check.out);
    const route = async (...labels: string[]) =>
      (await run(AMTOOL, [
        "config",
        "routes",
        "test",
        "--config.file=monitoring/alertmanager.yml",
        ...labels,
      ])).out.split("\n")[0].trim();
    // Every alert goes to the mlops bot (bot/). Telegram's native receiver (the
    // fallback for when the bot is the problem) is commented out until it has a real
    // token: out of the box nothing is sent to a placeholder.
    assert.equal(await route("severity=critical"), "mlops-bot");
    assert.equal(await route("severity=warning"), "mlops-bot");
    assert.equal(await route("severity=info"), "mlops-bot");
    assert.equal(await route("alertname=Watchdog", "severity=none"), "mlops-bot");
    assert.equal(await route("job=mlops-bot", "severity=critical"), "mlops-bot");
    const shipped = await Deno.readTextFile(p("monitoring/alertmanager.yml"));
    const live = shipped.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
    assert.doesNotMatch(live, /REPLACE|telegram_configs/, "no receiver with a placeholder");
    // Uncommented, the fallback route and receiver are a valid config that routes there.
    // The commented blocks follow these two lines; uncomment each up to the first live line.
    let uncommenting = false;
    const enabled = shipped.split("\n").map((line) => {
      if (/Off until the telegram-fallback|Uncomment with the route above/.test(line)) {
        uncommenting = true;
        return line;
      }
      const m = /^(\s*)# (.*)$/.exec(line);
      if (!uncommenting || !m) {
        uncommenting = false;
        return line;
      }
      return m[1] + m[2];
    }).join("\n");
    const dir = await Deno.makeTempDir({ prefix: "mlops-am-fallback-" });
    try {
      await Deno.writeTextFile(`${dir}/alertmanager.yml`, enabled);
      const checked = await run(AMTOOL, ["check-config", `${dir}/alertmanager.yml`]);
      assert.equal(checked.code, 0, checked.out + enabled);
      const routed = await run(AMTOOL, [
        "config",
        "routes",
        "test",
        `--config.file=${dir}/alertmanager.yml`,
        "job=mlops-bot",
        "severity=critical",
      ]);
      assert.equal(routed.out.split("\n")[0].trim(), "telegram-fallback,mlops-bot");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("monitoring: grafana provisioning, compose and otel collector configs are consistent", async () => {
  const dsFile = parse(
    await Deno.readTextFile(p("monitoring/grafana/provisioning/datasources/prometheus.yml")),
  ) as { datasources: { uid: string; url: string }[] };
  assert.ok(dsFile.datasources.some((d) => d.uid === "prometheus" && d.url.endsWith(":9090")));
  const dashProv = parse(
    await Deno.readTextFile(p("monitoring/grafana/provisioning/dashboards/mlops.yml")),
  ) as { providers: { options: { path: string } }[] };

  const compose = parse(await Deno.readTextFile(p("monitoring/compose.yml"))) as {
    services: Record<string, { image: string; volumes?: string[] }>;
  };
  assert.deepEqual(
    Object.keys(compose.services).sort(),
    ["alertmanager", "grafana", "otel-collector", "prometheus"],
  );
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const v of svc.volumes ?? []) {
      const [host, container] = v.split(":");
      if (!host.startsWith(".")) continue; // named volume
      assert.ok(
        await Deno.stat(p(`monitoring/${host}`)).then(() => true, () => false),
        `${name}: ${host} does not exist`,
      );
      if (host === "./grafana/dashboards") {
        assert.equal(container, dashProv.providers[0].options.path);
      }
    }
  }

  const otel = parse(await Deno.readTextFile(p("monitoring/otel-collector.yml"))) as {
    receivers: { otlp: { protocols: { http: { endpoint: string } } } };
    processors: Record<string, { keys?: string[] }>;
    exporters: { prometheus: { endpoint: string; add_metric_suffixes: boolean } };
    service: {
      pipelines: { metrics: { receivers: string[]; processors: string[]; exporters: string[] } };
    };
  };
  assert.match(otel.receivers.otlp.protocols.http.endpoint, /:4318$/);
  assert.match(otel.exporters.prometheus.endpoint, /:9464$/);
  assert.equal(otel.exporters.prometheus.add_metric_suffixes, false);
  const metrics = otel.service.pipelines.metrics;
  assert.deepEqual(metrics.receivers, ["otlp"]);
  assert.ok(metrics.exporters.includes("prometheus"));
  // The edge's per-process id becomes the resource's, hence the instance label.
  assert.ok(metrics.processors.includes("groupbyattrs"));
  const { INSTANCE_ATTRIBUTE } = await import("../edge/telemetry/instance_meter.ts");
  assert.deepEqual(otel.processors.groupbyattrs.keys, [INSTANCE_ATTRIBUTE]);

  // Both paths are jobs that are always on; their targets come from files.
  const prom = parse(await Deno.readTextFile(p("monitoring/prometheus.yml"))) as {
    scrape_configs: {
      job_name: string;
      honor_labels?: boolean;
      file_sd_configs?: { files: string[] }[];
    }[];
  };
  const jobs = new Map(prom.scrape_configs.map((j) => [j.job_name, j]));
  const targetsOf = async (job: string) => {
    const file = jobs.get(job)!.file_sd_configs![0].files[0];
    return (parse(await Deno.readTextFile(p(`monitoring/${file}`))) as { targets: string[] }[])
      .flatMap((g) => g.targets);
  };
  assert.deepEqual(await targetsOf("mlops-edge"), ["127.0.0.1:8000"]);
  // The collector is opt-in: listed, with none running, it would be a down target.
  assert.deepEqual(await targetsOf("mlops-edge-otlp"), []);
  // compose.yml runs one, and mounts a list naming it over the empty one.
  const composeTargets = parse(
    await Deno.readTextFile(p("monitoring/targets/compose/otel-collector.yml")),
  ) as { targets: string[] }[];
  assert.deepEqual(composeTargets.flatMap((g) => g.targets), ["127.0.0.1:9464"]);
  const composed = parse(await Deno.readTextFile(p("monitoring/compose.yml"))) as {
    services: Record<string, { volumes?: string[] }>;
  };
  assert.ok(
    composed.services.prometheus.volumes?.includes(
      "./targets/compose/otel-collector.yml:/etc/prometheus/targets/otel-collector.yml:ro",
    ),
  );
  assert.equal(jobs.get("mlops-edge-otlp")!.honor_labels, true);
});

Deno.test("monitoring: run_stack.ts explains the apt-get install when binaries are missing", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-check", "--allow-read", "--allow-env", p("monitoring/run_stack.ts")],
    env: { PROMETHEUS_BIN: "/nonexistent/prometheus", ALERTMANAGER_BIN: "/nonexistent/am" },
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 1, err);
  assert.match(err, /apt-get install -y prometheus prometheus-alertmanager/);
  assert.match(err, /docker compose -f monitoring\/compose\.yml/);
});
