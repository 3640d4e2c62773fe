/**
 * Moving a file store (`./mlruns`) into MLflow's SQLite store, as MLflow's
 * own `mlflow migrate-filestore` does, but idempotently: experiments, runs
 * (params, full metric histories, tags, dataset inputs, outputs), logged
 * models (params, tags, metrics) and the registry (models, versions, tags,
 * aliases) keep their ids, and artifacts stay where they are, recorded by
 * their locations. What the database already holds is left as it is, so a
 * rerun after an interruption completes the move and changes nothing else.
 *
 * Then the file store is retired: each migrated experiment's `meta.yaml` is
 * renamed `meta.yaml.migrated`. MLflow (and mlops) then no longer see runs
 * in `./mlruns`, so both default to the SQLite store; the artifacts, which
 * the database points at, stay in place, and renaming the files back undoes
 * it.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { exists, listDir } from "./_fs.ts";
import { loggedModelDirIn, readModelMetrics } from "./_file_logged_models.ts";
import { localPathOf } from "./_local_artifacts.ts";
import type { SqlDb } from "./_sql_db.ts";
import { FileStore } from "./file_store.ts";
import { SqlStore } from "./sql_store.ts";
import { LOGGED_MODEL_STATUSES, type Run } from "./types.ts";

/** What a migration moved (counts include what was already there). */
export interface MigrationReport {
  from: string;
  to: string;
  experiments: number;
  runs: number;
  loggedModels: number;
  registeredModels: number;
  modelVersions: number;
  /** Experiment folders whose `meta.yaml` was renamed (none with `keep`). */
  retired: string[];
}

/** Suffix given to the `meta.yaml` of a migrated experiment. */
export const RETIRED_SUFFIX = ".migrated";

/**
 * Copies the file store at `from` into the SQLite store at `to`, then
 * retires the file store's experiments unless `keep`.
 *
 * @example
 * ```ts
 * import { FileStore } from "./file_store.ts";
 * import { SqlStore } from "./sql_store.ts";
 * import { migrateFileStore } from "./migrate.ts";
 *
 * const report = await migrateFileStore(new FileStore("./mlruns"), new SqlStore("sqlite:///mlflow.db"));
 * console.log(`${report.runs} runs in ${report.to}`);
 * ```
 */
export async function migrateFileStore(
  from: FileStore,
  to: SqlStore,
  o: { keep?: boolean } = {},
): Promise<MigrationReport> {
  const db = to.database;
  const report: MigrationReport = {
    from: from.uri,
    to: to.uri,
    experiments: 0,
    runs: 0,
    loggedModels: 0,
    registeredModels: 0,
    modelVersions: 0,
    retired: [],
  };
  const migrated: string[] = [];
  for (const exp of await from.listExperiments()) {
    const expId = db.write(() => importExperiment(db, exp));
    report.experiments++;
    const expDir = join(from.root, exp.experimentId);
    const runs = await from.searchRuns([exp.experimentId]);
    const models = await from.searchLoggedModels([exp.experimentId]);
    // Logged models first (run outputs point at them), then runs, then the models'
    // metrics (they point at runs).
    const modelMetrics: (() => void)[] = [];
    for (const m of models) {
      const dir = await loggedModelDirIn(expDir, m.modelId);
      const metrics = dir ? await readModelMetrics(dir) : [];
      const location = await inPlace(m.artifactLocation, dir && join(dir, "artifacts"));
      db.write(() => {
        db.run(
          "INSERT OR IGNORE INTO logged_models (model_id, experiment_id, name, artifact_location, " +
            "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, " +
            "source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, NULL)",
          m.modelId,
          expId,
          m.name,
          location,
          m.creationTimestamp,
          m.lastUpdatedTimestamp,
          LOGGED_MODEL_STATUSES.indexOf(m.status) + 1,
          m.modelType,
          m.sourceRunId,
        );
        for (const [k, v] of Object.entries(m.params)) {
          db.run(
            "INSERT OR IGNORE INTO logged_model_params (model_id, experiment_id, param_key, " +
              "param_value) VALUES (?, ?, ?, ?)",
            m.modelId,
            expId,
            k,
            v,
          );
        }
      });
      await to.setLoggedModelTags(m.modelId, m.tags);
      report.loggedModels++;
      // Metrics of runs that are migrated (the table refers to them).
      const known = new Set(runs.map((r) => r.info.runId));
      modelMetrics.push(() => {
        for (const p of metrics.filter((p) => known.has(p.runId))) {
          db.run(
            "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, " +
              "metric_step, metric_value, experiment_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            m.modelId,
            p.key,
            p.timestamp,
            p.step,
            Number.isNaN(p.value) ? 0 : p.value,
            expId,
            p.runId,
          );
        }
      });
    }
    // Parents before children does not matter: tags hold the links.
    for (const run of runs) {
      await importRun(from, to, run, expId, join(expDir, run.info.runId, "artifacts"));
      report.runs++;
    }
    for (const insert of modelMetrics) db.write(insert);
    migrated.push(expDir);
  }

  // The registry is not tied to experiments.
  for (const e of await listDir(join(from.root, "models"))) {
    if (!e.isDirectory) continue;
    const rm = await from.getRegisteredModel(e.name).catch(() => null);
    if (!rm) continue;
    if (!await to.getRegisteredModel(rm.name)) {
      db.write(() =>
        db.run(
          "INSERT OR IGNORE INTO registered_models (name, creation_time, last_updated_time, " +
            "description) VALUES (?, ?, ?, ?)",
          rm.name,
          rm.creationTimestamp,
          rm.lastUpdatedTimestamp,
          rm.description,
        )
      );
    }
    report.registeredModels++;
    for (const mv of await from.searchModelVersions({ name: rm.name })) {
      const storage = mv.modelId
        ? await to.getLoggedModel(mv.modelId).then((m) => m.artifactLocation, () => mv.source)
        : mv.source;
      db.write(() => {
        db.run(
          "INSERT OR IGNORE INTO model_versions (name, version, creation_time, last_updated_time, " +
            "description, user_id, current_stage, source, run_id, status, status_message, run_link, " +
            "storage_location) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, NULL, ?)",
          mv.name,
          Number(mv.version),
          mv.creationTimestamp,
          mv.lastUpdatedTimestamp,
          mv.description,
          mv.currentStage,
          mv.source,
          mv.runId,
          mv.status,
          storage,
        );
      });
      for (const [k, v] of Object.entries(mv.tags)) {
        await to.setModelVersionTag(mv.name, mv.version, k, v);
      }
      report.modelVersions++;
    }
    for (const [alias, version] of Object.entries(rm.aliases)) {
      await to.setAlias(rm.name, alias, version).catch(() => {});
    }
  }

  if (!o.keep) {
    for (const dir of migrated) {
      const meta = join(dir, "meta.yaml");
      if (!await exists(meta)) continue;
      await Deno.rename(meta, meta + RETIRED_SUFFIX);
      report.retired.push(dir);
    }
  }
  return report;
}

/**
 * The experiment's row: found by name (a database that already has it, such
 * as MLflow's Default), else inserted with the file store's id when free.
 * Returns the id in the database.
 */
function importExperiment(db: SqlDb, exp: {
  experimentId: string;
  name: string;
  artifactLocation: string;
  creationTime: number | null;
  lastUpdateTime: number | null;
}): string {
  const byName = db.get(
    `SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ?${
      db.ws("experiments")
    }`,
    exp.name,
  );
  if (byName) return String(byName.id);
  const taken = db.get("SELECT 1 AS x FROM experiments WHERE experiment_id = ?", exp.experimentId);
  db.run(
    `INSERT INTO experiments (${taken ? "" : "experiment_id, "}name, artifact_location, ` +
      `lifecycle_stage, creation_time, last_update_time) VALUES (${
        taken ? "" : "?, "
      }?, ?, 'active', ?, ?)`,
    ...(taken ? [] : [exp.experimentId]),
    exp.name,
    exp.artifactLocation,
    exp.creationTime,
    exp.lastUpdateTime,
  );
  return String(
    db.get(
      `SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ?${
        db.ws("experiments")
      }`,
      exp.name,
    )!.id,
  );
}

/** One run with its id, then its data through the store (which skips what is there). */
async function importRun(from: FileStore, to: SqlStore, run: Run, expId: string, own: string) {
  const db = to.database;
  const i = run.info;
  const artifactUri = await inPlace(i.artifactUri, own);
  db.write(() =>
    db.run(
      "INSERT OR IGNORE INTO runs (run_uuid, name, source_type, source_name, entry_point_name, " +
        "user_id, status, start_time, end_time, deleted_time, source_version, lifecycle_stage, " +
        "artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', ?, ?, ?, ?, NULL, '', ?, ?, ?)",
      i.runId,
      i.runName,
      i.userId,
      i.status,
      i.startTime,
      i.endTime,
      i.lifecycleStage,
      artifactUri,
      expId,
    )
  );
  const metrics = [];
  for (const m of run.data.metrics) metrics.push(...await from.getMetricHistory(i.runId, m.key));
  await to.logBatch(i.runId, { params: run.data.params, metrics, tags: run.data.tags });
  if (run.inputs.length) await to.logInputs(i.runId, run.inputs);
  const outputs = [];
  for (const o of run.outputs) {
    if (await to.getLoggedModel(o.modelId).then(() => true, () => false)) outputs.push(o);
  }
  if (outputs.length) await to.logOutputs(i.runId, outputs);
}

/**
 * An artifact location as recorded, unless it is not on this machine while
 * the store's own folder is (a store copied from elsewhere): then that folder.
 */
async function inPlace(recorded: string, own: string | null): Promise<string> {
  const path = localPathOf(recorded);
  if (path === null || await exists(path) || !own || !await exists(own)) return recorded;
  return pathToFileURL(own).href;
}
