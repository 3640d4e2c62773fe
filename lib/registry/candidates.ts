/**
 * Finding what to promote: the experiment of the most recent sweep, and the
 * best finished run of an experiment that has a model to register.
 *
 * @module
 */
import { type Run, type TrackingStore } from "../mlflow/mod.ts";
import { modelOfRun } from "../mlflow/registry.ts";
import { OptionError, UserError } from "../errors.ts";
import type { Direction } from "../metrics/mod.ts";
import { metricDirection, SWEEP_TAGS } from "../sweep/mod.ts";

/**
 * The latest value of metric `key` on a run, or undefined.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { metricOf } from "./candidates.ts";
 *
 * const run = await openStore().getRun("0123456789abcdef0123456789abcdef");
 * metricOf(run, "accuracy"); // 0.81
 * ```
 */
export function metricOf(run: Run, key: string): number | undefined {
  let found: { value: number; step: number; timestamp: number } | undefined;
  for (const m of run.data.metrics) {
    if (m.key !== key) continue;
    if (
      !found || m.step > found.step || (m.step === found.step && m.timestamp >= found.timestamp)
    ) found = m;
  }
  return found?.value;
}

/**
 * The experiment holding the most recent sweep (a sweep, shard or collect
 * parent run), or a "no runs found" error.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { latestSweepExperiment } from "./candidates.ts";
 *
 * const { experimentId, name } = await latestSweepExperiment(openStore());
 * ```
 */
export async function latestSweepExperiment(
  store: TrackingStore,
): Promise<{ experimentId: string; name: string }> {
  const experiments = await store.listExperiments();
  const ids = experiments.map((e) => e.experimentId);
  let latest: Run | null = null;
  for (const role of ["parent", "collect"]) {
    const runs = ids.length
      ? await store.searchRuns(ids, { tags: { [SWEEP_TAGS.role]: role } })
      : [];
    for (const r of runs) if (!latest || r.info.startTime > latest.info.startTime) latest = r;
  }
  if (!latest) {
    throw new OptionError(
      "experiment",
      (name) =>
        `no sweep runs found in ${store.uri}: run \`mlops sweep\` first, or pass ` +
        `${name("experiment")} or ${name("run")}`,
      { code: "NO_RUNS" },
    );
  }
  const exp = experiments.find((e) => e.experimentId === latest!.info.experimentId)!;
  return { experimentId: exp.experimentId, name: exp.name };
}

/** True when the run produced an mlops model (a logged model, or `model/` in its artifacts). */
export async function hasModel(store: TrackingStore, run: Run): Promise<boolean> {
  return await modelOfRun(store, run).then((m) => m !== null, () => false);
}

/**
 * The best finished run of the experiment by `metric` (ties: the newest)
 * among runs that carry the metric and a model. Sweep child runs (CV scores
 * only, no model) never qualify.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { bestRun, latestSweepExperiment } from "./candidates.ts";
 *
 * const store = openStore();
 * const { experimentId, name } = await latestSweepExperiment(store);
 * const run = await bestRun(store, experimentId, name, "roc_auc");
 * ```
 */
export async function bestRun(
  store: TrackingStore,
  experimentId: string,
  experimentName: string,
  metric: string,
): Promise<Run> {
  const dir: Direction = metricDirection(metric);
  const runs = (await store.searchRuns([experimentId]))
    .filter((r) => r.info.status === "FINISHED" && r.data.tags[SWEEP_TAGS.role] !== "child");
  if (runs.length === 0) {
    throw new UserError(`no finished runs found in experiment '${experimentName}' (${store.uri})`, {
      code: "NO_RUNS",
    });
  }
  const scored = runs.filter((r) => Number.isFinite(metricOf(r, metric)));
  if (scored.length === 0) {
    const have = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
    throw new OptionError(
      "metric",
      (name) =>
        `${name("metric")} ${metric}: no run in experiment '${experimentName}' has this metric ` +
        `(they have: ${have.join(", ") || "none"})`,
      { code: "BAD_METRIC" },
    );
  }
  // Stable sort keeps searchRuns' newest-first order among ties.
  scored.sort((a, b) => {
    const d = metricOf(b, metric)! - metricOf(a, metric)!;
    return dir === "max" ? d : -d;
  });
  for (const r of scored) if (await hasModel(store, r)) return r;
  throw new UserError(
    `no run in experiment '${experimentName}' with metric ${metric} has a model to register`,
    { code: "NO_RUNS" },
  );
}
