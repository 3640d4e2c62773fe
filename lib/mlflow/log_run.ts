/**
 * Logging one training run in a single call: experiment lookup, MLflow's
 * standard tags, params, metrics, the dataset input, artifacts, the model
 * directory with its `MLmodel`, and optionally a registered version.
 *
 * When a tracking server stays unreachable, the run goes to a local file
 * store instead, tagged `mlops.pending_sync=<server uri>`, and a warning
 * says how to upload it later (`mlops sync`). Nothing is lost.
 *
 * @module
 */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { userInfo } from "node:os";
import type { DatasetSchema } from "../data/mod.ts";
import { UserError } from "../errors.ts";
import { redact, stripCredentials } from "../redact.ts";
import { env } from "./_env.ts";
import { isWithin } from "./_server_paths.ts";
import { hasErrorCode, isUnsupported, MlflowUnavailableError } from "./errors.ts";
import {
  failModel,
  finishModel,
  type ModelLogging,
  type ModelRef,
  startModel,
} from "./log_model.ts";
import { colSpecsFromSchema, type ModelSignature } from "./mlmodel.ts";
import { defaultTrackingUri, openStore, parseTrackingUri } from "./open.ts";
import type { DatasetInput, ModelVersion, TrackingStore } from "./types.ts";
import { printable } from "../printable.ts";

/** A hyperparameter value; logged as text the way Python's `str()` prints it. */
export type ParamValue = string | number | boolean | null;

/** Everything one training run logs. */
export interface TrainingRunLog {
  /** Experiment name; created when missing. */
  experiment: string;
  /** Run name; MLflow-style random name when omitted. */
  runName?: string;
  /** Makes this a child run (sets `mlflow.parentRunId`). */
  parentRunId?: string;
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
  tags?: Record<string, string>;
  dataset?: {
    name: string;
    digest: string;
    /** Path or URL of the data. */
    source: string;
    rows: number;
    /** A {@link DatasetSchema} (logged as MLflow colspec), a JSON string, or any JSON value. */
    schema: unknown;
  };
  /** Files or folders to upload; `artifactPath` "" is the run's artifact root. */
  artifacts: { localPath: string; artifactPath: string }[];
  /**
   * The model bundle: uploaded as `model/model.mlops.json` next to an
   * `MLmodel` file, and registered under `register.name` when given.
   */
  model?: {
    bundlePath: string;
    signature?: ModelSignature | null;
    register?: { name: string; alias?: string };
  };
}

/** Where a run ended up. */
export interface LoggedRun {
  runId: string;
  experimentId: string;
  artifactUri: string;
  /** URI of the store holding the run (the fallback store after a fallback). */
  trackingUri: string;
  /** The server the run still has to be synced to, or null when it got there. */
  pendingSync: string | null;
  /** The registered version, when `model.register` was given and succeeded. */
  modelVersion: ModelVersion | null;
}

/** Seams for tests and special setups. */
export interface LogRunOptions {
  /**
   * Store used when the server stays unreachable: a store, a local tracking
   * URI, or false to fail instead. Default `MLOPS_FALLBACK_STORE`, else the
   * local default (`sqlite:///mlflow.db`, or `./mlruns` when it holds runs).
   */
  fallback?: TrackingStore | string | false;
  /** Prints warnings; default `console.error`. */
  warn?: (message: string) => void;
  /** Current commit, or null outside a git checkout; default `git rev-parse HEAD`. */
  gitCommit?: () => Promise<string | null>;
  /** `mlflow.source.name`; default the entry script, relative to the working directory. */
  sourceName?: string;
  /** `mlflow.user`; default `$USER` or the OS user name. */
  user?: string;
}

/**
 * The local store that receives runs while the server is unreachable:
 * `$MLOPS_FALLBACK_STORE`, else the local default MLflow would use
 * (`sqlite:///mlflow.db`, or `./mlruns` when it already holds runs).
 *
 * @example
 * ```ts
 * import { fallbackStoreUri } from "./log_run.ts";
 *
 * console.log(fallbackStoreUri()); // "sqlite:///mlflow.db" unless MLOPS_FALLBACK_STORE is set
 * ```
 */
export function fallbackStoreUri(): string {
  return env("MLOPS_FALLBACK_STORE") ?? defaultTrackingUri();
}

/** Tags sync and fallback use to track runs across stores. */
export const SYNC_TAGS = {
  /** On a fallback run: the tracking URI it is waiting for. */
  pending: "mlops.pending_sync",
  /** On a fallback run: `name` or `name@alias` to register once synced. */
  pendingRegister: "mlops.pending_register",
  /** On an uploaded run: the id of the local run it came from. */
  source: "mlops.sync_source_run_id",
  /** On a synced fallback run: the id it got on the server. */
  synced: "mlops.synced_run_id",
} as const;

/**
 * Formats a param like Python's `str()` (`None`, `True`, `0.5`), so our
 * params line up with those of runs logged from scikit-learn.
 *
 * @example
 * ```ts
 * import { paramText } from "./log_run.ts";
 * import { strict as assert } from "node:assert";
 *
 * assert.equal(paramText(null), "None");
 * assert.equal(paramText(true), "True");
 * ```
 */
export function paramText(v: ParamValue): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  }
  return String(v);
}

/**
 * Logs a whole training run and returns where it went.
 *
 * @example
 * ```ts
 * import { openStore } from "./mod.ts";
 * import { logTrainingRun } from "./log_run.ts";
 *
 * const logged = await logTrainingRun(openStore(), {
 *   experiment: "churn",
 *   params: { n_estimators: 100, max_depth: null },
 *   metrics: { accuracy: 0.81, oob_score: 0.8 },
 *   artifacts: [{ localPath: "out/plots", artifactPath: "plots" }],
 *   model: { bundlePath: "out/model.mlops.json", register: { name: "churn", alias: "candidate" } },
 * });
 * console.log(logged.runId, logged.experimentId);
 * ```
 */
export async function logTrainingRun(
  store: TrackingStore,
  run: TrainingRunLog,
  options: LogRunOptions = {},
): Promise<LoggedRun> {
  const warn = options.warn ?? ((m: string) => console.error(printable(m)));
  const tags = await standardTags(run, options);
  try {
    return await logTo(store, run, tags, warn);
  } catch (e) {
    if (!(e instanceof MlflowUnavailableError) || options.fallback === false) throw e;
    const fallback = typeof options.fallback === "object"
      ? options.fallback
      : localStore(options.fallback ?? fallbackStoreUri());
    // Stored and suggested without credentials: sync takes them from the
    // environment or from the URI the user passes to --to.
    const target = stripCredentials(store.uri);
    const credentialsHint = target === store.uri
      ? ""
      : " (with the credentials in MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, " +
        "MLFLOW_TRACKING_TOKEN or the URI)";
    warn(
      `mlops: warning: ${e.message}; logged the run to ${fallback.uri} instead. ` +
        `Upload it later with: mlops sync --to ${target} --from ${fallback.uri}${credentialsHint}`,
    );
    const reg = run.model?.register;
    const pending: Record<string, string> = { [SYNC_TAGS.pending]: target };
    if (reg) pending[SYNC_TAGS.pendingRegister] = reg.alias ? `${reg.name}@${reg.alias}` : reg.name;
    const logged = await logTo(fallback, run, { ...tags, ...pending }, warn);
    return { ...logged, pendingSync: target };
  }
}

/** A store on this machine for `uri`; a server cannot stand in for an unreachable one. */
function localStore(uri: string): TrackingStore {
  if (parseTrackingUri(uri).kind === "rest") {
    throw new UserError(
      `MLOPS_FALLBACK_STORE=${redact(uri)} is a server: the fallback store must be local ` +
        `(a folder, or sqlite:///mlflow.db)`,
      { code: "MLFLOW_URI" },
    );
  }
  return openStore(uri);
}

async function logTo(
  store: TrackingStore,
  run: TrainingRunLog,
  tags: Record<string, string>,
  warn: (m: string) => void,
): Promise<LoggedRun> {
  const experimentId = await ensureExperiment(store, run.experiment);
  const { "mlflow.runName": runName, ...rest } = tags;
  // Both stores set the `mlflow.runName` tag from `runName` (or a random name).
  const info = await store.createRun({ experimentId, runName, userId: tags["mlflow.user"] });
  const params = Object.fromEntries(
    Object.entries(run.params).map(([k, v]) => [k, paramText(v)]),
  );
  let model: ModelRef | null;
  try {
    model = await logToRun(store, { ...info, experimentId, tags }, {
      params,
      modelMetrics: run.metrics,
      tags: rest,
      dataset: run.dataset,
      artifacts: run.artifacts,
      model: run.model,
    }, warn);
    await store.updateRun(info.runId, "FINISHED", Date.now());
  } catch (e) {
    // An unreachable server cannot be told; anything else marks the run failed.
    if (!(e instanceof MlflowUnavailableError)) {
      await store.updateRun(info.runId, "FAILED", Date.now()).catch(() => {});
    }
    throw e;
  }
  let modelVersion: ModelVersion | null = null;
  const reg = run.model?.register;
  if (reg && model) {
    try {
      modelVersion = await registerModelVersion(store, {
        name: reg.name,
        source: model.source,
        runId: info.runId,
        modelId: model.modelId ?? undefined,
        alias: reg.alias,
      });
    } catch (e) {
      if (!(e instanceof MlflowUnavailableError)) throw e;
      warn(`mlops: warning: run ${info.runId} was logged but not registered: ${e.message}`);
    }
  }
  return {
    runId: info.runId,
    experimentId,
    artifactUri: info.artifactUri,
    trackingUri: store.uri,
    pendingSync: null,
    modelVersion,
  };
}

/** What {@link logToRun} adds to a run. */
export interface RunContent {
  params?: Record<string, string>;
  /** Metrics of the model: linked to the logged model where the store has them. */
  modelMetrics?: Record<string, number>;
  /** Metrics of the run alone (counts, summaries of other runs). */
  runMetrics?: Record<string, number>;
  tags?: Record<string, string>;
  dataset?: TrainingRunLog["dataset"];
  artifacts?: TrainingRunLog["artifacts"];
  /** The model bundle, logged as the run's model (a logged model, or `model/`). */
  model?: { bundlePath: string; signature?: ModelSignature | null };
}

/**
 * Logs a trained model and what goes with it into an existing, running
 * run: the one path for `mlops train` (a run of its own, via
 * {@link logTrainingRun}) and a sweep's refit (its parent run). The logged
 * model is created first so the metrics can name it. On failure the logged
 * model is marked failed; the run's status is the caller's.
 *
 * @example
 * ```ts
 * import { openStore } from "./mod.ts";
 * import { logToRun } from "./log_run.ts";
 *
 * declare const runId: string;
 * const store = openStore();
 * const run = await store.getRun(runId);
 * await logToRun(store, { ...run.info, tags: run.data.tags }, {
 *   modelMetrics: { accuracy: 0.81 },
 *   model: { bundlePath: "out/model/model.mlops.json" },
 * });
 * ```
 */
export async function logToRun(
  store: TrackingStore,
  run: { runId: string; experimentId: string; artifactUri: string; tags: Record<string, string> },
  c: RunContent,
  warn: (m: string) => void = (m) => console.error(printable(m)),
): Promise<ModelRef | null> {
  let logging: ModelLogging | null = null;
  try {
    if (c.model) {
      logging = await startModel(store, {
        experimentId: run.experimentId,
        runId: run.runId,
        artifactUri: run.artifactUri,
        params: c.params ?? {},
        runTags: run.tags,
      });
    }
    const modelId = logging?.model?.modelId;
    const now = Date.now();
    const metrics = (m: Record<string, number> | undefined, linked: boolean) =>
      Object.entries(m ?? {}).map(([key, value]) => ({
        key,
        value,
        timestamp: now,
        step: 0,
        ...(linked && modelId ? { modelId } : {}),
      }));
    await store.logBatch(run.runId, {
      params: c.params ?? {},
      metrics: [...metrics(c.modelMetrics, true), ...metrics(c.runMetrics, false)],
      tags: c.tags ?? {},
    });
    if (c.dataset) await logDataset(store, run.runId, c.dataset, warn);
    for (const a of c.artifacts ?? []) {
      await store.logArtifact(run.runId, a.localPath, a.artifactPath);
    }
    return c.model && logging ? await finishModel(store, logging, c.model) : null;
  } catch (e) {
    if (!(e instanceof MlflowUnavailableError)) await failModel(store, logging);
    throw e;
  }
}

/**
 * The experiment's id, creating it if needed (tolerating a concurrent creator).
 *
 * @example
 * ```ts
 * import { openStore } from "./mod.ts";
 * import { ensureExperiment } from "./log_run.ts";
 *
 * const experimentId = await ensureExperiment(openStore(), "churn");
 * ```
 */
export async function ensureExperiment(store: TrackingStore, name: string): Promise<string> {
  const found = await store.getExperimentByName(name);
  if (found) return found.experimentId;
  try {
    return await store.createExperiment(name);
  } catch (e) {
    if (!hasErrorCode(e, "RESOURCE_ALREADY_EXISTS")) throw e;
    const again = await store.getExperimentByName(name);
    if (!again) throw e;
    return again.experimentId;
  }
}

/**
 * Registers `source` as a new version of `name` (creating the registered
 * model when needed) and points `alias` at it. A version of a logged model
 * is also listed on the model, in its `mlflow.modelVersions` tag, as
 * MLflow's `register_model` does.
 *
 * @example
 * ```ts
 * import { openStore } from "./mod.ts";
 * import { registerModelVersion } from "./log_run.ts";
 *
 * const mv = await registerModelVersion(openStore(), {
 *   name: "churn",
 *   source: "runs:/0123456789abcdef0123456789abcdef/model",
 *   alias: "champion",
 * });
 * ```
 */
export async function registerModelVersion(
  store: TrackingStore,
  o: {
    name: string;
    source: string;
    runId?: string;
    /** The logged model `source` names (`models:/<modelId>`). */
    modelId?: string;
    alias?: string;
    tags?: Record<string, string>;
    description?: string;
  },
): Promise<ModelVersion> {
  if (!await store.getRegisteredModel(o.name)) {
    await store.createRegisteredModel(o.name).catch((e) => {
      if (!hasErrorCode(e, "RESOURCE_ALREADY_EXISTS")) throw e;
    });
  }
  const mv = await store.createModelVersion({
    name: o.name,
    source: o.source,
    runId: o.runId,
    modelId: o.modelId,
    tags: o.tags,
    description: o.description,
  });
  if (o.modelId) await listVersionOnModel(store, o.modelId, mv);
  if (o.alias) {
    await store.setAlias(o.name, o.alias, mv.version);
    mv.aliases = [...mv.aliases, o.alias];
  }
  return mv;
}

/** Adds `{name, version}` to the logged model's `mlflow.modelVersions` tag (a JSON list). */
async function listVersionOnModel(store: TrackingStore, modelId: string, mv: ModelVersion) {
  const model = await store.getLoggedModel(modelId);
  let listed: unknown[] = [];
  try {
    const old = JSON.parse(model.tags[MODEL_VERSIONS_TAG] ?? "[]");
    if (Array.isArray(old)) listed = old;
  } catch {
    // Not ours to repair: start the list again.
  }
  listed.push({ name: mv.name, version: Number(mv.version) });
  await store.setLoggedModelTags(modelId, { [MODEL_VERSIONS_TAG]: JSON.stringify(listed) });
}

/** MLflow's tag on a logged model listing the versions registered from it. */
const MODEL_VERSIONS_TAG = "mlflow.modelVersions";

/** Logs the dataset input; a server without `runs/log-inputs` only costs a warning. */
async function logDataset(
  store: TrackingStore,
  runId: string,
  dataset: NonNullable<TrainingRunLog["dataset"]>,
  warn: (m: string) => void,
): Promise<void> {
  try {
    await store.logInputs(runId, [datasetInput(dataset)]);
  } catch (e) {
    if (!isUnsupported(e)) throw e;
    warn(`mlops: warning: ${store.uri} does not accept dataset inputs; the run has no input`);
  }
}

function isDatasetSchema(s: unknown): s is DatasetSchema {
  return typeof s === "object" && s !== null && Array.isArray((s as DatasetSchema).features) &&
    typeof (s as DatasetSchema).target === "string";
}

/**
 * The MLflow dataset input of a training CSV: its colspec schema, a
 * `local` or `http` source, and a profile with the row count; context `train`.
 *
 * @example
 * ```ts
 * import { datasetInput } from "./log_run.ts";
 *
 * const input = datasetInput({ name: "churn", digest: "9f2c", source: "churn.csv", rows: 7043, schema: null });
 * ```
 */
export function datasetInput(d: NonNullable<TrainingRunLog["dataset"]>): DatasetInput {
  const schema = typeof d.schema === "string"
    ? d.schema
    : isDatasetSchema(d.schema)
    ? JSON.stringify({ mlflow_colspec: colSpecsFromSchema(d.schema, true) })
    : JSON.stringify(d.schema ?? null);
  const cols = isDatasetSchema(d.schema) ? d.schema.features.length + 1 : null;
  const isUrl = /^https?:\/\//.test(d.source);
  return {
    dataset: {
      name: d.name,
      digest: d.digest,
      sourceType: isUrl ? "http" : "local",
      source: JSON.stringify({ uri: isUrl ? d.source : resolve(d.source) }),
      schema,
      profile: JSON.stringify({
        num_rows: d.rows,
        ...(cols !== null ? { num_elements: d.rows * cols } : {}),
      }),
    },
    tags: { "mlflow.data.context": "train" },
  };
}

// One `git rev-parse` per process, however many runs it logs.
let head: Promise<string | null> | undefined;

/**
 * MLflow's standard source tags of a run logged by mlops: `mlflow.user`,
 * `mlflow.source.name` (default the entry script), `mlflow.source.type` and
 * `mlflow.source.git.commit` when in a git checkout. Every run mlops logs
 * (train, sweep parents and children) carries these.
 *
 * @example
 * ```ts
 * import { sourceTags } from "./log_run.ts";
 *
 * const tags = await sourceTags({ sourceName: "mlops sweep" });
 * ```
 */
export async function sourceTags(
  options: Pick<LogRunOptions, "user" | "sourceName" | "gitCommit"> = {},
): Promise<Record<string, string>> {
  const tags: Record<string, string> = {
    "mlflow.user": options.user ?? currentUser(),
    "mlflow.source.name": options.sourceName ?? entryScript(),
    "mlflow.source.type": "LOCAL",
  };
  const commit = await (options.gitCommit ? options.gitCommit() : (head ??= gitHead()));
  if (commit) tags["mlflow.source.git.commit"] = commit;
  return tags;
}

/** MLflow's standard run tags, then the caller's (which may override them). */
async function standardTags(
  run: TrainingRunLog,
  options: LogRunOptions,
): Promise<Record<string, string>> {
  const tags = await sourceTags(options);
  if (run.parentRunId) tags["mlflow.parentRunId"] = run.parentRunId;
  Object.assign(tags, run.tags);
  tags["mlflow.runName"] = run.runName ?? run.tags?.["mlflow.runName"] ?? "";
  if (!tags["mlflow.runName"]) delete tags["mlflow.runName"];
  return tags;
}

/**
 * The OS user ($USER, $LOGNAME, $USERNAME, else the account name), as MLflow
 * records it in `mlflow.user`.
 *
 * @example
 * ```ts
 * import { currentUser } from "./log_run.ts";
 * console.log(currentUser());
 * ```
 */
export function currentUser(): string {
  const name = env("USER") ?? env("LOGNAME") ?? env("USERNAME");
  if (name) return name;
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

function entryScript(): string {
  try {
    const main = Deno.mainModule;
    if (!main.startsWith("file:")) return main;
    const path = fileURLToPath(main);
    return isWithin(Deno.cwd(), path) ? relative(Deno.cwd(), path) : path;
  } catch {
    return "mlops";
  }
}

/** The checked-out commit; null when git is missing, not permitted, or not in a repo. */
/**
 * The commit checked out in the working directory, for
 * `mlflow.source.git.commit`; null outside a git checkout or without git.
 *
 * @example
 * ```ts
 * const sha = await gitHead(); // "0fc2ea0…" or null
 * ```
 */
export async function gitHead(): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const sha = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}
