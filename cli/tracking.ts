/**
 * The CLI's bridge to MLflow: turns a training result into a logged run
 * (params named like scikit-learn's, so runs compare side by side with
 * `mlflow.sklearn.autolog()` runs).
 *
 * @module
 */
import { checkExperimentName, checkModelName, openStore } from "../lib/mlflow/mod.ts";
import { logTrainingRun } from "../lib/mlflow/logging.ts";
import { mlflowParams } from "../lib/forest/mod.ts";
import { defaultModelName } from "../lib/registry/mod.ts";
import {
  type ArtifactPaths,
  datasetLog,
  trainedRunContent,
  type TrainingData,
  type TrainResult,
} from "../lib/train/mod.ts";
import { printError } from "./output.ts";

/** Where a run was logged. */
export interface Tracked {
  runId: string;
  experimentId: string;
  trackingUri: string;
  pendingSync: string | null;
  modelVersion: string | null;
}

/**
 * Checks the names a training run will be logged and registered under, and
 * returns the model name to register (null for none): `registerAs`, else the
 * name `mlops promote` derives from the experiment (`a/b` → `a-b`).
 *
 * @example
 * ```ts
 * checkRegistration("a/b", undefined); // "a-b"
 * checkRegistration("churn", null); // null: do not register
 * ```
 */
export function checkRegistration(
  experiment: string,
  registerAs: string | null | undefined,
): string | null {
  checkExperimentName(experiment);
  if (registerAs === null) return null;
  const name = registerAs ?? defaultModelName(experiment);
  checkModelName(name);
  return name;
}

/**
 * Logs a training run: hyperparameters as params, and what every trained
 * model logs (`trainedRunContent`, shared with a sweep's refit): holdout
 * metrics, OOB score and fit time, the dataset input, the bundle, plots,
 * importances and metrics.
 *
 * @example
 * ```ts
 * import { loadTrainingData, trainModel, writeArtifacts } from "../lib/train/mod.ts";
 *
 * const data = await loadTrainingData();
 * const result = await trainModel(data);
 * const paths = await writeArtifacts("out", result);
 * const tracked = await logTraining({ experiment: "churn", data, result, paths });
 * ```
 */
export async function logTraining(opts: {
  trackingUri?: string;
  experiment: string;
  runName?: string;
  data: TrainingData;
  result: TrainResult;
  paths: ArtifactPaths;
  engine?: string;
  testSize?: number;
  /** Registered model to add this run as a new version of; null to skip. */
  register?: string | null;
}): Promise<Tracked> {
  const { data, result, paths } = opts;
  const { modelMetrics, artifacts, model } = trainedRunContent(result, paths);
  const logged = await logTrainingRun(openStore(opts.trackingUri), {
    experiment: opts.experiment,
    runName: opts.runName,
    params: {
      // The same scikit-learn names (and text) as sweep runs, so `runs compare` lines them up.
      ...mlflowParams(result.params),
      engine: opts.engine ?? "mlops",
      target: data.schema.target,
      test_size: data.test ? "separate file" : (opts.testSize ?? 0.2),
      n_features: data.schema.encodedNames.length,
    },
    metrics: modelMetrics,
    tags: { "mlops.workers": String(result.workers) },
    dataset: datasetLog(data),
    artifacts,
    model: { ...model, register: opts.register ? { name: opts.register } : undefined },
  }, { warn: printError });
  return {
    runId: logged.runId,
    experimentId: logged.experimentId,
    trackingUri: logged.trackingUri,
    pendingSync: logged.pendingSync,
    modelVersion: logged.modelVersion?.version ?? null,
  };
}
