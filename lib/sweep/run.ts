/**
 * A sweep from start to finish, and the collect step that joins shards.
 *
 * Sweep: configurations → this shard's share → skip those a finished child
 * run already holds (resume) → holdout split (seeded, stratified) → k-fold
 * CV of the rest on the training part, each logged as a child run as soon as
 * it is scored → best by the metric → refit on all training rows, evaluated
 * on the holdout (unsharded sweeps only: with shards, `collect` refits the
 * overall winner) → the parent run gets it all.
 *
 * Collect: every finished child of the sweep, from any shard → the winner →
 * refit → a `collect` parent run with the model.
 *
 * @module
 */
import { OptionError, type OptionText } from "../errors.ts";
import {
  createForestPool,
  DEFAULT_PARAMS,
  defaultWorkers,
  type ForestPool,
} from "../forest/mod.ts";
import type { Run, TrackingStore } from "../mlflow/mod.ts";
import {
  datasetLog,
  holdoutSplit,
  type LoadOptions,
  loadTrainingData,
  type TrainingData,
  trainModel,
  type TrainResult,
} from "../train/mod.ts";
import { shortHash } from "./config_id.ts";
import { crossValidate, cvTreeCount } from "./cv.ts";
import { type ConfigSummary, cvResultsCsv, pickBest, summarize } from "./results.ts";
import { sweepConfigs, type SweepSettings } from "./settings.ts";
import { formatShard, selectShard, type Shard, WHOLE } from "./shard.ts";
import {
  adoptChildren,
  configFromRun,
  experimentIds,
  failRun,
  finishedChildren,
  finishParentRun,
  logChildRun,
  specOf,
  startParentRun,
  sweepExperiment,
  type SweepSpec,
} from "./tracking.ts";

/** What is about to run, for progress bars. */
export interface SweepPlan {
  sweepId: string;
  /** Configurations in the whole sweep, in this shard, and still to run. */
  total: number;
  inShard: number;
  pending: number;
  /** Trees to grow, CV and refit included. */
  trees: number;
}

/** Shared by sweep and collect. */
export interface SweepHooks {
  /** Worker count for the pool (default: one per core). */
  workers?: number;
  /** A started pool to use instead (left open). */
  pool?: ForestPool;
  onPlan?: (plan: SweepPlan) => void;
  /** Trees grown since the last call. */
  onTrees?: (n: number) => void;
}

/** What {@link runSweep} needs. */
export interface SweepOptions extends SweepHooks {
  store: TrackingStore;
  /** The loaded data, and how it was specified (recorded so collect can reload it). */
  data: TrainingData;
  source: LoadOptions;
  /** Holdout share when there is no separate test CSV. */
  testSize: number;
  settings: SweepSettings;
  /** Experiment name; default the dataset name. */
  experiment?: string;
  /** Default: derived from the sweep's definition, so a rerun resumes. */
  sweepId?: string;
  shard?: Shard;
}

/** What a sweep or collect did. */
export interface SweepReport {
  sweepId: string;
  experimentId: string;
  parentRunId: string;
  shard: string;
  counts: { total: number; inShard: number; run: number; skipped: number };
  /** Every configuration considered, in sweep order. */
  summaries: ConfigSummary[];
  best: ConfigSummary | null;
  /** The refit best configuration, when this step refits. */
  refit: TrainResult | null;
  metric: string;
}

const SWEEP_ID = /^[\w.-]{1,100}$/;

/**
 * Checks a user-given sweep id (it becomes a tag and a run name); `option`
 * is the option it was given as.
 *
 * @example
 * ```ts
 * checkSweepId("nightly-2024-06-01"); // ok
 * ```
 */
export function checkSweepId(id: string, option = "sweepId"): string {
  if (!SWEEP_ID.test(id)) {
    throw new OptionError(
      option,
      (name) => `${name(option)} ${id}: use 1-100 letters, digits, '_', '-' or '.'`,
      { code: "BAD_SWEEP" },
    );
  }
  return id;
}

/**
 * Runs (or resumes) a sweep, or one shard of it, and logs it to MLflow.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { loadTrainingData } from "../train/mod.ts";
 * import { resolveSettings } from "./settings.ts";
 *
 * const data = await loadTrainingData({});
 * const report = await runSweep({
 *   store: openStore("./mlruns"),
 *   data,
 *   source: {},
 *   testSize: 0.2,
 *   settings: resolveSettings({ grid: ["trees=50,100"] }, null),
 * });
 * report.best?.mean.accuracy;
 * ```
 */
export async function runSweep(o: SweepOptions): Promise<SweepReport> {
  const { store, data, settings } = o;
  if (settings.metric === "average_precision" && data.schema.classes.length > 2) {
    throw new OptionError(
      "metric",
      (name) =>
        `${name("metric")} average_precision: only defined for two classes; ` +
        `${data.schema.target} has ${data.schema.classes.length}`,
      { code: "BAD_METRIC" },
    );
  }
  const shard = o.shard ?? WHOLE;
  const configs = sweepConfigs(settings);
  const spec = sweepSpec(o, configs.map((c) => c.id));
  const sweepId = o.sweepId ? checkSweepId(o.sweepId) : `sweep-${spec.fingerprint}`;
  const experimentId = await sweepExperiment(store, o.experiment ?? data.dataset.name);
  const index = new Map(configs.map((c, i) => [c.id, i]));

  const mine = selectShard(configs, shard);
  const done = await finishedChildren(store, [experimentId], sweepId);
  for (const run of done.values()) checkSameSweep(run, spec, sweepId, store.uri);
  const reused = mine.filter((c) => done.has(c.id));
  const pending = mine.filter((c) => !done.has(c.id));
  const refits = shard.count === 1 && mine.length > 0;
  const bestTrees = refits ? Math.max(...mine.map((c) => c.params.nTrees)) : 0;
  o.onPlan?.({
    sweepId,
    total: configs.length,
    inShard: mine.length,
    pending: pending.length,
    trees: cvTreeCount(pending, settings.cv) + bestTrees,
  });

  const shardText = formatShard(shard);
  const parentRunId = await startParentRun(store, {
    experimentId,
    sweepId,
    shard: shardText,
    role: "parent",
    spec,
    dataset: datasetLog(data),
    settings: { "sweep.grid": gridText(settings) },
  });
  const ownPool = o.pool ? null : await createForestPool(o.workers ?? defaultWorkers());
  const pool = o.pool ?? ownPool!;
  try {
    await adoptChildren(store, reused.map((c) => done.get(c.id)!.info.runId), parentRunId);
    const fresh = new Map<string, ConfigSummary>();
    await crossValidate(trainingPart(data, o.testSize, settings.seed), pending, {
      k: settings.cv,
      seed: settings.seed,
      pool,
      onTrees: o.onTrees,
      onConfig: async (scores) => {
        const summary = summarize(scores);
        summary.runId = await logChildRun(store, {
          experimentId,
          parentRunId,
          sweepId,
          shard: shardText,
          spec,
          summary,
          index: index.get(scores.config.id)!,
          dataset: datasetLog(data),
        });
        fresh.set(scores.config.id, summary);
      },
    });
    const summaries = mine.map((c) => fresh.get(c.id) ?? summaryOfRun(done.get(c.id)!, spec));
    const best = summaries.length ? pickBest(summaries, settings.metric) : null;
    const refit = refits && best ? await refitBest(data, o.testSize, best, pool, o.onTrees) : null;
    const counts = {
      total: configs.length,
      inShard: mine.length,
      run: pending.length,
      skipped: reused.length,
    };
    await finishParentRun(store, parentRunId, {
      best,
      csv: cvResultsCsv(summaries),
      counts: {
        total: counts.total,
        in_shard: counts.inShard,
        run: counts.run,
        skipped: counts.skipped,
      },
      refit,
    });
    return {
      sweepId,
      experimentId,
      parentRunId,
      shard: shardText,
      counts,
      summaries,
      best,
      refit,
      metric: settings.metric,
    };
  } catch (e) {
    await failRun(store, parentRunId);
    throw e;
  } finally {
    ownPool?.close();
  }
}

/** What {@link collectSweep} needs. */
export interface CollectOptions extends SweepHooks {
  store: TrackingStore;
  sweepId: string;
  /** Look only in this experiment (default: all). */
  experiment?: string;
  /** Ranking metric; default the one the sweep used. */
  metric?: string;
  /** Pick a winner even if some configurations never finished. */
  allowPartial?: boolean;
  /** Reads the training data the sweep recorded; default `loadTrainingData`. */
  load?: (source: LoadOptions) => Promise<TrainingData>;
}

/**
 * Joins the shards of a sweep: picks the winner among all finished child
 * runs, refits it and logs a `collect` parent run with the model.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 *
 * const report = await collectSweep({ store: openStore(), sweepId: "nightly-42" });
 * report.parentRunId; // the run to promote
 * ```
 */
export async function collectSweep(o: CollectOptions): Promise<SweepReport> {
  const { store } = o;
  // The sweep being collected is the `collect` option (`mlops sweep --collect <id>`).
  const sweepId = checkSweepId(o.sweepId, "collect");
  const fail = (problem: OptionText, code: string) =>
    new OptionError("collect", (name) => `${name("collect")} ${sweepId}: ${problem(name)}`, {
      code,
    });
  const done = await finishedChildren(store, await experimentIds(store, o.experiment), sweepId);
  if (done.size === 0) {
    throw fail(() => `no runs found for this sweep in ${store.uri}`, "NO_RUNS");
  }
  const runs = [...done.values()];
  const spec = specOf(runs[0]);
  if (!spec) {
    throw fail(() => `run ${runs[0].info.runId} has no readable sweep definition`, "NO_RUNS");
  }
  for (const run of runs) checkSameSweep(run, spec, sweepId, store.uri);
  const found = runs
    .map((r) => ({ run: r, found: configFromRun(r, spec.axes) }))
    .filter((x) => x.found !== null)
    .sort((a, b) => a.found!.index - b.found!.index);
  if (found.length < spec.size && !o.allowPartial) {
    throw fail(
      (name) =>
        `only ${found.length} of ${spec.size} configurations have finished; ` +
        `rerun the missing shards, or pass ${name("allowPartial")}`,
      "SWEEP_INCOMPLETE",
    );
  }
  const summaries = found.map((x) => summarize(x.found!, x.run.info.runId));
  const metric = o.metric ?? spec.metric;
  const best = pickBest(summaries, metric);

  const source: LoadOptions = {
    data: spec.data ?? undefined,
    target: spec.target,
    drop: spec.drop,
    test: spec.test ?? undefined,
  };
  const data = await (o.load ?? loadTrainingData)(source);
  if (data.dataset.digest !== spec.datasetDigest) {
    throw fail(
      () =>
        `${data.dataset.path} has changed since the sweep ` +
        `(digest ${data.dataset.digest}, sweep used ${spec.datasetDigest})`,
      "DATA_CHANGED",
    );
  }
  const experimentId = runs[0].info.experimentId;
  o.onPlan?.({
    sweepId,
    total: spec.size,
    inShard: spec.size,
    pending: 0,
    trees: best.config.params.nTrees,
  });
  const parentRunId = await startParentRun(store, {
    experimentId,
    sweepId,
    shard: "collect",
    role: "collect",
    spec: { ...spec, metric },
    dataset: datasetLog(data),
    settings: {},
  });
  const ownPool = o.pool ? null : await createForestPool(o.workers ?? defaultWorkers());
  try {
    const refit = await refitBest(data, spec.testSize, best, o.pool ?? ownPool!, o.onTrees);
    await finishParentRun(store, parentRunId, {
      best,
      csv: cvResultsCsv(summaries),
      counts: { total: spec.size, collected: summaries.length },
      refit,
    });
    return {
      sweepId,
      experimentId,
      parentRunId,
      shard: "collect",
      counts: { total: spec.size, inShard: spec.size, run: 0, skipped: summaries.length },
      summaries,
      best,
      refit,
      metric,
    };
  } catch (e) {
    await failRun(store, parentRunId);
    throw e;
  } finally {
    ownPool?.close();
  }
}

/** The rows CV may see: everything but the holdout, split off as `trainModel` does. */
function trainingPart(data: TrainingData, testSize: number, seed: number) {
  const { X, y } = holdoutSplit(data, testSize, seed).train;
  return { X, y, classes: data.schema.classes };
}

async function refitBest(
  data: TrainingData,
  testSize: number,
  best: ConfigSummary,
  pool: ForestPool,
  onTrees?: (n: number) => void,
): Promise<TrainResult> {
  let reported = 0;
  return await trainModel(data, {
    params: { ...best.config.params, oobScore: true },
    testSize,
    pool,
    onProgress: (done) => {
      onTrees?.(done - reported);
      reported = done;
    },
  });
}

function summaryOfRun(run: Run, spec: SweepSpec): ConfigSummary {
  const found = configFromRun(run, spec.axes);
  if (!found) {
    throw new OptionError(
      "sweepId",
      (name) =>
        `run ${run.info.runId} of this sweep has unreadable tags (mlops.config / mlops.cv_folds); ` +
        `delete it or use another ${name("sweepId")}`,
      { code: "BAD_RUN" },
    );
  }
  return summarize(found, run.info.runId);
}

function checkSameSweep(run: Run, spec: SweepSpec, sweepId: string, uri: string): void {
  const theirs = specOf(run)?.fingerprint;
  if (theirs !== spec.fingerprint) {
    throw new OptionError(
      "sweepId",
      (name) =>
        `sweep ${sweepId} in ${uri} was run with other settings, grid or data ` +
        `(run ${run.info.runId}: ${theirs ?? "no fingerprint"}, now: ${spec.fingerprint}); ` +
        `use another ${name("sweepId")}`,
      { code: "SWEEP_MISMATCH" },
    );
  }
}

function sweepSpec(o: SweepOptions, ids: string[]): SweepSpec {
  const s = o.settings;
  const rest = {
    size: ids.length,
    search: s.search,
    axes: s.grid.map((a) => a.param.name),
    cv: s.cv,
    seed: s.seed,
    data: o.source.data ?? null,
    target: o.data.schema.target,
    drop: o.source.drop ?? [],
    test: o.source.test ?? null,
    testSize: o.source.test ? 0 : o.testSize,
    datasetDigest: o.data.dataset.digest,
  };
  // The metric only ranks: the same CV results serve any metric.
  const fingerprint = shortHash(JSON.stringify({ ...rest, ids, base: DEFAULT_PARAMS }));
  return { fingerprint, metric: s.metric, ...rest };
}

function gridText(s: SweepSettings): string {
  const grid = s.grid.map((a) =>
    `${a.param.name}=${a.values.map((v) => a.param.format(v)).join(",")}`
  )
    .join(" ");
  return s.search === "random" ? `${grid} (random, ${s.trials} trials)` : grid;
}
