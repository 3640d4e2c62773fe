/**
 * How a sweep lands in MLflow. One parent run per invocation (tags
 * `mlops.sweep_id`, `mlops.shard`), one child run per configuration (tag
 * `mlflow.parentRunId`; params, `cv_mean_<m>`/`cv_std_<m>`, fit time, the
 * dataset input), and on the parent the best params, `cv_results.csv` and,
 * after the refit, the holdout metrics and the model: a logged model of the
 * parent (MLflow 3), or a `model/` folder where the store has none.
 *
 * Child runs carry what resuming and collecting need, so they work from the
 * children alone (a crashed shard leaves no parent behind in a file store):
 * the configuration (`mlops.config`, canonical JSON), the per-fold scores
 * (`mlops.cv_folds`) and the sweep's definition (`mlops.sweep_spec`).
 *
 * This talks to `lib/mlflow`'s {@link TrackingStore} directly: a sweep's
 * parent must exist before its children and finish after them, which the
 * one-call `logTrainingRun` cannot express. The refit model is logged the
 * way `mlops train` logs its model (`logToRun` with `trainedRunContent`),
 * so both runs carry the same metrics, tags, input and artifacts.
 *
 * @module
 */
import { join } from "node:path";
import { type ForestParams, mlflowParams } from "../forest/mod.ts";
import { type Run, type TrackingStore } from "../mlflow/mod.ts";
import {
  currentUser,
  datasetInput,
  ensureExperiment,
  logToRun,
  sourceTags,
  type TrainingRunLog,
} from "../mlflow/logging.ts";
import { OptionError } from "../errors.ts";
import {
  FIT_TIME_METRIC,
  trainedRunContent,
  type TrainResult,
  writeArtifacts,
} from "../train/mod.ts";
import { canonicalParams, configId } from "./config_id.ts";
import type { FoldScore } from "./cv.ts";
import type { SweepConfig } from "./grid.ts";
import { lookupHyperParam } from "./hyperparams.ts";
import type { ConfigSummary } from "./results.ts";

/** Tag keys the sweep writes and reads. */
export const SWEEP_TAGS = {
  sweepId: "mlops.sweep_id",
  /** "parent" (a sweep or shard), "child" (a configuration), "collect". */
  role: "mlops.sweep_role",
  shard: "mlops.shard",
  configId: "mlops.config_id",
  /** Position in the sweep's configuration list (orders results and breaks ties). */
  configIndex: "mlops.config_index",
  config: "mlops.config",
  folds: "mlops.cv_folds",
  spec: "mlops.sweep_spec",
  bestConfig: "mlops.best_config_id",
  bestChild: "mlops.best_child_run_id",
  parent: "mlflow.parentRunId",
} as const;

/** What a sweep is, as recorded on every child so collect can redo the split and refit. */
export interface SweepSpec {
  /** Hash of everything below but `metric`: same fingerprint, same results. */
  fingerprint: string;
  /** Configurations in the whole sweep (all shards). */
  size: number;
  search: "grid" | "random";
  /** Swept hyperparameters, by flag name. */
  axes: string[];
  cv: number;
  metric: string;
  seed: number;
  /** Training CSV as given, or null for the bundled dataset. */
  data: string | null;
  target: string;
  drop: string[];
  /** Separate holdout CSV, if one was given. */
  test: string | null;
  testSize: number;
  datasetDigest: string;
}

/** The dataset, as logged on parent and child runs (see `datasetLog`). */
export type DatasetInfo = NonNullable<TrainingRunLog["dataset"]>;

/** Opens (or creates) the experiment; returns its id. */
export function sweepExperiment(store: TrackingStore, name: string): Promise<string> {
  return ensureExperiment(store, name);
}

/** The standard tags every mlops run carries, with this command's name. */
function baseTags(): Promise<Record<string, string>> {
  return sourceTags({ sourceName: "mlops sweep" });
}

/**
 * Creates the (still running) parent run of a sweep, shard or collect step,
 * with the sweep's settings as params and the dataset as input.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/mod.ts";
 *
 * declare const store: TrackingStore;
 * declare const spec: SweepSpec;
 * declare const dataset: DatasetInfo;
 * const experimentId = "1", sweepId = "sweep-1a2b3c";
 * const parent = await startParentRun(store, { experimentId, sweepId, shard: "1/2", role: "parent", spec, dataset, settings: {} });
 * ```
 */
export async function startParentRun(
  store: TrackingStore,
  o: {
    experimentId: string;
    sweepId: string;
    shard: string;
    role: "parent" | "collect";
    spec: SweepSpec;
    dataset: DatasetInfo;
    /** Extra params, e.g. the grid as text. */
    settings: Record<string, string>;
  },
): Promise<string> {
  const suffix = o.role === "collect"
    ? "collect"
    : o.shard === "1/1"
    ? ""
    : `shard-${o.shard.replace("/", "of")}`;
  const info = await store.createRun({
    experimentId: o.experimentId,
    runName: [o.sweepId, suffix].filter(Boolean).join("-"),
    userId: currentUser(),
    tags: {
      ...await baseTags(),
      [SWEEP_TAGS.sweepId]: o.sweepId,
      [SWEEP_TAGS.role]: o.role,
      [SWEEP_TAGS.shard]: o.shard,
      [SWEEP_TAGS.spec]: JSON.stringify(o.spec),
    },
  });
  await store.logBatch(info.runId, {
    params: {
      "sweep.search": o.spec.search,
      "sweep.cv": String(o.spec.cv),
      "sweep.metric": o.spec.metric,
      "sweep.configs": String(o.spec.size),
      "sweep.shard": o.shard,
      "sweep.seed": String(o.spec.seed),
      test_size: String(o.spec.testSize),
      target: o.spec.target,
      data: o.spec.data ?? o.dataset.source,
      ...o.settings,
    },
  });
  await store.logInputs(info.runId, [datasetInput(o.dataset)]);
  return info.runId;
}

/**
 * Logs one configuration's cross-validation as a finished child run and
 * returns its id.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/mod.ts";
 * import type { ConfigSummary } from "./results.ts";
 *
 * declare const store: TrackingStore;
 * declare const spec: SweepSpec;
 * declare const dataset: DatasetInfo;
 * declare const summary: ConfigSummary;
 * const experimentId = "1", parentRunId = "0a1b2c3d", sweepId = "sweep-1a2b3c";
 * const runId = await logChildRun(store, { experimentId, parentRunId, sweepId, shard: "1/1", spec, summary, index: 0, dataset });
 * ```
 */
export async function logChildRun(
  store: TrackingStore,
  o: {
    experimentId: string;
    parentRunId: string;
    sweepId: string;
    shard: string;
    spec: SweepSpec;
    summary: ConfigSummary;
    index: number;
    /** The data the configuration was cross-validated on (the child's input, as MLflow shows it). */
    dataset: DatasetInfo;
  },
): Promise<string> {
  const { config, folds, mean, std, fitMs } = o.summary;
  const info = await store.createRun({
    experimentId: o.experimentId,
    runName: Object.entries(config.swept).map(([k, v]) => `${k}=${v}`).join(" ") || config.id,
    userId: currentUser(),
    tags: {
      ...await baseTags(),
      [SWEEP_TAGS.parent]: o.parentRunId,
      [SWEEP_TAGS.sweepId]: o.sweepId,
      [SWEEP_TAGS.role]: "child",
      [SWEEP_TAGS.shard]: o.shard,
      [SWEEP_TAGS.configId]: config.id,
      [SWEEP_TAGS.configIndex]: String(o.index),
      [SWEEP_TAGS.config]: canonicalParams(config.params),
      [SWEEP_TAGS.folds]: encodeFolds(folds),
      [SWEEP_TAGS.spec]: JSON.stringify(o.spec),
    },
  });
  try {
    const now = Date.now();
    const metrics = [
      ...Object.keys(mean).flatMap((m) => [
        { key: `cv_mean_${m}`, value: mean[m], timestamp: now, step: 0 },
        { key: `cv_std_${m}`, value: std[m], timestamp: now, step: 0 },
      ]),
      { key: "cv_mean_fit_time_ms", value: fitMs.mean, timestamp: now, step: 0 },
      { key: "cv_std_fit_time_ms", value: fitMs.std, timestamp: now, step: 0 },
      {
        key: FIT_TIME_METRIC,
        value: folds.reduce((a, f) => a + f.fitMs, 0),
        timestamp: now,
        step: 0,
      },
    ];
    await store.logBatch(info.runId, { params: mlflowParams(config.params), metrics });
    await store.logInputs(info.runId, [datasetInput(o.dataset)]);
    await store.updateRun(info.runId, "FINISHED", Date.now());
  } catch (e) {
    await store.updateRun(info.runId, "FAILED", Date.now()).catch(() => {});
    throw e;
  }
  return info.runId;
}

/**
 * Finished child runs of a sweep, newest per configuration, across the
 * given experiments.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/mod.ts";
 *
 * declare const store: TrackingStore;
 * const done = await finishedChildren(store, ["1"], "sweep-1a2b3c");
 * done.has("c-9f86d081"); // a configuration id
 * ```
 */
export async function finishedChildren(
  store: TrackingStore,
  experimentIds: string[],
  sweepId: string,
): Promise<Map<string, Run>> {
  const runs = await store.searchRuns(experimentIds, {
    tags: { [SWEEP_TAGS.sweepId]: sweepId, [SWEEP_TAGS.role]: "child" },
  });
  const out = new Map<string, Run>();
  // searchRuns is newest first: the first run seen for a configuration wins.
  for (const r of runs) {
    const id = r.data.tags[SWEEP_TAGS.configId];
    if (r.info.status === "FINISHED" && id && !out.has(id)) out.set(id, r);
  }
  return out;
}

/** The sweep definition recorded on a run, or null if it has none or it is unreadable. */
export function specOf(run: Run): SweepSpec | null {
  try {
    const spec = JSON.parse(run.data.tags[SWEEP_TAGS.spec] ?? "null");
    return spec && typeof spec.fingerprint === "string" ? spec as SweepSpec : null;
  } catch {
    return null;
  }
}

/**
 * Rebuilds a child run's configuration, fold scores and position from its
 * tags; null when they are missing or do not hash to the recorded id.
 *
 * @example
 * ```ts
 * import type { Run } from "../mlflow/mod.ts";
 * import { summarize } from "./results.ts";
 *
 * declare const run: Run;
 * declare const spec: SweepSpec;
 * const found = configFromRun(run, spec.axes);
 * if (found) summarize({ config: found.config, folds: found.folds }, run.info.runId);
 * ```
 */
export function configFromRun(run: Run, axes: readonly string[]): {
  config: SweepConfig;
  folds: FoldScore[];
  index: number;
} | null {
  const tags = run.data.tags;
  try {
    const c = JSON.parse(tags[SWEEP_TAGS.config]);
    const maxFeatures = lookupHyperParam("max-features", "mlops.config").parse(
      String(c.maxFeatures),
    );
    const params = { ...c, maxFeatures, oobScore: true } as ForestParams;
    if (configId(params) !== tags[SWEEP_TAGS.configId]) return null;
    const swept: Record<string, string> = {};
    for (const name of axes) {
      const h = lookupHyperParam(name, "mlops.sweep_spec");
      swept[h.name] = h.format(params[h.key]);
    }
    const folds = decodeFolds(tags[SWEEP_TAGS.folds]);
    if (folds.length === 0) return null;
    const index = Number(tags[SWEEP_TAGS.configIndex]);
    return { config: { id: configId(params), params, swept }, folds, index };
  } catch {
    return null;
  }
}

/**
 * Fold scores as compact JSON for a tag (MLflow caps tag values at 5,000
 * characters on older servers): metric names once, then one row of values
 * per fold. Numbers keep full precision, so a collect step recomputes means
 * bit for bit.
 *
 * @example
 * ```ts
 * encodeFolds([{ metrics: { accuracy: 0.8 }, fitMs: 12 }]); // '{"m":["accuracy"],"v":[[0.8]],"t":[12]}'
 * ```
 */
export function encodeFolds(folds: readonly FoldScore[]): string {
  const m = [...new Set(folds.flatMap((f) => Object.keys(f.metrics)))];
  return JSON.stringify({
    m,
    v: folds.map((f) => m.map((k) => f.metrics[k] ?? null)),
    t: folds.map((f) => f.fitMs),
  });
}

/** Inverse of {@link encodeFolds}; throws on malformed text. */
export function decodeFolds(text: string): FoldScore[] {
  const { m, v, t } = JSON.parse(text) as { m: string[]; v: (number | null)[][]; t: number[] };
  if (!Array.isArray(m) || !Array.isArray(v) || !Array.isArray(t) || v.length !== t.length) {
    throw new Error("malformed fold scores");
  }
  return v.map((row, i) => {
    const metrics: Record<string, number> = {};
    m.forEach((k, j) => {
      if (typeof row[j] === "number") metrics[k] = row[j] as number;
    });
    return { metrics, fitMs: t[i] };
  });
}

/**
 * Points earlier child runs at this invocation's parent, so the newest
 * parent shows the whole sweep in MLflow's run tree.
 */
export async function adoptChildren(
  store: TrackingStore,
  runIds: string[],
  parentRunId: string,
): Promise<void> {
  for (const id of runIds) {
    await store.logBatch(id, { tags: { [SWEEP_TAGS.parent]: parentRunId } });
  }
}

/**
 * Completes a parent run: best params and CV scores, counts,
 * `cv_results.csv`, and — when the best configuration was refit — what any
 * trained model logs (`trainedRunContent`, as `mlops train` does): holdout
 * metrics, fit time, plots and the model.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/mod.ts";
 * import { cvResultsCsv, pickBest, type ConfigSummary } from "./results.ts";
 *
 * declare const store: TrackingStore;
 * declare const summaries: ConfigSummary[];
 * const best = pickBest(summaries, "accuracy");
 * const csv = cvResultsCsv(summaries);
 * await finishParentRun(store, "0a1b2c3d", { best, csv, counts: { total: 12, run: 12, skipped: 0 }, refit: null });
 * ```
 */
export async function finishParentRun(
  store: TrackingStore,
  runId: string,
  o: {
    best: ConfigSummary | null;
    csv: string;
    counts: Record<string, number>;
    refit: TrainResult | null;
  },
): Promise<void> {
  const runMetrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.counts)) runMetrics[`configs_${k}`] = v;
  const tags: Record<string, string> = {};
  let params: Record<string, string> = {};
  if (o.best) {
    for (const [m, v] of Object.entries(o.best.mean)) runMetrics[`best_cv_mean_${m}`] = v;
    for (const [m, v] of Object.entries(o.best.std)) runMetrics[`best_cv_std_${m}`] = v;
    params = mlflowParams(o.best.config.params);
    tags[SWEEP_TAGS.bestConfig] = o.best.config.id;
    if (o.best.runId) tags[SWEEP_TAGS.bestChild] = o.best.runId;
  }
  const dir = await Deno.makeTempDir({ prefix: "mlops-sweep-" });
  try {
    const csv = join(dir, "cv_results.csv");
    await Deno.writeTextFile(csv, o.csv);
    const artifacts = [{ localPath: csv, artifactPath: "" }];
    // The refit model is a logged model of the parent; its holdout metrics name it.
    const trained = o.refit
      ? trainedRunContent(o.refit, await writeArtifacts(join(dir, "out"), o.refit))
      : null;
    const run = await store.getRun(runId);
    await logToRun(store, { ...run.info, tags: run.data.tags }, {
      params,
      runMetrics,
      tags,
      modelMetrics: trained?.modelMetrics,
      artifacts: [...artifacts, ...trained?.artifacts ?? []],
      model: trained?.model,
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  await store.updateRun(runId, "FINISHED", Date.now());
}

/** Marks a run failed, ignoring errors (used while another error propagates). */
export async function failRun(store: TrackingStore, runId: string): Promise<void> {
  await store.updateRun(runId, "FAILED", Date.now()).catch(() => {});
}

/**
 * Experiments to look in for a sweep: the named one, or every experiment.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/mod.ts";
 *
 * declare const store: TrackingStore;
 * const ids = await experimentIds(store, undefined); // all
 * ```
 */
export async function experimentIds(
  store: TrackingStore,
  name: string | undefined,
): Promise<string[]> {
  if (name !== undefined) return [(await namedExperiment(store, name)).experimentId];
  return (await store.listExperiments()).map((e) => e.experimentId);
}

/**
 * The experiment named `name`, or a "no such experiment" error naming the
 * `experiment` option (the CLI words it as its flag).
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/mod.ts";
 *
 * declare const store: TrackingStore;
 * const { experimentId } = await namedExperiment(store, "churn");
 * ```
 */
export async function namedExperiment(
  store: TrackingStore,
  name: string,
): Promise<{ experimentId: string; name: string }> {
  const e = await store.getExperimentByName(name);
  if (!e) {
    throw new OptionError(
      "experiment",
      (option) => `${option("experiment")} ${name}: no such experiment in ${store.uri}`,
      { code: "NO_RUNS" },
    );
  }
  return { experimentId: e.experimentId, name: e.name };
}
