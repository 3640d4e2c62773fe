/**
 * `mlops runs list|show|compare`: reading tracked runs back, from our own
 * stores or any MLflow store or server.
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import {
  type ArtifactFile,
  type Experiment,
  hasErrorCode,
  openStore,
  type Run,
  type TrackingStore,
} from "../../lib/mlflow/mod.ts";
import { toJson, type TrackingUriOptions, withJson, withTrackingUri } from "../options.ts";
import { print } from "../output.ts";
import { withCurrentMetricNames } from "../../lib/train/mod.ts";

interface ListOptions extends TrackingUriOptions {
  experiment?: string;
  json?: boolean;
}

interface JsonOptions extends TrackingUriOptions {
  json?: boolean;
}

/** Registers `runs` and its subcommands. */
export function register(program: Command): void {
  const runs = program.command("runs").description("list, show and compare tracked runs");

  withJson(withTrackingUri(
    runs.command("list")
      .description("list runs, child runs nested under their parent")
      .option("--experiment <name>", "only this experiment (default: all)"),
  )).action((opts: ListOptions) => listRuns(opts));

  withJson(withTrackingUri(
    runs.command("show")
      .description("show one run: params, metrics, tags, inputs, artifacts")
      .argument("<run>", "run id, id prefix or run name"),
  )).action((ref: string, opts: JsonOptions) => showRun(ref, opts));

  withJson(withTrackingUri(
    runs.command("compare")
      .description("compare runs side by side; differing params are marked with *")
      .argument("<runs...>", "two or more run ids, id prefixes or run names"),
  )).action((refs: string[], opts: JsonOptions) => compareRuns(refs, opts));
}

// ---- list ----------------------------------------------------------------------

/** Metrics shown first when present, most telling first. */
const PREFERRED_METRICS = [
  "accuracy",
  "test_accuracy",
  "f1",
  "test_f1",
  "roc_auc",
  "test_roc_auc",
  "oob_score",
  "log_loss",
  "best_cv_score",
  "mean_test_score",
  "training_accuracy_score",
  "training_score",
];
const METRIC_COLUMNS = 4;

async function listRuns(opts: ListOptions): Promise<void> {
  const store = openStore(opts.trackingUri);
  let experiments = await store.listExperiments();
  if (opts.experiment !== undefined) {
    experiments = experiments.filter((e) => e.name === opts.experiment);
    if (!experiments.length) {
      throw new UserError(`no experiment named '${opts.experiment}' in ${store.uri}`, {
        code: "NOT_FOUND",
      });
    }
  }
  const groups: { experiment: Experiment; runs: Run[] }[] = [];
  for (const experiment of experiments) {
    const runs = await store.searchRuns([experiment.experimentId]);
    groups.push({ experiment, runs: runs.map(withCurrentMetricNames) });
  }
  if (opts.json) {
    print(toJson({
      tracking_uri: store.uri,
      experiments: groups.map(({ experiment, runs }) => ({
        experiment_id: experiment.experimentId,
        name: experiment.name,
        runs: runs.map(runSummaryJson),
      })),
    }));
    return;
  }
  if (!groups.length) {
    print(`No experiments in ${store.uri}.`);
    return;
  }
  for (const [i, { experiment, runs }] of groups.entries()) {
    if (i) print("");
    const n = runs.length;
    print(
      `Experiment ${experiment.name} (${experiment.experimentId}): ${n} run${n === 1 ? "" : "s"}`,
    );
    if (n) print(table(runTableRows(runs)));
  }
}

function runSummaryJson(r: Run) {
  return {
    run_id: r.info.runId,
    run_name: r.info.runName,
    experiment_id: r.info.experimentId,
    status: r.info.status,
    start_time: r.info.startTime,
    end_time: r.info.endTime,
    parent_run_id: r.data.tags["mlflow.parentRunId"] ?? null,
    metrics: Object.fromEntries(r.data.metrics.map((m) => [m.key, m.value])),
    params: r.data.params,
  };
}

/** Header plus one row per run, children indented under their parent. */
function runTableRows(runs: Run[]): string[][] {
  const metricKeys = pickMetrics(runs);
  const byId = new Map(runs.map((r) => [r.info.runId, r]));
  const children = new Map<string, Run[]>();
  const roots: Run[] = [];
  for (const r of runs) {
    const parent = r.data.tags["mlflow.parentRunId"];
    if (parent && byId.has(parent) && parent !== r.info.runId) {
      children.set(parent, [...children.get(parent) ?? [], r]);
    } else roots.push(r);
  }
  const rows = [["RUN", "NAME", "STATUS", "START", ...metricKeys]];
  const visit = (r: Run, prefix: string, branch: string, seen: Set<string>) => {
    if (seen.has(r.info.runId)) return;
    seen.add(r.info.runId);
    const metrics = new Map(r.data.metrics.map((m) => [m.key, m.value]));
    rows.push([
      branch + r.info.runId.slice(0, 8),
      r.info.runName,
      r.info.status,
      formatTime(r.info.startTime),
      ...metricKeys.map((k) => metrics.has(k) ? formatNumber(metrics.get(k)!) : "-"),
    ]);
    const kids = (children.get(r.info.runId) ?? []).sort((a, b) =>
      a.info.startTime - b.info.startTime || a.info.runName.localeCompare(b.info.runName)
    );
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      visit(k, prefix + (last ? "   " : "│  "), prefix + (last ? "└─ " : "├─ "), seen);
    });
  };
  const seen = new Set<string>();
  for (const r of roots) visit(r, "", "", seen);
  return rows;
}

/** Up to {@link METRIC_COLUMNS} metrics: preferred ones first, then the most common. */
function pickMetrics(runs: Run[]): string[] {
  const count = new Map<string, number>();
  for (const r of runs) {
    for (const m of r.data.metrics) count.set(m.key, (count.get(m.key) ?? 0) + 1);
  }
  const rank = (k: string) => {
    const i = PREFERRED_METRICS.indexOf(k);
    return i < 0 ? PREFERRED_METRICS.length : i;
  };
  return [...count.keys()]
    .sort((a, b) => rank(a) - rank(b) || count.get(b)! - count.get(a)! || a.localeCompare(b))
    .slice(0, METRIC_COLUMNS);
}

// ---- show ----------------------------------------------------------------------

async function showRun(ref: string, opts: JsonOptions): Promise<void> {
  const store = openStore(opts.trackingUri);
  const run = await findRun(store, ref);
  const artifacts = await listTree(store, run.info.runId);
  // MLflow 3 keeps a run's models apart from its artifacts, as logged models.
  const models = await Promise.all(run.outputs.map(async (o) => ({
    output: o,
    model: await store.getLoggedModel(o.modelId).catch(() => null),
  })));
  if (opts.json) {
    print(toJson({
      info: {
        run_id: run.info.runId,
        run_name: run.info.runName,
        experiment_id: run.info.experimentId,
        user_id: run.info.userId,
        status: run.info.status,
        start_time: run.info.startTime,
        end_time: run.info.endTime,
        artifact_uri: run.info.artifactUri,
        lifecycle_stage: run.info.lifecycleStage,
      },
      params: run.data.params,
      metrics: run.data.metrics,
      tags: run.data.tags,
      inputs: run.inputs.map((i) => ({
        dataset: {
          name: i.dataset.name,
          digest: i.dataset.digest,
          source_type: i.dataset.sourceType,
          source: i.dataset.source,
          schema: i.dataset.schema,
          profile: i.dataset.profile,
        },
        tags: i.tags,
      })),
      artifacts: artifacts.map((a) => ({ path: a.path, is_dir: a.isDir, file_size: a.fileSize })),
      models: models.map(({ output, model }) => ({
        model_id: output.modelId,
        step: output.step,
        name: model?.name ?? null,
        status: model?.status ?? null,
        artifact_location: model?.artifactLocation ?? null,
        uri: `models:/${output.modelId}`,
      })),
    }));
    return;
  }
  const { info } = run;
  const experiment = (await store.listExperiments()).find((e) =>
    e.experimentId === info.experimentId
  );
  const out: string[] = [`Run ${info.runId} (${info.runName})`];
  const duration = info.endTime !== null
    ? ` (${formatDuration(info.endTime - info.startTime)})`
    : "";
  out.push(
    table([
      [
        "  experiment",
        experiment ? `${experiment.name} (${info.experimentId})` : info.experimentId,
      ],
      ["  status", info.status],
      ["  start", formatTime(info.startTime)],
      ["  end", info.endTime !== null ? formatTime(info.endTime) + duration : "-"],
      ["  user", info.userId || run.data.tags["mlflow.user"] || "-"],
      ["  parent", run.data.tags["mlflow.parentRunId"] ?? "-"],
      ["  artifacts", info.artifactUri],
    ]),
  );
  const section = (title: string, rows: string[][]) => {
    out.push("", `${title} (${rows.length})`);
    if (rows.length) out.push(table(rows.map(([k, ...v]) => [`  ${k}`, ...v])));
  };
  section("Params", sortedEntries(run.data.params));
  section(
    "Metrics",
    run.data.metrics.map((m) => [m.key, String(m.value), m.step ? `step ${m.step}` : ""]),
  );
  section("Tags", sortedEntries(run.data.tags).map(([k, v]) => [k, oneLine(v)]));
  section(
    "Inputs",
    run.inputs.map((i) => [
      `${i.dataset.name} @ ${i.dataset.digest}`,
      Object.entries(i.tags).map(([k, v]) => `${k}=${v}`).join(" "),
      rowsOf(i.dataset.profile),
      oneLine(i.dataset.source),
    ]),
  );
  section(
    "Models",
    models.map(({ output, model }) => [
      `models:/${output.modelId}`,
      model ? `${model.name} ${model.status}` : "(not found)",
      model?.artifactLocation ?? "",
    ]),
  );
  section(
    "Artifacts",
    artifacts.filter((a) => !a.isDir).map((a) => [a.path, formatSize(a.fileSize)]),
  );
  print(out.join("\n"));
}

/** The whole artifact tree, files and folders, depth first (bounded for huge runs). */
async function listTree(store: TrackingStore, runId: string, limit = 500): Promise<ArtifactFile[]> {
  const out: ArtifactFile[] = [];
  const walk = async (path: string) => {
    for (const f of await store.listArtifacts(runId, path)) {
      if (out.length >= limit) return;
      out.push(f);
      if (f.isDir) await walk(f.path);
    }
  };
  try {
    await walk("");
  } catch (e) {
    // A run whose artifacts live where we cannot read them still shows everything else.
    if (!(e instanceof UserError)) throw e;
  }
  return out;
}

// ---- compare -------------------------------------------------------------------

async function compareRuns(refs: string[], opts: JsonOptions): Promise<void> {
  if (refs.length < 2) {
    throw new UserError("runs compare needs at least two runs", { code: "BAD_ARGS" });
  }
  const store = openStore(opts.trackingUri);
  const runs: Run[] = [];
  // Runs logged before a metric was renamed compare under its current name.
  for (const ref of refs) runs.push(withCurrentMetricNames(await findRun(store, ref)));
  const metricKeys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.params)))].sort();
  const metric = (r: Run, k: string) => r.data.metrics.find((m) => m.key === k)?.value ?? null;
  const param = (r: Run, k: string) => r.data.params[k] ?? null;
  const differs = (k: string) => new Set(runs.map((r) => param(r, k))).size > 1;
  if (opts.json) {
    print(toJson({
      runs: runs.map((r) => ({
        run_id: r.info.runId,
        run_name: r.info.runName,
        experiment_id: r.info.experimentId,
        status: r.info.status,
      })),
      metrics: Object.fromEntries(metricKeys.map((k) => [k, runs.map((r) => metric(r, k))])),
      params: Object.fromEntries(paramKeys.map((k) => [k, runs.map((r) => param(r, k))])),
      differing_params: paramKeys.filter(differs),
    }));
    return;
  }
  const rows: string[][] = [
    ["", ...runs.map((r) => r.info.runId.slice(0, 8))],
    ["", ...runs.map((r) => r.info.runName)],
    ["Metrics"],
    ...metricKeys.map((k) => [
      `  ${k}`,
      ...runs.map((r) => {
        const v = metric(r, k);
        return v === null ? "-" : formatNumber(v);
      }),
    ]),
    ["Params"],
    ...paramKeys.map((k) => [
      `${differs(k) ? "* " : "  "}${k}`,
      ...runs.map((r) => oneLine(param(r, k) ?? "-")),
    ]),
  ];
  print(table(rows));
  const n = paramKeys.filter(differs).length;
  if (n) print(`\n* ${n === 1 ? "1 param differs" : `${n} params differ`}`);
}

// ---- shared --------------------------------------------------------------------

/**
 * Finds a run by full id, id prefix, or exact run name, across all
 * experiments; ambiguity is an error listing the candidates.
 */
async function findRun(store: TrackingStore, ref: string): Promise<Run> {
  if (/^[0-9a-f]{32}$/.test(ref)) {
    try {
      return await store.getRun(ref);
    } catch (e) {
      if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
    }
  }
  const experiments = await store.listExperiments();
  const all = await store.searchRuns(experiments.map((e) => e.experimentId));
  let matches = all.filter((r) => r.info.runId.startsWith(ref.toLowerCase()));
  if (!matches.length) matches = all.filter((r) => r.info.runName === ref);
  if (matches.length === 1) return matches[0];
  if (!matches.length) {
    throw new UserError(`no run matches '${ref}' in ${store.uri}`, { code: "NOT_FOUND" });
  }
  const ids = matches.slice(0, 5).map((r) => `${r.info.runId} (${r.info.runName})`).join(", ");
  throw new UserError(`'${ref}' matches ${matches.length} runs: ${ids}; give more of the id`, {
    code: "AMBIGUOUS",
  });
}

/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, [...cell].length));
  }
  return rows
    .map((row) => row.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd())
    .join("\n");
}

function sortedEntries(record: Record<string, string>): string[][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

function oneLine(s: string, max = 80): string {
  const flat = s.replace(/\s+/g, " ");
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}

/** Four significant digits for tables; JSON output keeps full precision. */
function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

function formatTime(ms: number): string {
  if (!ms) return "-";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }`;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

function formatSize(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  return bytes < 1024 ** 2
    ? `${(bytes / 1024).toFixed(1)} kB`
    : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** "4507 rows" from a dataset profile such as `{"num_rows": 4507}`. */
function rowsOf(profile: string | null): string {
  try {
    const n = JSON.parse(profile ?? "").num_rows;
    return typeof n === "number" ? `${n} rows` : "";
  } catch {
    return "";
  }
}
