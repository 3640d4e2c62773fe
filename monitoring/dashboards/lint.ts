/**
 * The rules of Grafana's dashboard-linter (github.com/grafana/dashboard-linter)
 * that apply to Prometheus dashboards, over the dashboard JSON model, with
 * PromQL parsed by Prometheus' own grammar (`@prometheus-io/lezer-promql`,
 * the parser of Prometheus' web UI):
 *
 * | rule | checks |
 * | --- | --- |
 * | `template-datasource-rule` | a `datasource` variable (label "Data source") of type prometheus |
 * | `template-job-rule`, `template-instance-rule` | `job`/`instance` query variables on `$datasource`, labelled "Job"/"Instance", multi-select, all value `.+` |
 * | `template-label-promql-rule` | variable queries are `label_values(<valid PromQL>, <label>)` (or `label_names`, `metrics`, `query_result`) |
 * | `panel-datasource-rule` | every panel queries `$datasource` |
 * | `panel-units-rule` | every stat, time series, table, gauge and bar gauge panel has a known unit |
 * | `target-promql-rule` | every query parses (Grafana variables replaced by placeholders) |
 * | `target-rate-interval-rule` | `rate()`/`irate()` ranges are `$__rate_interval` |
 * | `target-job-rule`, `target-instance-rule` | every selector matches `job=~"$job"` and `instance=~"$instance"` |
 * | `target-counter-agg-rule` | `_total` counters only inside `rate`, `irate` or `increase` |
 *
 * @module
 */
import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";

/** One finding. */
export interface LintProblem {
  rule: string;
  message: string;
}

/** The parts of Grafana's dashboard JSON the rules read. */
export interface DashboardJson {
  title: string;
  templating?: { list?: TemplateJson[] };
  panels?: PanelJson[];
}

interface TemplateJson {
  name: string;
  type: string;
  label?: string;
  query?: unknown;
  datasource?: { uid?: string };
  multi?: boolean;
  allValue?: string;
}

interface PanelJson {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string }[];
  panels?: PanelJson[];
  fieldConfig?: { defaults?: { unit?: string } };
}

/** Units Grafana knows that these dashboards may use (a subset of its list). */
const UNITS = new Set([
  "none",
  "short",
  "string",
  "percent",
  "percentunit",
  "s",
  "ms",
  "bytes",
  "reqps",
  "ops",
  "rps",
  "cps",
]);
const PANELS_WITH_UNITS = new Set(["stat", "timeseries", "table", "gauge", "bargauge", "graph"]);
const DATASOURCE_UIDS = new Set(["$datasource", "${datasource}"]);
/** A duration no dashboard writes by hand: what `$__rate_interval` is replaced with. */
const RATE_INTERVAL = "7777s";

/** Replaces Grafana variables with values PromQL accepts. */
function expand(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, RATE_INTERVAL)
    .replace(/\$__(interval|range)\b|\$\{__(interval|range)\}/g, "300s")
    .replace(/\$__(interval_ms|range_ms|range_s)\b/g, "300");
}

/** Parses PromQL; null when the grammar finds an error. */
export function parsePromQL(expr: string): SyntaxNode | null {
  const tree = parser.parse(expand(expr));
  let ok = true;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) ok = false;
    },
  });
  return ok ? tree.topNode : null;
}

/**
 * The vector selectors in `expr` (`metric{matchers}`), as written: what must
 * have data for the expression to mean anything.
 *
 * @example
 * ```ts
 * vectorSelectors('sum(rate(a_total{job="x"}[5m])) / b'); // ['a_total{job="x"}', "b"]
 * ```
 */
export function vectorSelectors(expr: string): string[] {
  const root = parsePromQL(expr);
  if (!root) throw new SyntaxError(`invalid PromQL: ${expr}`);
  const text = expand(expr);
  return [...descendants(root, "VectorSelector")].map((n) => text.slice(n.from, n.to));
}

function* descendants(node: SyntaxNode, name: string): Generator<SyntaxNode> {
  const cursor = node.cursor();
  do {
    if (cursor.name === name) yield cursor.node;
  } while (cursor.next());
}

/** The function a node is an argument of (through a range or offset), if any. */
function enclosingCall(node: SyntaxNode, text: string): string | null {
  let n: SyntaxNode | null = node.parent;
  while (n && (n.name === "MatrixSelector" || n.name === "OffsetExpr")) n = n.parent;
  if (n?.name !== "FunctionCallBody") return null;
  const id = n.parent?.getChild("FunctionIdentifier");
  return id ? text.slice(id.from, id.to) : null;
}

/** `label=~"value"` matchers of a vector selector. */
function matchers(selector: SyntaxNode, text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of descendants(selector, "UnquotedLabelMatcher")) {
    const name = m.getChild("LabelName"), op = m.getChild("MatchOp"), value = m.getChild("StringLiteral");
    if (!name || !op || !value) continue;
    out.set(text.slice(name.from, name.to), text.slice(op.from, op.to) + text.slice(value.from, value.to));
  }
  return out;
}

function targetProblems(expr: string): LintProblem[] {
  const root = parsePromQL(expr);
  if (!root) return [{ rule: "target-promql-rule", message: `invalid PromQL: ${expr}` }];
  const text = expand(expr);
  const problems: LintProblem[] = [];
  for (const m of descendants(root, "MatrixSelector")) {
    const call = enclosingCall(m, text);
    const range = m.getChild("DurationExpr") ?? m.lastChild;
    const duration = range ? text.slice(range.from, range.to) : "";
    if ((call === "rate" || call === "irate") && duration !== RATE_INTERVAL) {
      problems.push({
        rule: "target-rate-interval-rule",
        message: `${call}() should use $__rate_interval, uses [${duration}]: ${expr}`,
      });
    }
  }
  for (const v of descendants(root, "VectorSelector")) {
    const id = v.getChild("Identifier");
    const name = id ? text.slice(id.from, id.to) : "";
    const found = matchers(v, text);
    for (const label of ["job", "instance"]) {
      if (found.get(label) !== `=~"$${label}"`) {
        problems.push({
          rule: `target-${label}-rule`,
          message: `${name || "selector"} lacks ${label}=~"$${label}": ${expr}`,
        });
      }
    }
    if (name.endsWith("_total")) {
      const call = v.parent?.name === "MatrixSelector" ? enclosingCall(v, text) : null;
      if (call !== "rate" && call !== "irate" && call !== "increase") {
        problems.push({
          rule: "target-counter-agg-rule",
          message: `counter ${name} is not inside rate, irate or increase: ${expr}`,
        });
      }
    }
  }
  return problems;
}

function templateProblems(d: DashboardJson): LintProblem[] {
  const list = d.templating?.list ?? [];
  const problems: LintProblem[] = [];
  const ds = list.filter((t) => t.type === "datasource");
  if (ds.length === 0) {
    problems.push({ rule: "template-datasource-rule", message: "no templated data source" });
  }
  for (const t of ds) {
    if (t.name !== "datasource" && t.name !== "prometheus_datasource") {
      problems.push({
        rule: "template-datasource-rule",
        message: `data source variable named '${t.name}', should be 'datasource'`,
      });
    }
    if (t.query !== "prometheus") {
      problems.push({
        rule: "template-datasource-rule",
        message: `data source variable queries '${t.query}', should be 'prometheus'`,
      });
    }
    if (t.label !== "Data source" && t.label !== "Prometheus data source") {
      problems.push({
        rule: "template-datasource-rule",
        message: `data source variable labelled '${t.label}', should be 'Data source'`,
      });
    }
  }
  for (const name of ["job", "instance"]) {
    const rule = `template-${name}-rule`;
    const t = list.find((v) => v.name === name);
    if (!t) {
      problems.push({ rule, message: `no ${name} variable` });
      continue;
    }
    const label = name[0].toUpperCase() + name.slice(1);
    if (!DATASOURCE_UIDS.has(t.datasource?.uid ?? "")) {
      problems.push({ rule, message: `${name} variable should use $datasource` });
    }
    if (t.type !== "query") problems.push({ rule, message: `${name} variable should be a query` });
    if (t.label !== label) problems.push({ rule, message: `${name} variable should be labelled ${label}` });
    if (t.multi !== true) problems.push({ rule, message: `${name} variable should be multi-select` });
    if (t.allValue !== ".+") problems.push({ rule, message: `${name} variable allValue should be .+` });
  }
  for (const t of list.filter((v) => v.type === "query")) {
    const query = typeof t.query === "string"
      ? t.query
      : String((t.query as { query?: string } | undefined)?.query ?? "");
    const m = /^(label_values|label_names|metrics|query_result)\((.*)\)$/.exec(query.trim());
    let ok = m !== null;
    if (m?.[1] === "label_values") {
      const comma = m[2].lastIndexOf(",");
      const [expr, label] = comma < 0 ? ["", m[2]] : [m[2].slice(0, comma), m[2].slice(comma + 1)];
      ok = /^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*$/.test(label) &&
        (expr.trim() === "" || parsePromQL(expr.replace(/\$(\w+)/g, "x")) !== null);
    } else if (m?.[1] === "query_result") ok = parsePromQL(m[2]) !== null;
    if (!ok) {
      problems.push({
        rule: "template-label-promql-rule",
        message: `variable ${t.name} has an invalid query: ${query}`,
      });
    }
  }
  return problems;
}

/**
 * Every problem the rules find in `d`.
 *
 * @example
 * ```ts
 * const problems = lintDashboard(JSON.parse(await Deno.readTextFile("dash.json")));
 * for (const p of problems) console.error(`${p.rule}: ${p.message}`);
 * ```
 */
export function lintDashboard(d: DashboardJson): LintProblem[] {
  const problems = templateProblems(d);
  const panels = (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  for (const p of panels) {
    if (p.type === "row") continue;
    const at = (x: LintProblem) => ({ ...x, message: `panel '${p.title}': ${x.message}` });
    if (!DATASOURCE_UIDS.has(p.datasource?.uid ?? "")) {
      problems.push(at({
        rule: "panel-datasource-rule",
        message: `does not use a templated data source, uses '${p.datasource?.uid}'`,
      }));
    }
    if (PANELS_WITH_UNITS.has(p.type) && !UNITS.has(p.fieldConfig?.defaults?.unit ?? "")) {
      problems.push(at({
        rule: "panel-units-rule",
        message: `no or unknown unit '${p.fieldConfig?.defaults?.unit ?? ""}'`,
      }));
    }
    for (const t of p.targets ?? []) {
      if (t.expr !== undefined) problems.push(...targetProblems(t.expr).map(at));
    }
  }
  return problems;
}
