/**
 * Hyperparameter sweeps.
 *
 * A sweep expands a grid (or draws random configurations from it), keeps
 * this shard's share, cross-validates each configuration on the training
 * part with stratified folds, logs a child run per configuration under one
 * MLflow parent run, and refits the winner on all training rows for the
 * holdout. Reruns resume; `collectSweep` joins shards. Promoting the
 * winner is the registry's job (`lib/registry`).
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { loadTrainingData } from "../train/mod.ts";
 * import { resolveSettings, runSweep } from "./mod.ts";
 *
 * const store = openStore("./mlruns");
 * const settings = resolveSettings({ grid: ["trees=100,200", "max-depth=none,10"], cv: 3 }, null);
 * const report = await runSweep({ store, data: await loadTrainingData({}), source: {}, testSize: 0.2, settings });
 * console.log(report.best?.mean.accuracy);
 * ```
 *
 * @module
 */
export {
  checkSweepId,
  type CollectOptions,
  collectSweep,
  runSweep,
  type SweepHooks,
  type SweepOptions,
  type SweepPlan,
  type SweepReport,
} from "./run.ts";
export {
  DEFAULT_CV,
  DEFAULT_METRIC,
  readSweepFile,
  resolveSettings,
  sweepConfigs,
  type SweepFile,
  type SweepInputs,
  type SweepSettings,
} from "./settings.ts";
export {
  type Axis,
  DEFAULT_GRID_ARGS,
  expandGrid,
  type Grid,
  gridFromObject,
  gridSize,
  parseGridArgs,
  sampleGrid,
  type SweepConfig,
} from "./grid.ts";
export { type HyperParam, HYPERPARAMS } from "./hyperparams.ts";
export { canonicalParams, configId } from "./config_id.ts";
export { formatShard, parseShard, selectShard, type Shard } from "./shard.ts";
export {
  type ConfigScores,
  crossValidate,
  type CvData,
  cvTreeCount,
  type FoldScore,
} from "./cv.ts";
export { type ConfigSummary, cvResultsCsv, pickBest, summarize } from "./results.ts";
export { improvement, metricDirection } from "./metric.ts";
export { namedExperiment, SWEEP_TAGS, type SweepSpec } from "./tracking.ts";
