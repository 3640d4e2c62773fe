/**
 * What a trained model logs to MLflow, in one place for `mlops train` and a
 * sweep's refit: its metrics (holdout, OOB score, fit time), the dataset
 * input, the artifacts beside the bundle, and the bundle itself.
 *
 * @module
 */
import { dirname } from "node:path";
import { type Run } from "../mlflow/mod.ts";
import { type RunContent, signatureFromSchema, type TrainingRunLog } from "../mlflow/logging.ts";
import type { ArtifactPaths } from "./artifacts.ts";
import type { TrainingData, TrainResult } from "./train.ts";

/** The fit-time metric, milliseconds. */
export const FIT_TIME_METRIC = "fit_time_ms";

/**
 * Metric names mlops logged before, and what they are called now: sweep
 * parents logged the refit's fit time as `fit_ms` until train and sweep
 * shared one logging path. Readers of old runs map them through
 * {@link currentMetricName}.
 */
export const RENAMED_METRICS: Readonly<Record<string, string>> = { fit_ms: FIT_TIME_METRIC };

/**
 * A metric's current name (itself unless it was renamed).
 *
 * @example
 * ```ts
 * import { currentMetricName } from "./tracking.ts";
 *
 * currentMetricName("fit_ms"); // "fit_time_ms"
 * ```
 */
export function currentMetricName(key: string): string {
  return RENAMED_METRICS[key] ?? key;
}

/**
 * A trained model's run content: holdout metrics (finite ones), OOB score
 * and fit time as metrics of the model, the plots, importances and metrics
 * JSON as artifacts, and the bundle with its signature.
 *
 * @example
 * ```ts
 * import { loadTrainingData, trainModel } from "./mod.ts";
 * import { writeArtifacts } from "./artifacts.ts";
 * import { trainedRunContent } from "./tracking.ts";
 *
 * const result = await trainModel(await loadTrainingData());
 * const content = trainedRunContent(result, await writeArtifacts("out", result));
 * ```
 */
export function trainedRunContent(
  result: TrainResult,
  paths: ArtifactPaths,
): Required<Pick<RunContent, "modelMetrics" | "artifacts" | "model">> {
  const modelMetrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.bundle.training.metrics)) {
    if (Number.isFinite(v)) modelMetrics[k] = v;
  }
  const oob = result.bundle.training.oobScore;
  if (oob !== null) modelMetrics.oob_score = oob;
  modelMetrics[FIT_TIME_METRIC] = result.timings.fitMs;
  return {
    modelMetrics,
    artifacts: [
      { localPath: dirname(paths.plots[0]), artifactPath: "plots" },
      { localPath: paths.importanceCsv, artifactPath: "" },
      { localPath: paths.metricsJson, artifactPath: "" },
    ],
    model: {
      bundlePath: paths.bundleFile,
      signature: signatureFromSchema(result.bundle.schema),
    },
  };
}

/**
 * The training data as an MLflow dataset input (name, digest, source,
 * rows, schema).
 *
 * @example
 * ```ts
 * import { loadTrainingData } from "./mod.ts";
 * import { datasetLog } from "./tracking.ts";
 *
 * datasetLog(await loadTrainingData()).digest; // the table's digest
 * ```
 */
export function datasetLog(data: TrainingData): NonNullable<TrainingRunLog["dataset"]> {
  return {
    name: data.dataset.name,
    digest: data.dataset.digest,
    source: data.dataset.path,
    rows: data.dataset.rows,
    schema: data.schema,
  };
}

/**
 * `run` with renamed metrics read under their current names (see
 * {@link RENAMED_METRICS}), so old and new runs line up in listings and
 * comparisons. A run that has both keeps the current one.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { withCurrentMetricNames } from "./tracking.ts";
 *
 * const oldSweepParent = await openStore().getRun("0123456789abcdef0123456789abcdef");
 * withCurrentMetricNames(oldSweepParent).data.metrics.some((m) => m.key === "fit_time_ms"); // true
 * ```
 */
export function withCurrentMetricNames(run: Run): Run {
  const keys = new Set(run.data.metrics.map((m) => m.key));
  if (!run.data.metrics.some((m) => m.key in RENAMED_METRICS)) return run;
  const metrics = run.data.metrics.flatMap((m) => {
    const now = currentMetricName(m.key);
    if (now === m.key) return [m];
    return keys.has(now) ? [] : [{ ...m, key: now }];
  });
  return { ...run, data: { ...run.data, metrics } };
}
