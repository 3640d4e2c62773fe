/**
 * Logging a training run and its model to MLflow.
 *
 * {@link logTrainingRun} logs a whole run (params, metrics, dataset, tags,
 * artifacts, the model bundle as an MLflow 3 logged model, optionally a
 * registered version), falling back to a local store when the server is down
 * (`transfer.ts` uploads such runs later). The pieces it is built from are
 * here for callers that log into a run they manage themselves (a sweep's
 * parent and child runs): {@link logToRun}, {@link ensureExperiment}, the
 * standard tags ({@link sourceTags}, {@link currentUser}), the dataset input
 * ({@link datasetInput}) and the model signature ({@link signatureFromSchema}).
 *
 * ```ts
 * import { openStore } from "./mod.ts";
 * import { logTrainingRun } from "./logging.ts";
 *
 * const { runId } = await logTrainingRun(openStore(), {
 *   experiment: "churn",
 *   params: { n_estimators: 100 },
 *   metrics: { accuracy: 0.81 },
 *   artifacts: [],
 *   model: { bundlePath: "out/model.mlops.json", register: { name: "churn" } },
 * });
 * console.log(runId);
 * ```
 *
 * @module
 */
export {
  currentUser,
  datasetInput,
  ensureExperiment,
  logToRun,
  logTrainingRun,
  sourceTags,
} from "./log_run.ts";
export type { RunContent, TrainingRunLog } from "./log_run.ts";
export { signatureFromSchema } from "./mlmodel.ts";
