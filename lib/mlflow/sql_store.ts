/**
 * The SQLite store: MLflow's own SQL schema (`sqlite:///mlflow.db`, the
 * default store of current MLflow), read and written directly, so
 * `mlflow ui` and `mlflow server` open the database with no flags and
 * MLflow's client reads everything mlops logs.
 *
 * Rows are written as MLflow's `SqlAlchemyStore` writes them (NaN metrics as
 * `is_nan`, infinities as the largest double, `latest_metrics` kept current,
 * `mlflow.runName` mirrored in `runs.name`, run outputs as `inputs` rows).
 * Every change is one transaction taken with `BEGIN IMMEDIATE` and a busy
 * timeout, so processes logging to one database at once wait for each other
 * instead of colliding (two new versions of one model get 1 and 2).
 *
 * Artifacts go where MLflow puts them for a SQLite store it opens itself:
 * under `./mlruns` of the working directory (`<root>/<experiment id>/<run
 * id>/artifacts`), recorded as plain absolute paths.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import type { SQLInputValue } from "node:sqlite";
import { UserError } from "../errors.ts";
import { exists } from "./_fs.ts";
import { newModelId, newRunId, randomRunName } from "./_ids.ts";
import { copyArtifacts, listArtifactFolder, localPathOf } from "./_local_artifacts.ts";
import { checkAlias, checkArtifactPath, checkKey, checkModelName } from "./_names.ts";
import { type Row, SqlDb, sqlitePath } from "./_sql_db.ts";
import { MlflowError } from "./errors.ts";
import {
  type ArtifactFile,
  type CreateLoggedModelOptions,
  type CreateModelVersionOptions,
  type CreateRunOptions,
  type DatasetInput,
  type Experiment,
  isActiveStatus,
  LOGGED_MODEL_STATUSES,
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
  type RunBatch,
  type RunFilter,
  type RunInfo,
  type RunStatus,
  type TrackingStore,
} from "./types.ts";

/** Where MLflow keeps artifacts of a SQLite store it opens without `--default-artifact-root`. */
export const DEFAULT_SQL_ARTIFACT_ROOT = "./mlruns";
/** MLflow replaces infinite metric values with the largest double (SQL has no infinity). */
const MAX_DOUBLE = 1.7976931348623157e308;
/** Stage of versions MLflow has deleted but keeps. */
const DELETED_STAGE = "Deleted_Internal";

/**
 * A tracking store in an MLflow SQLite database.
 *
 * @example
 * ```ts
 * import { SqlStore } from "./sql_store.ts";
 *
 * const store = new SqlStore("sqlite:///mlflow.db");
 * const experimentId = await store.createExperiment("churn");
 * const run = await store.createRun({ experimentId, runName: "baseline" });
 * await store.updateRun(run.runId, "FINISHED");
 * ```
 */
export class SqlStore implements TrackingStore, Disposable {
  readonly kind = "sql" as const;
  readonly uri: string;
  /** Absolute path of the database file. */
  readonly path: string;
  /** Where new experiments keep artifacts (an absolute path, as MLflow records it). */
  readonly artifactRoot: string;
  readonly #db: SqlDb;

  /** The connection, for imports that keep MLflow's ids (`mlops migrate`). */
  get database(): SqlDb {
    return this.#db;
  }

  constructor(uri: string, options: { artifactRoot?: string } = {}) {
    this.path = sqlitePath(uri);
    this.uri = `sqlite:///${this.path}`;
    this.artifactRoot = resolve(options.artifactRoot ?? DEFAULT_SQL_ARTIFACT_ROOT);
    this.#db = new SqlDb(this.path, (db) => {
      // MLflow's Default experiment, id 0, as SqlAlchemyStore creates it.
      const now = Date.now();
      db.run(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, " +
          "creation_time, last_update_time) VALUES (0, 'Default', ?, 'active', ?, ?)",
        `${this.artifactRoot}/0`,
        now,
        now,
      );
    });
  }

  /** The schema revision of the database (opening it if needed). */
  get revision(): string {
    this.#db.db;
    return this.#db.revision!;
  }

  /** Closes the connection (the next call opens it again). */
  close(): void {
    this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- experiments -------------------------------------------------------

  getExperimentByName(name: string): Promise<Experiment | null> {
    return settle(() => {
      const row = this.#db.get(
        `${EXPERIMENT_SELECT} WHERE name = ?${this.#db.ws("experiments")}`,
        name,
      );
      const exp = row ? this.#experiment(row) : null;
      return exp?.lifecycleStage === "active" ? exp : null;
    });
  }

  createExperiment(name: string): Promise<string> {
    return settle(() => {
      if (!name.trim()) {
        throw new MlflowError("INVALID_PARAMETER_VALUE", "experiment name is empty");
      }
      return this.#db.write(() => {
        const found = this.#db.get(
          `SELECT lifecycle_stage FROM experiments WHERE name = ?${this.#db.ws("experiments")}`,
          name,
        );
        if (found) {
          throw new MlflowError(
            "RESOURCE_ALREADY_EXISTS",
            found.lifecycle_stage === "deleted"
              ? `experiment '${name}' exists in ${this.uri} (deleted): restore or rename it first`
              : `experiment '${name}' already exists`,
          );
        }
        const now = Date.now();
        this.#db.run(
          "INSERT INTO experiments (name, lifecycle_stage, creation_time, last_update_time) " +
            "VALUES (?, 'active', ?, ?)",
          name,
          now,
          now,
        );
        // Ids can pass 2^53 (a migrated file store's): read back as text, never as a number.
        const id = String(
          this.#db.get(
            `SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ?${
              this.#db.ws("experiments")
            }`,
            name,
          )!.id,
        );
        this.#db.run(
          "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
          `${this.artifactRoot}/${id}`,
          id,
        );
        return id;
      });
    });
  }

  listExperiments(): Promise<Experiment[]> {
    return settle(() => {
      const rows = this.#db.all(
        `${EXPERIMENT_SELECT} WHERE lifecycle_stage = 'active'${this.#db.ws("experiments")} ` +
          "ORDER BY creation_time DESC, experiment_id ASC",
      );
      return rows.map((r) => this.#experiment(r));
    });
  }

  // ---- runs --------------------------------------------------------------

  createRun(options: CreateRunOptions): Promise<RunInfo> {
    return settle(() => {
      return this.#db.write(() => {
        const exp = this.#activeExperiment(options.experimentId);
        const runId = newRunId();
        const tags = { ...options.tags };
        const runName = options.runName ?? tags["mlflow.runName"] ?? randomRunName();
        tags["mlflow.runName"] = runName;
        const info = newRunInfo(exp, runId, runName, options);
        this.#db.run(
          "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, " +
            "status, start_time, end_time, deleted_time, source_version, lifecycle_stage, " +
            "artifact_uri, experiment_id) " +
            "VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, NULL, '', 'active', ?, ?)",
          runId,
          runName,
          info.userId,
          info.startTime,
          info.artifactUri,
          exp.experimentId,
        );
        this.#setTags(runId, tags);
        return info;
      });
    });
  }

  updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    return settle(() => {
      this.#db.write(() => {
        this.#activeRun(runId);
        this.#db.run(
          "UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ?",
          status,
          isActiveStatus(status) ? null : endTime ?? Date.now(),
          runId,
        );
      });
    });
  }

  logBatch(runId: string, batch: RunBatch): Promise<void> {
    return settle(() => {
      this.#db.write(() => {
        const run = this.#activeRun(runId);
        const params = Object.entries(batch.params ?? {});
        for (const [key, value] of params) {
          checkKey("param", key);
          const old = this.#db.get(
            "SELECT value FROM params WHERE run_uuid = ? AND key = ?",
            runId,
            key,
          );
          if (old && old.value !== value) {
            throw new MlflowError(
              "INVALID_PARAMETER_VALUE",
              `param '${key}' of run ${runId} is already '${old.value}'; params cannot change (got '${value}')`,
            );
          }
          if (!old) {
            this.#db.run(
              "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
              key,
              value,
              runId,
            );
          }
        }
        for (const m of batch.metrics ?? []) this.#logMetric(run, m);
        this.#setTags(runId, batch.tags ?? {});
      });
    });
  }

  logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    return settle(() => {
      this.#db.write(() => {
        const run = this.#activeRun(runId);
        for (const { dataset: d, tags } of inputs) {
          let uuid = this.#db.get(
            "SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?",
            run.experimentId,
            d.name,
            d.digest,
          )?.dataset_uuid as string | undefined;
          if (!uuid) {
            uuid = newRunId();
            this.#db.run(
              "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, " +
                "dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              uuid,
              run.experimentId,
              d.name,
              d.digest,
              d.sourceType,
              d.source,
              d.schema,
              d.profile,
            );
          }
          const inputId = newRunId();
          const added = this.#db.run(
            "INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, " +
              "destination_id, step) VALUES (?, 'DATASET', ?, 'RUN', ?, 0)",
            inputId,
            uuid,
            runId,
          );
          if (!added) continue;
          for (const [name, value] of Object.entries(tags)) {
            this.#db.run(
              "INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)",
              inputId,
              name,
              value,
            );
          }
        }
      });
    });
  }

  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    return settle(() => {
      this.#db.write(() => {
        this.#activeRun(runId);
        for (const o of outputs) {
          this.#loggedModelRow(o.modelId);
          this.#db.run(
            "INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, " +
              "destination_id, step) VALUES (?, 'RUN_OUTPUT', ?, 'MODEL_OUTPUT', ?, ?)",
            newRunId(),
            runId,
            o.modelId,
            o.step,
          );
        }
      });
    });
  }

  getRun(runId: string): Promise<Run> {
    return settle(() => {
      return this.#run(this.#runRow(runId));
    });
  }

  searchRuns(experimentIds: string[], filter: RunFilter = {}): Promise<Run[]> {
    return settle(() => {
      if (!experimentIds.length) return [];
      const tags = Object.entries(filter.tags ?? {});
      const where = [
        `experiment_id IN (${experimentIds.map(() => "?").join(", ")})`,
        "lifecycle_stage = 'active'",
        ...tags.map(() => "run_uuid IN (SELECT run_uuid FROM tags WHERE key = ? AND value = ?)"),
      ];
      const rows = this.#db.all(
        `${RUN_SELECT} WHERE ${where.join(" AND ")} ORDER BY start_time DESC, run_uuid ASC`,
        ...experimentIds,
        ...tags.flat(),
      );
      return rows.map((r) => this.#run(r));
    });
  }

  getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return settle(() => {
      checkKey("metric", key);
      this.#runRow(runId);
      const rows = this.#db.all(
        "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? " +
          "ORDER BY timestamp, step, value",
        runId,
        key,
      );
      return rows.map(metricOf);
    });
  }

  // ---- artifacts ---------------------------------------------------------

  async logArtifact(runId: string, localPath: string, artifactPath = ""): Promise<void> {
    checkArtifactPath(artifactPath);
    const root = this.#localRoot(this.#runRow(runId).artifact_uri as string, `run ${runId}`);
    await copyArtifacts(localPath, root, artifactPath, dirname(root));
  }

  async listArtifacts(runId: string, path = ""): Promise<ArtifactFile[]> {
    checkArtifactPath(path);
    const uri = String(this.#runRow(runId).artifact_uri);
    const root = localPathOf(uri);
    return root === null ? [] : await listArtifactFolder(root, path);
  }

  async downloadArtifacts(uri: string, _destDir: string): Promise<string> {
    let path: string;
    const runs = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/.exec(uri);
    const model = /^models:\/(m-[\w-]+)(?:\/(.*))?$/.exec(uri);
    if (runs || model) {
      const rel = ((runs ?? model)![2] ?? "").replace(/\/+$/, "");
      checkArtifactPath(rel);
      const location = runs
        ? String(this.#runRow(runs[1]).artifact_uri)
        : String(this.#loggedModelRow(model![1]).artifact_location);
      path = join(this.#localRoot(location, uri), rel);
    } else {
      path = this.#localRoot(uri, uri);
    }
    if (!await exists(path)) {
      throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `no artifacts at ${uri} (${path})`);
    }
    return path;
  }

  // ---- logged models -----------------------------------------------------

  createLoggedModel(o: CreateLoggedModelOptions): Promise<LoggedModel> {
    return settle(() => {
      return this.#db.write(() => {
        const exp = this.#activeExperiment(o.experimentId);
        const modelId = newModelId();
        const now = Date.now();
        const location = `${exp.artifactLocation.replace(/\/+$/, "")}/models/${modelId}/artifacts`;
        this.#db.run(
          "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, " +
            "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, " +
            "source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, 1, 'active', ?, ?, NULL)",
          modelId,
          exp.experimentId,
          o.name,
          location,
          now,
          now,
          o.modelType ?? null,
          o.sourceRunId ?? null,
        );
        for (const [k, v] of Object.entries(o.params ?? {})) {
          checkKey("param", k);
          this.#db.run(
            "INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) " +
              "VALUES (?, ?, ?, ?)",
            modelId,
            exp.experimentId,
            k,
            v,
          );
        }
        this.#setModelTags(modelId, exp.experimentId, o.tags ?? {});
        return this.#loggedModel(this.#loggedModelRow(modelId));
      });
    });
  }

  getLoggedModel(modelId: string): Promise<LoggedModel> {
    return settle(() => {
      return this.#loggedModel(this.#loggedModelRow(modelId));
    });
  }

  searchLoggedModels(
    experimentIds: string[],
    filter: LoggedModelFilter = {},
  ): Promise<LoggedModel[]> {
    return settle(() => {
      if (!experimentIds.length) return [];
      const rows = this.#db.all(
        `${MODEL_SELECT} WHERE experiment_id IN (${experimentIds.map(() => "?").join(", ")}) ` +
          "AND lifecycle_stage != 'deleted'" +
          (filter.sourceRunId !== undefined ? " AND source_run_id = ?" : "") +
          " ORDER BY creation_timestamp_ms DESC, model_id ASC",
        ...experimentIds,
        ...(filter.sourceRunId !== undefined ? [filter.sourceRunId] : []),
      );
      return rows.map((r) => this.#loggedModel(r));
    });
  }

  setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void> {
    return settle(() => {
      this.#db.write(() => {
        const row = this.#loggedModelRow(modelId);
        this.#setModelTags(modelId, String(row.experiment_id), tags);
      });
    });
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void> {
    return settle(() => {
      this.#db.write(() => {
        this.#loggedModelRow(modelId);
        this.#db.run(
          "UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?",
          LOGGED_MODEL_STATUSES.indexOf(status) + 1,
          Date.now(),
          modelId,
        );
      });
    });
  }

  async logLoggedModelArtifacts(modelId: string, localDir: string): Promise<void> {
    const location = String(this.#loggedModelRow(modelId).artifact_location);
    const root = this.#localRoot(location, `logged model ${modelId}`);
    await copyArtifacts(localDir, root, "", dirname(root));
  }

  // ---- model registry ----------------------------------------------------

  createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return settle(() => {
      checkModelName(name);
      return this.#db.write(() => {
        if (this.#modelRow(name)) {
          throw new MlflowError(
            "RESOURCE_ALREADY_EXISTS",
            `registered model '${name}' already exists`,
          );
        }
        const now = Date.now();
        this.#db.run(
          "INSERT INTO registered_models (name, creation_time, last_updated_time, description) " +
            "VALUES (?, ?, ?, ?)",
          name,
          now,
          now,
          description ?? null,
        );
        return this.#registeredModel(this.#modelRow(name)!);
      });
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel | null> {
    return settle(() => {
      checkModelName(name);
      const row = this.#modelRow(name);
      return row ? this.#registeredModel(row) : null;
    });
  }

  createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    return settle(() => {
      return this.#db.write(() => {
        this.#requireModel(o.name);
        // As MLflow: a version of a logged model is stored where the model's files are.
        const storage = o.modelId
          ? String(this.#loggedModelRow(o.modelId).artifact_location)
          : o.source;
        const next = Number(
          this.#db.get(
            `SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?${
              this.#db.ws("model_versions")
            }`,
            o.name,
          )!.v,
        );
        const now = Date.now();
        this.#db.run(
          "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, " +
            "user_id, current_stage, source, run_id, status, status_message, run_link, " +
            "storage_location) VALUES (?, ?, ?, ?, ?, NULL, 'None', ?, ?, 'READY', NULL, NULL, ?)",
          o.name,
          next,
          now,
          now,
          o.description ?? null,
          o.source,
          o.runId ?? null,
          storage,
        );
        for (const [k, v] of Object.entries(o.tags ?? {})) {
          checkKey("tag", k);
          this.#db.run(
            "INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)",
            k,
            v,
            o.name,
            next,
          );
        }
        this.#touchModel(o.name, now);
        return this.#version(o.name, String(next))!;
      });
    });
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return settle(() => {
      this.#requireModel(name);
      const mv = this.#version(name, version);
      if (!mv) {
        throw new MlflowError(
          "RESOURCE_DOES_NOT_EXIST",
          `model version ${name}/${version} not found in ${this.uri}`,
        );
      }
      return mv;
    });
  }

  searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]> {
    return settle(() => {
      const where = [`current_stage != '${DELETED_STAGE}'`];
      const params: SQLInputValue[] = [];
      if (filter.name !== undefined) {
        where.push("name = ?");
        params.push(filter.name);
      }
      if (filter.runId !== undefined) {
        where.push("run_id = ?");
        params.push(filter.runId);
      }
      const rows = this.#db.all(
        `SELECT name, version FROM model_versions WHERE ${where.join(" AND ")}${
          this.#db.ws("model_versions")
        } ORDER BY name ASC, version DESC`,
        ...params,
      );
      return rows.map((r) => this.#version(String(r.name), String(r.version))!).filter(Boolean);
    });
  }

  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    return settle(() => {
      checkKey("tag", key);
      this.#db.write(() => {
        this.#requireVersion(name, version);
        this.#db.run(
          "INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT DO UPDATE SET value = excluded.value",
          key,
          value,
          name,
          Number(version),
        );
        this.#touchModel(name);
      });
    });
  }

  setAlias(name: string, alias: string, version: string): Promise<void> {
    return settle(() => {
      checkAlias(alias);
      this.#db.write(() => {
        this.#requireVersion(name, version);
        this.#db.run(
          "INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?) " +
            "ON CONFLICT DO UPDATE SET version = excluded.version",
          alias,
          Number(version),
          name,
        );
        this.#touchModel(name);
      });
    });
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return settle(() => {
      checkAlias(alias);
      this.#db.write(() => {
        this.#requireModel(name);
        this.#db.run(
          `DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?${
            this.#db.ws("registered_model_aliases")
          }`,
          name,
          alias,
        );
        this.#touchModel(name);
      });
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    checkAlias(alias);
    const model = this.#registeredModel(this.#requireModel(name));
    const version = model.aliases[alias];
    if (version === undefined) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `registered model '${name}' has no alias '${alias}'`,
      );
    }
    return await this.getModelVersion(name, version);
  }

  // ---- internals ---------------------------------------------------------

  #experiment(r: Row): Experiment {
    const id = String(r.id);
    const tags: Record<string, string> = {};
    for (
      const t of this.#db.all("SELECT key, value FROM experiment_tags WHERE experiment_id = ?", id)
    ) {
      tags[String(t.key)] = String(t.value ?? "");
    }
    return {
      experimentId: id,
      name: String(r.name),
      artifactLocation: String(r.artifact_location ?? `${this.artifactRoot}/${id}`),
      lifecycleStage: r.lifecycle_stage === "deleted" ? "deleted" : "active",
      creationTime: r.creation_time == null ? null : Number(r.creation_time),
      lastUpdateTime: r.last_update_time == null ? null : Number(r.last_update_time),
      tags,
    };
  }

  #activeExperiment(id: string): Experiment {
    const row = /^\d+$/.test(id)
      ? this.#db.get(
        `${EXPERIMENT_SELECT} WHERE experiment_id = ?${this.#db.ws("experiments")}`,
        id,
      )
      : undefined;
    if (!row) {
      throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `experiment ${id} not found in ${this.uri}`);
    }
    const exp = this.#experiment(row);
    if (exp.lifecycleStage !== "active") {
      throw new MlflowError("INVALID_STATE", `experiment ${id} is deleted`);
    }
    return exp;
  }

  #runRow(runId: string): Row {
    const row = /^[0-9a-f]{32}$/.test(runId)
      ? this.#db.get(`${RUN_SELECT} WHERE run_uuid = ?`, runId)
      : undefined;
    if (!row) {
      throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `run '${runId}' not found in ${this.uri}`);
    }
    return row;
  }

  /** A run that may still change (not deleted), as MLflow's `_check_run_is_active`. */
  #activeRun(runId: string): RunInfo {
    const info = runInfoOf(this.#runRow(runId));
    if (info.lifecycleStage !== "active") {
      throw new MlflowError("INVALID_STATE", `run ${runId} is deleted`);
    }
    return info;
  }

  #run(row: Row): Run {
    const info = runInfoOf(row);
    const id = info.runId;
    const params: Record<string, string> = {};
    for (const p of this.#db.all("SELECT key, value FROM params WHERE run_uuid = ?", id)) {
      params[String(p.key)] = String(p.value);
    }
    const tags: Record<string, string> = {};
    for (const t of this.#db.all("SELECT key, value FROM tags WHERE run_uuid = ?", id)) {
      tags[String(t.key)] = String(t.value ?? "");
    }
    if (!info.runName) info.runName = tags["mlflow.runName"] ?? "";
    const metrics = this.#db.all(
      "SELECT key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ? ORDER BY key",
      id,
    ).map(metricOf);
    const inputs: DatasetInput[] = [];
    for (
      const i of this.#db.all(
        "SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, " +
          "d.dataset_schema, d.dataset_profile FROM inputs i JOIN datasets d " +
          "ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' " +
          "AND i.destination_type = 'RUN' AND i.destination_id = ? ORDER BY d.name",
        id,
      )
    ) {
      const itags: Record<string, string> = {};
      for (
        const t of this.#db.all(
          "SELECT name, value FROM input_tags WHERE input_uuid = ?",
          i.input_uuid,
        )
      ) itags[String(t.name)] = String(t.value);
      inputs.push({
        dataset: {
          name: String(i.name),
          digest: String(i.digest),
          sourceType: String(i.dataset_source_type),
          source: String(i.dataset_source),
          schema: i.dataset_schema == null ? null : String(i.dataset_schema),
          profile: i.dataset_profile == null ? null : String(i.dataset_profile),
        },
        tags: itags,
      });
    }
    const outputs = this.#db.all(
      "SELECT destination_id, step FROM inputs WHERE source_type = 'RUN_OUTPUT' AND source_id = ? " +
        "AND destination_type = 'MODEL_OUTPUT' ORDER BY step, destination_id",
      id,
    ).map((o) => ({ modelId: String(o.destination_id), step: Number(o.step ?? 0) }));
    return { info, data: { metrics, params, tags }, inputs, outputs };
  }

  /** Tags of a run; `mlflow.runName` is mirrored in `runs.name`, as MLflow does. */
  #setTags(runId: string, tags: Record<string, string>): void {
    for (const [key, value] of Object.entries(tags)) {
      checkKey("tag", key);
      this.#db.run(
        "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?) " +
          "ON CONFLICT DO UPDATE SET value = excluded.value",
        key,
        value,
        runId,
      );
      if (key === "mlflow.runName") {
        this.#db.run("UPDATE runs SET name = ? WHERE run_uuid = ?", value, runId);
      }
    }
  }

  /** One metric point: the history, `latest_metrics`, and the logged model it names. */
  #logMetric(run: RunInfo, m: Metric): void {
    checkKey("metric", m.key);
    if (!Number.isInteger(m.timestamp) || !Number.isInteger(m.step)) {
      throw new MlflowError(
        "INVALID_PARAMETER_VALUE",
        `metric '${m.key}': timestamp and step must be integers`,
      );
    }
    const isNan = Number.isNaN(m.value) ? 1 : 0;
    const value = isNan ? 0 : Math.max(-MAX_DOUBLE, Math.min(MAX_DOUBLE, m.value));
    // The primary key covers every column: an identical point is stored once, as MLflow does.
    this.#db.run(
      "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) " +
        "VALUES (?, ?, ?, ?, ?, ?)",
      m.key,
      value,
      m.timestamp,
      run.runId,
      m.step,
      isNan,
    );
    const latest = this.#db.get(
      "SELECT value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ? AND key = ?",
      run.runId,
      m.key,
    );
    // MLflow's "latest": the largest (step, timestamp, value).
    const newer = !latest || m.step > Number(latest.step) ||
      (m.step === Number(latest.step) &&
        (m.timestamp > Number(latest.timestamp) ||
          (m.timestamp === Number(latest.timestamp) && value > Number(latest.value))));
    if (newer) {
      this.#db.run(
        "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) " +
          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value, " +
          "timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan",
        m.key,
        value,
        m.timestamp,
        m.step,
        isNan,
        run.runId,
      );
    }
    if (m.modelId) {
      this.#loggedModelRow(m.modelId);
      this.#db.run(
        "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, " +
          "metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, " +
          "dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
        m.modelId,
        m.key,
        m.timestamp,
        m.step,
        value,
        run.experimentId,
        run.runId,
      );
    }
  }

  /** The local folder of an artifact location; other schemes need the server that owns them. */
  #localRoot(location: string, what: string): string {
    const path = localPathOf(location);
    if (path === null) {
      throw new UserError(
        `${what} keeps its artifacts at ${location}, which ${this.uri} cannot reach: ` +
          `use the tracking URI of the MLflow server that wrote it (http://...)`,
        { code: "MLFLOW_URI" },
      );
    }
    return path;
  }

  #loggedModelRow(modelId: string): Row {
    const row = /^m-[\w-]+$/.test(modelId)
      ? this.#db.get(`${MODEL_SELECT} WHERE model_id = ? AND lifecycle_stage != 'deleted'`, modelId)
      : undefined;
    if (!row) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `logged model '${modelId}' not found in ${this.uri}`,
      );
    }
    return row;
  }

  #loggedModel(r: Row): LoggedModel {
    const id = String(r.model_id);
    const params: Record<string, string> = {};
    for (
      const p of this.#db.all(
        "SELECT param_key, param_value FROM logged_model_params WHERE model_id = ?",
        id,
      )
    ) params[String(p.param_key)] = String(p.param_value);
    const tags: Record<string, string> = {};
    for (
      const t of this.#db.all(
        "SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = ?",
        id,
      )
    ) tags[String(t.tag_key)] = String(t.tag_value);
    return {
      modelId: id,
      experimentId: String(r.experiment_id),
      name: String(r.name),
      artifactLocation: String(r.artifact_location),
      creationTimestamp: Number(r.creation_timestamp_ms),
      lastUpdatedTimestamp: Number(r.last_updated_timestamp_ms),
      status: LOGGED_MODEL_STATUSES[Number(r.status) - 1] ?? "PENDING",
      sourceRunId: r.source_run_id == null ? null : String(r.source_run_id),
      modelType: r.model_type == null ? null : String(r.model_type),
      params,
      tags,
    };
  }

  #setModelTags(modelId: string, experimentId: string, tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) {
      checkKey("tag", k);
      this.#db.run(
        "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) " +
          "VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET tag_value = excluded.tag_value",
        modelId,
        experimentId,
        k,
        v,
      );
    }
  }

  #modelRow(name: string): Row | undefined {
    return this.#db.get(
      `SELECT name, creation_time, last_updated_time, description FROM registered_models ` +
        `WHERE name = ?${this.#db.ws("registered_models")}`,
      name,
    );
  }

  #requireModel(name: string): Row {
    checkModelName(name);
    const row = this.#modelRow(name);
    if (!row) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `registered model '${name}' not found in ${this.uri}`,
      );
    }
    return row;
  }

  #registeredModel(r: Row): RegisteredModel {
    const name = String(r.name);
    const aliases: Record<string, string> = {};
    for (
      const a of this.#db.all(
        `SELECT alias, version FROM registered_model_aliases WHERE name = ?${
          this.#db.ws("registered_model_aliases")
        }`,
        name,
      )
    ) aliases[String(a.alias)] = String(a.version);
    const tags: Record<string, string> = {};
    for (
      const t of this.#db.all(
        `SELECT key, value FROM registered_model_tags WHERE name = ?${
          this.#db.ws("registered_model_tags")
        }`,
        name,
      )
    ) tags[String(t.key)] = String(t.value ?? "");
    return {
      name,
      creationTimestamp: Number(r.creation_time ?? 0),
      lastUpdatedTimestamp: Number(r.last_updated_time ?? 0),
      description: r.description == null ? null : String(r.description),
      aliases,
      tags,
    };
  }

  #version(name: string, version: string): ModelVersion | null {
    if (!/^\d+$/.test(version)) return null;
    const r = this.#db.get(
      "SELECT name, version, creation_time, last_updated_time, description, current_stage, source, " +
        `run_id, status FROM model_versions WHERE name = ? AND version = ?${
          this.#db.ws("model_versions")
        }`,
      name,
      Number(version),
    );
    if (!r || r.current_stage === DELETED_STAGE) return null;
    const v = String(r.version);
    const aliases = this.#db.all(
      `SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ?${
        this.#db.ws("registered_model_aliases")
      } ORDER BY alias`,
      name,
      Number(v),
    ).map((a) => String(a.alias));
    const tags: Record<string, string> = {};
    for (
      const t of this.#db.all(
        `SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?${
          this.#db.ws("model_version_tags")
        }`,
        name,
        Number(v),
      )
    ) tags[String(t.key)] = String(t.value ?? "");
    const source = String(r.source ?? "");
    return {
      name: String(r.name),
      version: v,
      creationTimestamp: Number(r.creation_time ?? 0),
      lastUpdatedTimestamp: Number(r.last_updated_time ?? 0),
      currentStage: String(r.current_stage ?? "None"),
      description: r.description == null ? null : String(r.description),
      source,
      runId: r.run_id ? String(r.run_id) : null,
      status: String(r.status ?? "READY"),
      aliases,
      tags,
      // MLflow's SQL schema has no model_id column; the source names the logged model.
      modelId: /^models:\/(m-[\w-]+)$/.exec(source)?.[1] ?? null,
    };
  }

  #requireVersion(name: string, version: string): void {
    this.#requireModel(name);
    if (!this.#version(name, version)) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `model version ${name}/${version} not found in ${this.uri}`,
      );
    }
  }

  #touchModel(name: string, when = Date.now()): void {
    this.#db.run(
      `UPDATE registered_models SET last_updated_time = ? WHERE name = ?${
        this.#db.ws("registered_models")
      }`,
      when,
      name,
    );
  }
}

/**
 * Runs synchronous database work as a promise: its exceptions become
 * rejections, as callers of an async store expect.
 */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

// Experiment ids are read as text: they can pass 2^53 (a migrated file store's ids).
const EXPERIMENT_SELECT = "SELECT CAST(experiment_id AS TEXT) AS id, name, artifact_location, " +
  "lifecycle_stage, creation_time, last_update_time FROM experiments";
const RUN_SELECT =
  "SELECT run_uuid, name, CAST(experiment_id AS TEXT) AS experiment_id, user_id, " +
  "status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs";
const MODEL_SELECT = "SELECT model_id, CAST(experiment_id AS TEXT) AS experiment_id, name, " +
  "artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, model_type, " +
  "source_run_id FROM logged_models";

function runInfoOf(r: Row): RunInfo {
  return {
    runId: String(r.run_uuid),
    runName: r.name == null ? "" : String(r.name),
    experimentId: String(r.experiment_id),
    userId: r.user_id == null ? "" : String(r.user_id),
    status: String(r.status ?? "RUNNING") as RunStatus,
    startTime: Number(r.start_time ?? 0),
    endTime: r.end_time == null ? null : Number(r.end_time),
    artifactUri: String(r.artifact_uri ?? ""),
    lifecycleStage: r.lifecycle_stage === "deleted" ? "deleted" : "active",
  };
}

function metricOf(r: Row): Metric {
  return {
    key: String(r.key),
    value: Number(r.is_nan) ? NaN : Number(r.value),
    timestamp: Number(r.timestamp ?? 0),
    step: Number(r.step ?? 0),
  };
}
