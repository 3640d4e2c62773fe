/**
 * The Grafana dashboards are generated from TypeScript (monitoring/dashboards/)
 * and linted with the rules of Grafana's dashboard-linter; the committed JSON
 * must be what the code builds, and every query must parse in Prometheus'
 * own parser (promtool) and use only metrics the edge, the bot or the rules
 * define.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { lintDashboard, renderDashboards } from "../monitoring/dashboards/mod.ts";
import { needs, PARTS } from "./support/parts.ts";
import { metricNames } from "./support/promql.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const rendered = renderDashboards();

type Panel = {
  type: string;
  title: string;
  targets?: { expr: string }[];
  datasource?: { uid: string };
  fieldConfig?: { defaults?: { unit?: string } };
};
type Dashboard = {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: ({ name: string; type: string } & Record<string, unknown>)[] };
};
const dashboards = Object.values(rendered).map((j) => JSON.parse(j) as Dashboard);
const panels = dashboards.flatMap((d) => d.panels.filter((p) => p.type !== "row"));
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

Deno.test("dashboards: the committed JSON is what monitoring/dashboards builds", async () => {
  for (const [file, json] of Object.entries(rendered)) {
    const committed = await Deno.readTextFile(`${ROOT}monitoring/grafana/dashboards/${file}`)
      .catch(() => "(missing)");
    assert.ok(committed === json, `${file} is stale: run deno task dashboards`);
  }
  const files = [...Deno.readDirSync(`${ROOT}monitoring/grafana/dashboards`)].map((e) => e.name);
  assert.deepEqual(files.sort(), Object.keys(rendered).sort(), "no hand-written dashboards beside");
});

Deno.test("dashboards: pass the dashboard-linter rules", () => {
  for (const d of dashboards) assert.deepEqual(lintDashboard(d), [], d.title);
});

Deno.test("dashboards: service and model views with at least 16 panels, rates over $__rate_interval", () => {
  assert.deepEqual(dashboards.map((d) => d.uid).sort(), ["mlops-model", "mlops-service"]);
  assert.ok(panels.length >= 16, `${panels.length} panels`);
  const titles = new Set(panels.map((p) => p.title));
  for (
    const t of [
      "Request rate by route",
      "Error ratio",
      "Latency p50 / p90 / p99 by route",
      "In-flight requests",
      "Batch size p50 / p99",
      "Cold starts",
      "Memory",
      "Event-loop lag",
      "Class mix vs training",
      "Predicted-class probability",
      "Live accuracy (1 h)",
      "Label lag p50 / p90",
      "Label coverage (1 h)",
      "Feature drift (PSI, last hour)",
      "Drift samples vs needed",
      "Unknown categories by feature",
      "Model versions served",
      "Alerts received and delivered",
      "Oldest undelivered alert",
    ]
  ) assert.ok(titles.has(t), `no panel "${t}"`);
  assert.ok(exprs.some((e) => e.includes("rate(") && e.includes("[$__rate_interval]")));
  for (const d of dashboards) {
    assert.deepEqual(
      d.templating.list.map((v) => v.name),
      ["datasource", "job", "instance"],
    );
  }
});

Deno.test("dashboards: the lint rules catch what they are for", () => {
  const broken = structuredClone(dashboards[0]);
  broken.templating.list = broken.templating.list.filter((v) => v.name !== "instance");
  broken.templating.list[0].label = "DS";
  const p = broken.panels.find((x) => x.type === "timeseries")!;
  p.datasource = { uid: "prometheus" };
  p.fieldConfig = { defaults: { unit: "furlongs" } };
  p.targets = [
    { expr: 'sum(rate(mlops_http_requests_total{job=~"$job", instance=~"$instance"}[5m]))' },
    { expr: 'mlops_http_requests_total{job=~"$job", instance=~"$instance"}' },
    { expr: 'mlops_model_ready{job=~"$job"}' },
    { expr: "sum(rate(mlops_http_requests_total[$__rate_interval])" },
  ];
  const rules = new Set(lintDashboard(broken).map((x) => x.rule));
  for (
    const r of [
      "template-instance-rule",
      "template-datasource-rule",
      "panel-datasource-rule",
      "panel-units-rule",
      "target-rate-interval-rule",
      "target-counter-agg-rule",
      "target-instance-rule",
      "target-promql-rule",
    ]
  ) assert.ok(rules.has(r), `${r} not reported: ${[...rules].join(", ")}`);
  const noJob = structuredClone(dashboards[0]);
  noJob.templating.list[1].query = "label_values(up{, job)";
  noJob.templating.list[1].multi = false;
  const r2 = new Set(lintDashboard(noJob).map((x) => x.rule));
  assert.ok(r2.has("template-label-promql-rule") && r2.has("template-job-rule"), [...r2].join());
});

Deno.test("dashboards: query only metrics the edge, the bot or the rules define, and show each", async () => {
  const defined = new Set<string>(["up", "ALERTS"]);
  const edgeAndBot = new Set<string>();
  for (const dir of ["edge/telemetry", "bot"]) {
    for (const e of Deno.readDirSync(`${ROOT}${dir}`)) {
      if (!e.name.endsWith(".ts")) continue;
      const src = await Deno.readTextFile(`${ROOT}${dir}/${e.name}`);
      for (const m of src.matchAll(/(createHistogram\(\s*)?"(mlops_[a-z0-9_]+)"/g)) {
        edgeAndBot.add(m[2]);
        if (m[1]) { for (const s of ["_bucket", "_sum", "_count"]) edgeAndBot.add(m[2] + s); }
      }
    }
  }
  const rules = parse(await Deno.readTextFile(`${ROOT}monitoring/rules/mlops.rules.yml`)) as {
    groups: { rules: { record?: string }[] }[];
  };
  for (const r of rules.groups.flatMap((g) => g.rules)) if (r.record) defined.add(r.record);
  const used = new Set<string>();
  for (const e of exprs) {
    for (const n of metricNames(e)) {
      used.add(n);
      assert.ok(edgeAndBot.has(n) || defined.has(n), `unknown metric ${n} in ${e}`);
    }
  }
  // Every edge instrument is on a dashboard (histograms by one of their series).
  for (const n of edgeAndBot) {
    if (!n.startsWith("mlops_") || n.startsWith("mlops_bot_") || /_(sum|count|bucket)$/.test(n)) {
      continue;
    }
    const shown = used.has(n) || ["_bucket", "_count"].some((s) => used.has(n + s));
    assert.ok(shown, `no dashboard shows ${n}`);
  }
});

Deno.test(needs(["promtool"], {
  name: "dashboards: every query parses in Prometheus (promtool, variables substituted)",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-dash-" });
    try {
      const rules = exprs.map((e, i) => ({
        record: `dashboard:expr_${i}`,
        expr: e.replaceAll("$__rate_interval", "1m").replace(/\$\{?\w+\}?/g, ".+"),
      }));
      const file = `${dir}/dashboard.rules.yml`;
      await Deno.writeTextFile(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
      const out = await new Deno.Command(PARTS.promtool.path, { args: ["check", "rules", file] })
        .output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
