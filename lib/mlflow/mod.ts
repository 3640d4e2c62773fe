/**
 * MLflow tracking and model registry.
 *
 * One interface, {@link TrackingStore}, three backends picked from the
 * tracking URI by {@link openStore}: MLflow's SQLite store
 * (`sqlite:///mlflow.db`, the default, as in MLflow 3.7+), a local `mlruns`
 * folder in MLflow's file-store layout (the default while `./mlruns` holds
 * runs), or any MLflow tracking server (including DagsHub, also without a
 * registry) over the REST API. Models are MLflow 3 logged models
 * ({@link startModel}/{@link finishModel}; `models:/m-<id>`). On top of it:
 * {@link logTrainingRun} logs a whole training run (falling back to a local
 * store when the server is down), {@link syncStore} uploads such runs later,
 * and {@link resolveModel} turns `models:/name@alias` into a local bundle.
 *
 * ```ts
 * import { logTrainingRun, openStore, resolveModel } from "./mod.ts";
 *
 * const store = openStore(); // --tracking-uri / MLFLOW_TRACKING_URI / sqlite:///mlflow.db
 * const { runId } = await logTrainingRun(store, {
 *   experiment: "churn",
 *   params: { n_estimators: 100 },
 *   metrics: { accuracy: 0.81 },
 *   artifacts: [],
 *   model: { bundlePath: "out/model.mlops.json", register: { name: "churn" } },
 * });
 * const bundle = await resolveModel("models:/churn/latest", store);
 * ```
 *
 * @module
 */
export type {
  ArtifactFile,
  CreateLoggedModelOptions,
  CreateModelVersionOptions,
  CreateRunOptions,
  Dataset,
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelFilter,
  LoggedModelStatus,
  Metric,
  ModelOutput,
  ModelVersion,
  ModelVersionFilter,
  RegisteredModel,
  Run,
  RunBatch,
  RunFilter,
  RunInfo,
  RunStatus,
  TrackingStore,
} from "./types.ts";
export { isActiveStatus, LOGGED_MODEL_STATUSES, RUN_STATUSES } from "./types.ts";
export { hasErrorCode, isUnsupported, MlflowError, MlflowUnavailableError } from "./errors.ts";
export type { MlflowErrorCode } from "./errors.ts";
export {
  DEFAULT_FILE_STORE,
  DEFAULT_SQLITE_URI,
  defaultTrackingUri,
  openStore,
  parseTrackingUri,
  resolveTrackingUri,
} from "./open.ts";
export type { TrackingTarget } from "./open.ts";
export { FileStore } from "./file_store.ts";
export { DEFAULT_SQL_ARTIFACT_ROOT, SqlStore } from "./sql_store.ts";
export { RestStore } from "./rest_store.ts";
export type { RestStoreOptions } from "./rest_store.ts";
export { REGISTRY_TAG_PREFIX, registryTag, TagRegistry } from "./tag_registry.ts";
export { credentialsFromEnv, defaultBackoff, RestClient } from "./rest_client.ts";
export type { Credentials, RestClientOptions } from "./rest_client.ts";
export { chunkBatch, LOG_BATCH_LIMITS } from "./batch.ts";
export {
  datasetInput,
  ensureExperiment,
  fallbackStoreUri,
  logToRun,
  logTrainingRun,
  paramText,
  registerModelVersion,
  sourceTags,
  SYNC_TAGS,
} from "./log_run.ts";
export type {
  LoggedRun,
  LogRunOptions,
  ParamValue,
  RunContent,
  TrainingRunLog,
} from "./log_run.ts";
export { currentUser } from "./log_run.ts";
export { colSpecsFromSchema, signatureFromSchema, writeMlmodel } from "./mlmodel.ts";
export type { ColSpec, ColType, MlmodelOptions, ModelSignature } from "./mlmodel.ts";
export {
  failModel,
  finishModel,
  MODEL_FLAVOR,
  MODEL_FLAVOR_TAG,
  modelOfRun,
  startModel,
} from "./log_model.ts";
export type { ModelLogging, ModelRef } from "./log_model.ts";
export { syncStore } from "./sync.ts";
/** Moving a file store into the SQL store (`mlops migrate`). */
export { migrateFileStore, type MigrationReport } from "./migrate.ts";
export type { SyncedRun, SyncReport } from "./sync.ts";
export {
  cacheRoot,
  parseLoggedModelUri,
  parseModelUri,
  type ResolvedModel,
  resolveModel,
  resolveModelVersion,
} from "./model_uri.ts";
export type { ModelUri } from "./model_uri.ts";
export { checkAlias, checkExperimentName, checkModelName } from "./_names.ts";
