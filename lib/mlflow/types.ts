/**
 * MLflow entities as the tool sees them, and the {@link TrackingStore}
 * interface every backend (MLflow's SQLite store, a `./mlruns` folder, an
 * MLflow REST server) implements. Field names are camelCase versions of MLflow's own, so the
 * mapping to `meta.yaml` keys and REST JSON stays one-to-one.
 *
 * @module
 */

/** Lifecycle of a run, with MLflow's names. */
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** Run statuses in MLflow's enum order: the file store writes `index + 1`. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "RUNNING",
  "SCHEDULED",
  "FINISHED",
  "FAILED",
  "KILLED",
];

/**
 * Whether a run in this status can still change (MLflow's "unterminated").
 *
 * @example
 * ```ts
 * import { isActiveStatus } from "./types.ts";
 *
 * isActiveStatus("RUNNING"); // true
 * isActiveStatus("FAILED"); // false
 * ```
 */
export function isActiveStatus(status: RunStatus): boolean {
  return status === "RUNNING" || status === "SCHEDULED";
}

/** An experiment: a named group of runs. */
export interface Experiment {
  experimentId: string;
  name: string;
  /** Root URI under which each run's artifacts live (`<location>/<run_id>/artifacts`). */
  artifactLocation: string;
  lifecycleStage: "active" | "deleted";
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: Record<string, string>;
}

/** Run metadata (MLflow's `RunInfo`). */
export interface RunInfo {
  /** 32 lowercase hex characters. */
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  /** Milliseconds since the epoch. */
  startTime: number;
  endTime: number | null;
  /** Where the run's artifacts live: `file://...`, `mlflow-artifacts:/...`. */
  artifactUri: string;
  lifecycleStage: "active" | "deleted";
}

/**
 * The info of a run being created in `experiment`, as MLflow's stores make
 * it: RUNNING, artifacts under `<experiment location>/<run id>/artifacts`.
 *
 * @example
 * ```ts
 * import { newRunInfo } from "./types.ts";
 * declare const exp: import("./types.ts").Experiment;
 *
 * const info = newRunInfo(exp, "0123456789abcdef0123456789abcdef", "calm-newt-1", {});
 * ```
 */
export function newRunInfo(
  experiment: Experiment,
  runId: string,
  runName: string,
  options: { userId?: string; startTime?: number },
): RunInfo {
  return {
    runId,
    runName,
    experimentId: experiment.experimentId,
    userId: options.userId ?? "",
    status: "RUNNING",
    startTime: options.startTime ?? Date.now(),
    endTime: null,
    artifactUri: `${experiment.artifactLocation.replace(/\/+$/, "")}/${runId}/artifacts`,
    lifecycleStage: "active",
  };
}

/** One logged metric value. */
export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
  /**
   * The logged model this value describes too (MLflow 3 links a run's
   * metrics to the model it logged, and shows them on the model's page).
   */
  modelId?: string;
}

/** A dataset reference, as MLflow's `Dataset` entity. */
export interface Dataset {
  name: string;
  /** Short content hash identifying this version of the data. */
  digest: string;
  /** Kind of source, e.g. "local", "http", "code". */
  sourceType: string;
  /** JSON describing the source, e.g. `{"uri": "/data/churn.csv"}`. */
  source: string;
  /** JSON schema, preferably MLflow's `{"mlflow_colspec": [...]}`. */
  schema: string | null;
  /** JSON summary, e.g. `{"num_rows": 7043}`. */
  profile: string | null;
}

/** A dataset used by a run, with input tags such as `mlflow.data.context`. */
export interface DatasetInput {
  dataset: Dataset;
  tags: Record<string, string>;
}

/** A logged model a run produced, at a step (MLflow 3's `ModelOutput`). */
export interface ModelOutput {
  modelId: string;
  step: number;
}

/** A run with its data. `metrics` holds the latest value of each key. */
export interface Run {
  info: RunInfo;
  data: {
    metrics: Metric[];
    params: Record<string, string>;
    tags: Record<string, string>;
  };
  inputs: DatasetInput[];
  /** Logged models the run produced (MLflow 3; none for older runs). */
  outputs: ModelOutput[];
}

/** Lifecycle of a logged model, with MLflow's names (`meta.yaml` stores 1, 2, 3). */
export type LoggedModelStatus = "PENDING" | "READY" | "FAILED";

/** Statuses in MLflow's enum order: index + 1 is the stored number. */
export const LOGGED_MODEL_STATUSES: readonly LoggedModelStatus[] = ["PENDING", "READY", "FAILED"];

/**
 * An MLflow 3 logged model: a model with its own id (`m-<32 hex>`), params,
 * tags and artifact location, produced by a run. Registered versions point
 * at it as `models:/<modelId>`.
 */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  /** Where its files are: `<experiment location>/models/<id>/artifacts`. */
  artifactLocation: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  status: LoggedModelStatus;
  sourceRunId: string | null;
  modelType: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** What `createLoggedModel` needs. */
export interface CreateLoggedModelOptions {
  experimentId: string;
  name: string;
  sourceRunId?: string;
  modelType?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/** What one `logBatch` call writes. Params are immutable once logged. */
export interface RunBatch {
  metrics?: Metric[];
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/** What `createRun` needs; tags are set atomically with the run. */
export interface CreateRunOptions {
  experimentId: string;
  runName?: string;
  /** Milliseconds since the epoch; defaults to now. */
  startTime?: number;
  userId?: string;
  tags?: Record<string, string>;
}

/** An entry of a run's artifact tree. */
export interface ArtifactFile {
  /** Path relative to the run's artifact root, `/`-separated. */
  path: string;
  isDir: boolean;
  fileSize: number | null;
}

/** A registered model (a name under which versions are registered). */
export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string | null;
  /** Alias name to version number. */
  aliases: Record<string, string>;
  tags: Record<string, string>;
}

/** One registered version of a model. */
export interface ModelVersion {
  name: string;
  /** Version number as a string, as in MLflow's API ("1", "2", ...). */
  version: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  /** Legacy stage ("None", "Staging", ...); aliases replace stages. */
  currentStage: string;
  description: string | null;
  /** Artifact URI the version was registered from, e.g. `<run artifact uri>/model`. */
  source: string;
  runId: string | null;
  status: string;
  aliases: string[];
  tags: Record<string, string>;
  /** The logged model it was registered from (MLflow 3), else null. */
  modelId: string | null;
}

/** What `createModelVersion` needs. */
export interface CreateModelVersionOptions {
  name: string;
  /**
   * Where the model is: `models:/<model id>` for a logged model (MLflow 3),
   * or the artifact URI of a model directory, e.g. `<run artifactUri>/model`.
   */
  source: string;
  runId?: string;
  /** The logged model, when `source` is `models:/<model id>`. */
  modelId?: string;
  description?: string;
  tags?: Record<string, string>;
}

/** Filters for `searchRuns`: exact tag matches, all of which must hold. */
export interface RunFilter {
  tags?: Record<string, string>;
}

/** Filters for `searchLoggedModels`. */
export interface LoggedModelFilter {
  sourceRunId?: string;
}

/** Filters for `searchModelVersions`. */
export interface ModelVersionFilter {
  name?: string;
  runId?: string;
}

/**
 * Everything the tool reads from or writes to MLflow. Both backends throw
 * {@link MlflowError} (a `UserError`) with MLflow's error codes, so callers
 * can branch on `errorCode` ("RESOURCE_DOES_NOT_EXIST", ...) whichever
 * backend they talk to.
 */
export interface TrackingStore {
  /** "file" for an `mlruns` folder, "sql" for MLflow's SQLite store, "rest" for a server. */
  readonly kind: "file" | "sql" | "rest";
  /** The tracking URI, as shown to users and written in sync tags. */
  readonly uri: string;

  /** The active experiment with this name, or null. */
  getExperimentByName(name: string): Promise<Experiment | null>;
  /** Creates an experiment and returns its id; fails if the name is taken. */
  createExperiment(name: string): Promise<string>;
  /** Active experiments. */
  listExperiments(): Promise<Experiment[]>;

  createRun(options: CreateRunOptions): Promise<RunInfo>;
  /** Sets the status (and end time, for terminal states). */
  updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void>;
  /** Metrics with a `modelId` are also recorded on that logged model. */
  logBatch(runId: string, batch: RunBatch): Promise<void>;
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void>;
  /** Records logged models as the run's outputs. */
  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void>;
  getRun(runId: string): Promise<Run>;
  /** Active runs of these experiments, newest first. */
  searchRuns(experimentIds: string[], filter?: RunFilter): Promise<Run[]>;
  /** Every logged value of one metric, in logging order. */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;

  /**
   * Uploads a local file to `<artifactPath>/<file name>`, or a directory's
   * contents (recursively) under `<artifactPath>/`, like MLflow's
   * `log_artifact` / `log_artifacts`. `artifactPath` "" is the root.
   */
  logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void>;
  /** Direct children of `path` ("" for the root) in the run's artifacts. */
  listArtifacts(runId: string, path?: string): Promise<ArtifactFile[]>;
  /**
   * Makes the artifacts at `uri` (`runs:/<id>/<path>`, `models:/<model id>`,
   * or the store's own artifact URIs) available locally and returns their
   * local path. Local stores return files in place (wherever the store's
   * metadata says they are: nothing is written); the REST store downloads
   * into `destDir`, checking every name the server lists (see
   * `_server_paths.ts`).
   */
  downloadArtifacts(uri: string, destDir: string): Promise<string>;

  /**
   * Creates a logged model in status PENDING. A server without logged
   * models (MLflow 2) throws an error {@link isUnsupported} recognizes.
   */
  createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel>;
  /** The logged model; RESOURCE_DOES_NOT_EXIST when there is none (or it was deleted). */
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  /** Logged models of these experiments, newest first. */
  searchLoggedModels(experimentIds: string[], filter?: LoggedModelFilter): Promise<LoggedModel[]>;
  setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void>;
  /** Sets READY (files complete) or FAILED. */
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void>;
  /** Uploads a folder's files into the logged model's artifact location. */
  logLoggedModelArtifacts(modelId: string, localDir: string): Promise<void>;

  createRegisteredModel(name: string, description?: string): Promise<RegisteredModel>;
  /** The registered model, or null when there is none with that name. */
  getRegisteredModel(name: string): Promise<RegisteredModel | null>;
  createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]>;
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  /** Points `alias` at `version`, moving it if it pointed elsewhere. */
  setAlias(name: string, alias: string, version: string): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  /**
   * Runs `fn` while no other caller of this method, in any process on this
   * store, runs it for the same registered model: read the alias, decide,
   * move it, without another writer in between. Only a backend that can
   * lock has it (the file store); over REST there is no lock, so callers
   * re-read what they wrote.
   */
  lockRegisteredModel?<T>(name: string, fn: () => Promise<T>): Promise<T>;
}
