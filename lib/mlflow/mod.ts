/**
 * MLflow tracking: opening a store and the tracking API.
 *
 * One interface, {@link TrackingStore}, three backends picked from the
 * tracking URI by {@link openStore}: MLflow's SQLite store
 * (`sqlite:///mlflow.db`, the default, as in MLflow 3.7+), a local `mlruns`
 * folder in MLflow's file-store layout (the default while `./mlruns` holds
 * runs), or any MLflow tracking server (including DagsHub, also without a
 * registry) over the REST API. Errors are {@link MlflowError}s with MLflow's
 * codes ({@link hasErrorCode}); a server that cannot be reached throws
 * {@link MlflowUnavailableError}.
 *
 * The rest of the package has its own entry points, each a small surface:
 * - `logging.ts`: logging a whole training run and its model;
 * - `registry.ts`: registering model versions, a run's logged model;
 * - `models.ts`: `models:/` URIs, resolved to a local bundle;
 * - `transfer.ts`: syncing locally logged runs to a server, migrating a file
 *   store into the SQL store.
 *
 * ```ts
 * import { checkExperimentName, hasErrorCode, openStore } from "./mod.ts";
 *
 * const store = openStore(); // --tracking-uri / MLFLOW_TRACKING_URI / sqlite:///mlflow.db
 * checkExperimentName("churn");
 * const experiment = await store.getExperimentByName("churn");
 * const run = await store.getRun("0123abcd").catch((e) => {
 *   if (hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) return null;
 *   throw e;
 * });
 * console.log(experiment?.experimentId, run?.info.status);
 * ```
 *
 * @module
 */
export type { ArtifactFile, Experiment, ModelVersion, Run, TrackingStore } from "./types.ts";
export { hasErrorCode, MlflowError, MlflowUnavailableError } from "./errors.ts";
export type { MlflowErrorCode } from "./errors.ts";
export { DEFAULT_FILE_STORE, DEFAULT_SQLITE_URI, openStore } from "./open.ts";
export { checkAlias, checkExperimentName, checkModelName } from "./_names.ts";
