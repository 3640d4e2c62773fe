/**
 * The file store: an `mlruns` folder in the exact layout MLflow's own file
 * store writes, so `mlflow ui` shows our runs and we read runs MLflow wrote.
 *
 * ```text
 * mlruns/
 *   <experiment_id>/meta.yaml
 *   <experiment_id>/datasets/<md5(name+digest)>/meta.yaml
 *   <experiment_id>/<run_id>/meta.yaml, metrics/<key>, params/<key>, tags/<key>,
 *                            inputs/<md5(dataset_id+run_id)>/meta.yaml, artifacts/...
 *   models/<name>/meta.yaml, aliases/<alias>, tags/<key>, version-<n>/meta.yaml, version-<n>/tags/
 *   .trash/<experiment_id>/...   (deleted experiments)
 *   .mlops-experiments.lock, models/.mlops-model-<md5(name)>.lock   (ours; MLflow ignores files there)
 * ```
 *
 * This module holds experiments, runs and logged models; the registry
 * (`models/`) is `file_registry.ts`, which `FileStore` serves through.
 *
 * Crash safety: every file is written to a temp file and renamed into place.
 * A new run is assembled in a hidden `.tmp-*` folder and published when it
 * reaches a terminal status: the folder is renamed to `<run_id>` and only
 * then is `meta.yaml` (atomically) written. A run without `meta.yaml` is
 * invisible to us and to MLflow, so a killed process never leaves a
 * half-written run on show, just a hidden folder, which a later write into
 * the same folder removes once it is stale (see `tmpPath`).
 *
 * Concurrency: experiment creation and each registered model's alias moves
 * (`lockRegisteredModel`) are serialised across processes by OS file locks
 * (see `withLock`); everything else is either per-run or atomic by rename.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UserError } from "../errors.ts";
import {
  atomicWrite,
  exists,
  field,
  isCorrupt,
  listDir,
  millis,
  readValues,
  readYaml,
  STALE_TMP_MS,
  tmpPath,
  toYaml,
  walkFiles,
  withLock,
} from "./_fs.ts";
import { FileRegistry } from "./file_registry.ts";
import { md5Hex, newExperimentId, newRunId, randomRunName } from "./_ids.ts";
import {
  appendModelMetrics,
  createLoggedModelDir,
  finalizeLoggedModelDir,
  loggedModelDirIn,
  loggedModelDirs,
  loggedModelFiles,
  readLoggedModel,
  readRunOutputs,
  writeLoggedModelTags,
  writeRunOutputs,
} from "./_file_logged_models.ts";
import { formatMetricValue, parseMetricInt, parseMetricValue } from "./_metric_values.ts";
import { copyArtifacts, listArtifactFolder, localPathOf } from "./_local_artifacts.ts";
import { checkArtifactPath, checkKey } from "./_names.ts";
import { printable } from "../printable.ts";
import { MlflowError } from "./errors.ts";
import {
  type ArtifactFile,
  type CreateLoggedModelOptions,
  type CreateModelVersionOptions,
  type CreateRunOptions,
  type DatasetInput,
  type Experiment,
  isActiveStatus,
  type LoggedModel,
  type LoggedModelFilter,
  type LoggedModelStatus,
  type Metric,
  type ModelOutput,
  type ModelVersion,
  type ModelVersionFilter,
  newRunInfo,
  type RegisteredModel,
  type Run,
  RUN_STATUSES,
  type RunBatch,
  type RunFilter,
  type RunInfo,
  type RunStatus,
  type TrackingStore,
} from "./types.ts";

const META = "meta.yaml";
const TRASH = ".trash";
const MODELS = "models";
const DEFAULT_EXPERIMENT_ID = "0";
/**
 * Lock file serialising experiment creation. A file, not a folder: MLflow
 * reads every folder in the store root as an experiment (and fails on a
 * hidden one), but ignores files there.
 */
const EXPERIMENTS_LOCK = ".mlops-experiments.lock";
/** Experiment sub-folders that are not runs (MLflow 3 keeps logged models in `models/`). */
const RESERVED_IN_EXPERIMENT = new Set(["tags", "datasets", "traces", "models"]);
/** MLflow's `SourceType.LOCAL`, written in every run's meta.yaml. */
const SOURCE_TYPE_LOCAL = 4;

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /**
   * Receives one line per corrupt entry skipped while listing (a run or
   * experiment whose files do not parse); default: printed to stderr.
   */
  warn?: (message: string) => void;
}

interface ExperimentDir {
  id: string;
  dir: string;
  deleted: boolean;
}

interface RunLocation {
  /** Folder of the run's experiment. */
  expDir: string;
  /** Folder holding the run now (the hidden staging folder while unpublished). */
  dir: string;
  /** In-memory info of an unpublished run; null once it is on disk. */
  staged: RunInfo | null;
}

/**
 * A tracking store backed by a local folder in MLflow's file-store layout.
 * A run it creates is visible to other readers (and other `FileStore`
 * instances) once `updateRun` gives it a terminal status.
 *
 * @example
 * ```ts
 * import { FileStore } from "./file_store.ts";
 *
 * const store = new FileStore("./mlruns");
 * const experimentId = await store.createExperiment("churn");
 * const run = await store.createRun({ experimentId, runName: "baseline" });
 * await store.logBatch(run.runId, { params: { n_estimators: "100" } });
 * await store.updateRun(run.runId, "FINISHED"); // publishes the run
 * ```
 */
export class FileStore implements TrackingStore {
  readonly kind = "file" as const;
  /** Absolute path of the store folder. */
  readonly root: string;
  readonly uri: string;
  readonly #staged = new Map<string, RunLocation>();
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<string>();
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  /** Set once the root was found to be a folder (or absent, to be created). */
  #rootChecked: Promise<void> | null = null;
  /** Registered models and their versions (`models/`), in their own module. */
  readonly #registry: FileRegistry;

  constructor(root: string, options: FileStoreOptions = {}) {
    this.root = resolve(root);
    this.#registry = new FileRegistry({
      root: this.root,
      checkRoot: () => this.#checkRoot(),
      ensureRoot: () => this.#ensureRoot(),
      getLoggedModel: (id) => this.getLoggedModel(id),
      skip: (what, e) => this.#skip(what, e),
    });
    this.uri = pathToFileURL(this.root).href;
    this.#warn = options.warn ?? ((m) => console.error(printable(`mlops: warning: ${m}`)));
  }

  // ---- experiments -------------------------------------------------------

  async getExperimentByName(name: string): Promise<Experiment | null> {
    for (const e of await this.listExperiments()) if (e.name === name) return e;
    return null;
  }

  async createExperiment(name: string): Promise<string> {
    if (!name.trim()) throw new MlflowError("INVALID_PARAMETER_VALUE", "experiment name is empty");
    await this.#checkRoot();
    // One creator at a time: the name check and the write must not interleave
    // with another process's, or both create an experiment of the same name.
    return await withLock(
      join(this.root, EXPERIMENTS_LOCK),
      `creating experiment '${name}'`,
      async () => {
        await this.#createDefaultExperiment();
        for (const { dir, deleted } of await this.#experimentDirs(true)) {
          const exp = await this.#readExperimentOrWarn(dir);
          if (exp?.name !== name) continue;
          throw new MlflowError(
            "RESOURCE_ALREADY_EXISTS",
            deleted
              ? `experiment '${name}' exists in ${
                join(this.root, TRASH)
              }: restore or remove it first`
              : `experiment '${name}' already exists`,
          );
        }
        let id = newExperimentId();
        while (await exists(join(this.root, id))) id = newExperimentId();
        await this.#writeExperiment(id, name);
        return id;
      },
    );
  }

  async listExperiments(): Promise<Experiment[]> {
    const out: Experiment[] = [];
    for (const { dir } of await this.#experimentDirs(false)) {
      const exp = await this.#readExperimentOrWarn(dir);
      if (exp?.lifecycleStage === "active") out.push(exp);
    }
    // MLflow's order: newest first, ties by id.
    return out.sort((a, b) =>
      (b.creationTime ?? 0) - (a.creationTime ?? 0) || a.experimentId.localeCompare(b.experimentId)
    );
  }

  // ---- runs --------------------------------------------------------------

  async createRun(options: CreateRunOptions): Promise<RunInfo> {
    const expDir = await this.#activeExperimentDir(options.experimentId);
    const exp = await this.#readExperiment(expDir);
    const runId = newRunId();
    const runName = options.runName ?? options.tags?.["mlflow.runName"] ?? randomRunName();
    const staging = await tmpPath(expDir, runId);
    for (const sub of ["metrics", "params", "tags", "artifacts"]) {
      await Deno.mkdir(join(staging, sub), { recursive: true });
    }
    const info = newRunInfo(exp, runId, runName, options);
    const loc: RunLocation = { expDir, dir: staging, staged: info };
    this.#staged.set(runId, loc);
    this.#keepStagedFresh();
    await this.#writeTags(loc, { ...options.tags, "mlflow.runName": runName });
    return { ...info };
  }

  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    const loc = await this.#locate(runId);
    const info = loc.staged ?? await this.#readRunInfo(loc);
    info.status = status;
    info.endTime = isActiveStatus(status) ? null : endTime ?? Date.now();
    if (loc.staged && !isActiveStatus(status)) return await this.#publish(runId, loc);
    if (!loc.staged) await this.#writeRunMeta(loc.dir, info);
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    const loc = await this.#locate(runId);
    for (const [key, value] of Object.entries(batch.params ?? {})) {
      checkKey("param", key);
      const path = join(loc.dir, "params", key);
      if (await exists(path)) {
        const old = await Deno.readTextFile(path);
        if (old === value) continue;
        throw new MlflowError(
          "INVALID_PARAMETER_VALUE",
          `param '${key}' of run ${runId} is already '${old}'; params cannot change (got '${value}')`,
        );
      }
      await atomicWrite(path, value, loc.dir);
    }
    const byKey = new Map<string, Metric[]>();
    for (const m of batch.metrics ?? []) {
      checkKey("metric", m.key);
      byKey.set(m.key, [...byKey.get(m.key) ?? [], m]);
    }
    for (const [key, ms] of byKey) {
      const path = join(loc.dir, "metrics", key);
      const old = await Deno.readTextFile(path).catch(() => "");
      const lines = ms.map((m) => `${m.timestamp} ${formatMetricValue(m.value)} ${m.step}\n`);
      await atomicWrite(path, old + lines.join(""), loc.dir);
    }
    await this.#logModelMetrics(runId, batch.metrics ?? []);
    await this.#writeTags(loc, batch.tags ?? {});
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    const loc = await this.#locate(runId);
    for (const { dataset: d, tags } of inputs) {
      const datasetId = md5Hex(d.name, d.digest);
      const datasetMeta = join(loc.expDir, "datasets", datasetId, META);
      if (!await exists(datasetMeta)) {
        await atomicWrite(
          datasetMeta,
          toYaml({
            digest: d.digest,
            name: d.name,
            profile: d.profile,
            schema: d.schema,
            source: d.source,
            source_type: d.sourceType,
          }),
          loc.expDir,
        );
      }
      const inputMeta = join(loc.dir, "inputs", md5Hex(datasetId, runId), META);
      if (await exists(inputMeta)) continue;
      // MLflow writes the dataset id as `destination_id` too (its
      // `_FileStoreInput.write_yaml` quirk); we match it byte for byte.
      await atomicWrite(
        inputMeta,
        toYaml({
          destination_id: datasetId,
          destination_type: "RUN",
          source_id: datasetId,
          source_type: "DATASET",
          tags: { ...tags },
        }),
        loc.dir,
      );
    }
  }

  async getRun(runId: string): Promise<Run> {
    return await this.#readRun(await this.#locate(runId));
  }

  async searchRuns(experimentIds: string[], filter: RunFilter = {}): Promise<Run[]> {
    await this.#checkRoot();
    const runs: Run[] = [];
    for (const id of experimentIds) {
      const expDir = join(this.root, id);
      if (!await exists(join(expDir, META))) continue;
      for (const e of await listDir(expDir)) {
        if (!e.isDirectory || RESERVED_IN_EXPERIMENT.has(e.name)) continue;
        const dir = join(expDir, e.name);
        // A folder without meta.yaml is not (or not yet) a run: skip it, as MLflow does.
        if (!await exists(join(dir, META))) continue;
        let run: Run;
        try {
          run = await this.#readRun({ expDir, dir, staged: null });
        } catch (e) {
          // One corrupt run must not hide every other run of the store.
          if (!isCorrupt(e)) throw e;
          this.#skip(`run ${basename(dir)} of experiment ${id}`, e);
          continue;
        }
        if (run.info.lifecycleStage !== "active") continue;
        const tags = Object.entries(filter.tags ?? {});
        if (tags.every(([k, v]) => run.data.tags[k] === v)) runs.push(run);
      }
    }
    return runs.sort((a, b) =>
      b.info.startTime - a.info.startTime || a.info.runId.localeCompare(b.info.runId)
    );
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    checkKey("metric", key);
    const loc = await this.#locate(runId);
    const path = join(loc.dir, "metrics", key);
    return await exists(path) ? await readMetricFile(path, key) : [];
  }

  // ---- artifacts ---------------------------------------------------------

  async logArtifact(runId: string, localPath: string, artifactPath = ""): Promise<void> {
    checkArtifactPath(artifactPath);
    const loc = await this.#locate(runId);
    const root = await this.#artifactRoot(loc, true);
    const tmpDir = root.startsWith(loc.dir) ? loc.dir : dirname(root);
    await copyArtifacts(localPath, root, artifactPath, tmpDir);
  }

  async listArtifacts(runId: string, path = ""): Promise<ArtifactFile[]> {
    checkArtifactPath(path);
    const root = await this.#artifactRoot(await this.#locate(runId), false);
    return await listArtifactFolder(root, path);
  }

  async downloadArtifacts(uri: string, _destDir: string): Promise<string> {
    let path: string | null;
    const runs = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/.exec(uri);
    const model = /^models:\/(m-[\w-]+)(?:\/(.*))?$/.exec(uri);
    if (runs) {
      const rel = (runs[2] ?? "").replace(/\/+$/, "");
      checkArtifactPath(rel);
      path = join(await this.#artifactRoot(await this.#locate(runs[1]), false), rel);
    } else if (model) {
      const rel = (model[2] ?? "").replace(/\/+$/, "");
      checkArtifactPath(rel);
      const dir = await this.#loggedModelDir(model[1]);
      path = join(await loggedModelFiles(dir, (await readLoggedModel(dir))!), rel);
    } else {
      path = localPath(uri);
    }
    if (path === null) {
      throw new UserError(`the file store at ${this.root} cannot read artifacts at ${uri}`, {
        code: "MLFLOW_URI",
      });
    }
    if (!await exists(path)) {
      throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `no artifacts at ${uri} (${path})`);
    }
    return path;
  }

  // ---- model registry (file_registry.ts) ---------------------------------

  createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return this.#registry.createRegisteredModel(name, description);
  }

  getRegisteredModel(name: string): Promise<RegisteredModel | null> {
    return this.#registry.getRegisteredModel(name);
  }

  createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    return this.#registry.createModelVersion(options);
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.#registry.getModelVersion(name, version);
  }

  searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]> {
    return this.#registry.searchModelVersions(filter);
  }

  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    return this.#registry.setModelVersionTag(name, version, key, value);
  }

  setAlias(name: string, alias: string, version: string): Promise<void> {
    return this.#registry.setAlias(name, alias, version);
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return this.#registry.deleteAlias(name, alias);
  }

  lockRegisteredModel<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#registry.lockRegisteredModel(name, fn);
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.#registry.getModelVersionByAlias(name, alias);
  }

  // ---- logged models (MLflow 3: <experiment>/models/<id>/) --------------

  async createLoggedModel(o: CreateLoggedModelOptions): Promise<LoggedModel> {
    const expDir = await this.#activeExperimentDir(o.experimentId);
    return await createLoggedModelDir(expDir, await this.#readExperiment(expDir), o);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return (await readLoggedModel(await this.#loggedModelDir(modelId)))!;
  }

  async searchLoggedModels(
    experimentIds: string[],
    filter: LoggedModelFilter = {},
  ): Promise<LoggedModel[]> {
    await this.#checkRoot();
    const out: LoggedModel[] = [];
    for (const id of experimentIds) {
      if (!/^[\w-]+$/.test(id)) continue;
      for (const dir of await loggedModelDirs(join(this.root, id))) {
        const m = await readLoggedModel(dir);
        if (!m || m.experimentId !== id) continue;
        if (filter.sourceRunId === undefined || m.sourceRunId === filter.sourceRunId) out.push(m);
      }
    }
    return out.sort((a, b) =>
      b.creationTimestamp - a.creationTimestamp || a.modelId.localeCompare(b.modelId)
    );
  }

  async setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void> {
    await writeLoggedModelTags(await this.#loggedModelDir(modelId), tags);
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void> {
    await finalizeLoggedModelDir(await this.#loggedModelDir(modelId), status);
  }

  async logLoggedModelArtifacts(modelId: string, localDir: string): Promise<void> {
    const dir = await this.#loggedModelDir(modelId);
    const model = (await readLoggedModel(dir))!;
    const target = localPath(model.artifactLocation);
    if (target === null) {
      throw new UserError(
        `logged model ${modelId} stores artifacts at ${model.artifactLocation}, which is not a local folder`,
        { code: "MLFLOW_URI" },
      );
    }
    await copyArtifacts(localDir, target, "", dir);
  }

  async logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    await writeRunOutputs((await this.#locate(runId)).dir, outputs);
  }

  /** The folder of a logged model (of any experiment, deleted ones included). */
  async #loggedModelDir(modelId: string): Promise<string> {
    if (/^m-[\w-]+$/.test(modelId)) {
      for (const { dir: expDir } of await this.#experimentDirs(true)) {
        const dir = await loggedModelDirIn(expDir, modelId);
        if (dir && await readLoggedModel(dir)) return dir;
      }
    }
    throw new MlflowError(
      "RESOURCE_DOES_NOT_EXIST",
      `logged model '${modelId}' not found in ${this.root}`,
    );
  }

  /** Metrics logged with a `modelId` also go to that model (MLflow's run-to-model link). */
  async #logModelMetrics(runId: string, metrics: Metric[]): Promise<void> {
    const byModel = new Map<string, Metric[]>();
    for (const m of metrics) {
      if (m.modelId) byModel.set(m.modelId, [...byModel.get(m.modelId) ?? [], m]);
    }
    for (const [modelId, ms] of byModel) {
      await appendModelMetrics(await this.#loggedModelDir(modelId), runId, ms);
    }
  }

  // ---- internals: experiments --------------------------------------------

  /**
   * Refuses a root that exists but is not a folder (a file passed as the
   * tracking URI, `mlflow.db` without `sqlite:///`), once per store: read as
   * a store it would look empty, and writes would fail deep inside it. Every
   * method reaches this before it reads or writes the root; a missing root is
   * fine (it is created on the first write, as MLflow does).
   */
  #checkRoot(): Promise<void> {
    this.#rootChecked ??= (async () => {
      const stat = await Deno.stat(this.root).catch((e) => {
        if (e instanceof Deno.errors.NotFound) return null;
        throw e;
      });
      if (!stat || stat.isDirectory) return;
      const head = await Deno.open(this.root).then(async (f) => {
        using file = f;
        const buf = new Uint8Array(16);
        const n = await file.read(buf);
        return new TextDecoder().decode(buf.subarray(0, n ?? 0));
      }).catch(() => "");
      const hint = head.startsWith("SQLite format 3")
        ? `it is an SQLite database: use sqlite:///${this.root}`
        : "a file store is a folder (such as ./mlruns)";
      throw new UserError(`tracking URI ${this.root} is not a folder: ${hint}`, {
        code: "MLFLOW_URI",
      });
    })();
    return this.#rootChecked;
  }

  /** Creates the store like MLflow does on first use: root, `.trash`, experiment 0. */
  async #ensureRoot(): Promise<void> {
    await this.#checkRoot();
    if (await exists(join(this.root, DEFAULT_EXPERIMENT_ID, META))) return;
    await withLock(
      join(this.root, EXPERIMENTS_LOCK),
      "creating the store",
      () => this.#createDefaultExperiment(),
    );
  }

  /** The body of {@link #ensureRoot}, for callers that hold the experiments lock. */
  async #createDefaultExperiment(): Promise<void> {
    await Deno.mkdir(join(this.root, TRASH), { recursive: true });
    if ((await this.#experimentDirs(true)).length === 0) {
      await this.#writeExperiment(DEFAULT_EXPERIMENT_ID, "Default");
    }
  }

  async #writeExperiment(id: string, name: string): Promise<void> {
    const dir = join(this.root, id);
    await Deno.mkdir(dir, { recursive: true });
    const now = Date.now();
    await atomicWrite(
      join(dir, META),
      toYaml({
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: "active",
        name,
      }),
      dir,
    );
  }

  /** Experiment folders that have a meta.yaml (active, and deleted if asked). */
  async #experimentDirs(withDeleted: boolean): Promise<ExperimentDir[]> {
    await this.#checkRoot();
    const out: ExperimentDir[] = [];
    const scan = async (parent: string, deleted: boolean) => {
      for (const e of await listDir(parent)) {
        if (!e.isDirectory || (!deleted && e.name === MODELS)) continue;
        const dir = join(parent, e.name);
        if (await exists(join(dir, META))) out.push({ id: e.name, dir, deleted });
      }
    };
    await scan(this.root, false);
    if (withDeleted) await scan(join(this.root, TRASH), true);
    return out;
  }

  async #readExperiment(dir: string): Promise<Experiment> {
    const path = join(dir, META);
    const meta = await readYaml(path);
    return {
      experimentId: String(field(meta, "experiment_id", path)),
      name: String(field(meta, "name", path)),
      artifactLocation: String(meta.artifact_location ?? pathToFileURL(dir).href),
      lifecycleStage: meta.lifecycle_stage === "deleted" ? "deleted" : "active",
      creationTime: millis(meta.creation_time),
      lastUpdateTime: millis(meta.last_update_time),
      tags: await readValues(join(dir, "tags")),
    };
  }

  /** The experiment, or null (with a warning naming the file) when its files are corrupt. */
  async #readExperimentOrWarn(dir: string): Promise<Experiment | null> {
    try {
      return await this.#readExperiment(dir);
    } catch (e) {
      if (!isCorrupt(e)) throw e;
      this.#skip(`experiment ${basename(dir)}`, e);
      return null;
    }
  }

  /**
   * Warns once per store and message that a corrupt entry is left out of a
   * listing. MLflow, too, skips entries it cannot read instead of failing
   * the whole listing.
   */
  #skip(what: string, e: UserError): void {
    const message = `skipping ${what}: ${e.message}`;
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#warn(message);
  }

  async #activeExperimentDir(experimentId: string): Promise<string> {
    await this.#checkRoot();
    const dir = join(this.root, experimentId);
    if (!/^[\w-]+$/.test(experimentId) || !await exists(join(dir, META))) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `experiment ${experimentId} not found in ${this.root}`,
      );
    }
    const exp = await this.#readExperiment(dir);
    if (exp.lifecycleStage !== "active") {
      throw new MlflowError("INVALID_STATE", `experiment ${experimentId} is deleted`);
    }
    return dir;
  }

  // ---- internals: runs ---------------------------------------------------

  async #locate(runId: string): Promise<RunLocation> {
    const staged = this.#staged.get(runId);
    if (staged) return staged;
    if (/^[0-9a-f]{32}$/.test(runId)) {
      for (const { dir: expDir } of await this.#experimentDirs(true)) {
        const dir = join(expDir, runId);
        if (await exists(join(dir, META))) return { expDir, dir, staged: null };
      }
    }
    throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `run '${runId}' not found in ${this.root}`);
  }

  /**
   * While runs are staged, touches their folders every quarter of
   * STALE_TMP_MS: a run can stay staged for a whole sweep, and a folder not
   * modified for that long would look abandoned to another process where
   * that process cannot check our pid (another OS or machine).
   */
  #keepStagedFresh(): void {
    if (this.#staged.size === 0) {
      if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    } else if (this.#heartbeat === null) {
      const timer = setInterval(() => {
        const now = new Date();
        for (const { dir } of this.#staged.values()) Deno.utime(dir, now, now).catch(() => {});
      }, STALE_TMP_MS / 4);
      // It must not keep a process alive that is otherwise done.
      Deno.unrefTimer(timer);
      this.#heartbeat = timer;
    }
  }

  async #publish(runId: string, loc: RunLocation): Promise<void> {
    const info = loc.staged!;
    const final = join(loc.expDir, runId);
    await Deno.rename(loc.dir, final);
    this.#staged.delete(runId);
    this.#keepStagedFresh();
    // Last step: the run becomes visible when its meta.yaml appears.
    await this.#writeRunMeta(final, info);
  }

  async #writeRunMeta(dir: string, info: RunInfo): Promise<void> {
    await atomicWrite(
      join(dir, META),
      toYaml({
        artifact_uri: info.artifactUri,
        end_time: info.endTime,
        entry_point_name: "",
        experiment_id: info.experimentId,
        lifecycle_stage: info.lifecycleStage,
        run_id: info.runId,
        run_name: info.runName,
        // Kept for MLflow 2 readers, which require it (MLflow 3 ignores it).
        run_uuid: info.runId,
        source_name: "",
        source_type: SOURCE_TYPE_LOCAL,
        source_version: "",
        start_time: info.startTime,
        status: RUN_STATUSES.indexOf(info.status) + 1,
        tags: [],
        user_id: info.userId,
      }),
      dir,
    );
  }

  async #readRunInfo(loc: RunLocation): Promise<RunInfo> {
    if (loc.staged) return loc.staged;
    const path = join(loc.dir, META);
    const meta = await readYaml(path);
    // MLflow 1.x wrote only run_uuid.
    const runId = String(meta.run_id ?? field(meta, "run_uuid", path));
    return {
      runId,
      runName: meta.run_name == null ? "" : String(meta.run_name),
      experimentId: String(field(meta, "experiment_id", path)),
      userId: meta.user_id == null ? "" : String(meta.user_id),
      status: parseStatus(meta.status ?? 1, path),
      startTime: millis(meta.start_time) ?? 0,
      endTime: millis(meta.end_time),
      artifactUri: String(meta.artifact_uri ?? pathToFileURL(join(loc.dir, "artifacts")).href),
      lifecycleStage: meta.lifecycle_stage === "deleted" ? "deleted" : "active",
    };
  }

  async #readRun(loc: RunLocation): Promise<Run> {
    const info = { ...await this.#readRunInfo(loc) };
    const metrics: Metric[] = [];
    const metricsDir = join(loc.dir, "metrics");
    for (const key of await walkFiles(metricsDir)) {
      const history = await readMetricFile(join(metricsDir, key), key);
      if (history.length) metrics.push(latest(history));
    }
    const tags = await readValues(join(loc.dir, "tags"));
    if (!info.runName) info.runName = tags["mlflow.runName"] ?? "";
    return {
      info,
      data: {
        metrics: metrics.sort((a, b) => a.key.localeCompare(b.key)),
        params: await readValues(join(loc.dir, "params")),
        tags,
      },
      inputs: await this.#readInputs(loc),
      outputs: await readRunOutputs(loc.dir),
    };
  }

  async #readInputs(loc: RunLocation): Promise<DatasetInput[]> {
    const out: DatasetInput[] = [];
    for (const e of await listDir(join(loc.dir, "inputs"))) {
      const path = join(loc.dir, "inputs", e.name, META);
      if (!e.isDirectory || !await exists(path)) continue;
      const input = await readYaml(path);
      if (input.source_type !== "DATASET") continue;
      const dsPath = join(loc.expDir, "datasets", String(input.source_id), META);
      if (!await exists(dsPath)) continue;
      const ds = await readYaml(dsPath);
      out.push({
        dataset: {
          name: String(field(ds, "name", dsPath)),
          digest: String(field(ds, "digest", dsPath)),
          sourceType: String(ds.source_type ?? ""),
          source: String(ds.source ?? ""),
          schema: ds.schema == null ? null : String(ds.schema),
          profile: ds.profile == null ? null : String(ds.profile),
        },
        tags: stringRecord(input.tags),
      });
    }
    return out;
  }

  async #writeTags(loc: RunLocation, tags: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(tags)) {
      checkKey("tag", key);
      await atomicWrite(join(loc.dir, "tags", key), value, loc.dir);
    }
    // MLflow keeps meta.yaml's run_name in step with the mlflow.runName tag.
    const name = tags["mlflow.runName"];
    if (name === undefined) return;
    if (loc.staged) loc.staged.runName = name;
    else {
      const info = await this.#readRunInfo(loc);
      if (info.runName !== name) await this.#writeRunMeta(loc.dir, { ...info, runName: name });
    }
  }

  /** Local folder of a run's artifacts (inside the staging folder while unpublished). */
  async #artifactRoot(loc: RunLocation, forWrite: boolean): Promise<string> {
    const info = await this.#readRunInfo(loc);
    const own = join(loc.dir, "artifacts");
    const target = localPath(info.artifactUri);
    if (target === join(loc.expDir, info.runId, "artifacts")) return own;
    if (target === null) {
      if (!forWrite) return own;
      throw new UserError(
        `run ${info.runId} stores artifacts at ${info.artifactUri}, which is not a local folder`,
        { code: "MLFLOW_URI" },
      );
    }
    // A store copied from another machine keeps foreign paths in artifact_uri;
    // its artifacts are still in the run folder.
    if (forWrite || await exists(target)) return target;
    return own;
  }
}

// ---- module helpers ------------------------------------------------------

/** The local path of a `file:` URI or absolute path, else null. */
const localPath = localPathOf;

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = String(v);
  }
  return out;
}

function parseStatus(value: unknown, path: string): RunStatus {
  if (typeof value === "number" && RUN_STATUSES[value - 1]) return RUN_STATUSES[value - 1];
  if (typeof value === "string" && (RUN_STATUSES as readonly string[]).includes(value)) {
    return value as RunStatus;
  }
  throw new UserError(`corrupted MLflow metadata in ${path}: unknown run status '${value}'`, {
    code: "MLFLOW_CORRUPT",
  });
}

/**
 * Reads a metric file. Lines are `timestamp value [step]`; MLflow 3 may
 * append a dataset name and digest (and a run id for logged models), which
 * we do not need.
 */
async function readMetricFile(path: string, key: string): Promise<Metric[]> {
  const out: Metric[] = [];
  const lines = (await Deno.readTextFile(path)).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const parts = line.split(" ");
    const timestamp = parseMetricInt(parts[0]);
    const value = parseMetricValue(parts[1] ?? "");
    const step = parts.length >= 3 ? parseMetricInt(parts[2]) : 0;
    if (parts.length < 2 || timestamp === null || value === null || step === null) {
      throw new UserError(`corrupted MLflow metric in ${path} line ${i + 1}: '${line}'`, {
        code: "MLFLOW_CORRUPT",
      });
    }
    out.push({ key, value, timestamp, step });
  }
  return out;
}

/** MLflow's "latest" value: the largest (step, timestamp, value). */
function latest(history: Metric[]): Metric {
  return history.reduce((best, m) => {
    const d = m.step - best.step || m.timestamp - best.timestamp ||
      (Number.isNaN(best.value) ? 1 : m.value - best.value);
    return d > 0 ? m : best;
  });
}
