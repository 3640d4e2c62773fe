/**
 * Opening MLflow's SQLite database with Deno's built-in `node:sqlite` (no
 * native addon): `sqlite:` URIs, creating the schema MLflow would create,
 * accepting the revisions whose tables mlops can use, and transactions that
 * are safe with other writers (`BEGIN IMMEDIATE`, a busy timeout).
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../errors.ts";
import {
  OLDER_REVISIONS,
  SCHEMA_REVISION,
  SCHEMA_SQL,
  SUPPORTED_REVISIONS,
} from "./_sql_schema.ts";
import { MlflowError } from "./errors.ts";

/** How long a write waits for another writer's lock (MLflow's own setting). */
const BUSY_TIMEOUT_MS = 20_000;

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, SQLInputValue>;

/**
 * The database file of a `sqlite:` URI, as SQLAlchemy reads it:
 * `sqlite:///mlflow.db` is relative to the working directory,
 * `sqlite:////abs/mlflow.db` absolute.
 *
 * @example
 * ```ts
 * import { sqlitePath } from "./_sql_db.ts";
 *
 * sqlitePath("sqlite:////tmp/mlflow.db"); // "/tmp/mlflow.db"
 * ```
 */
export function sqlitePath(uri: string): string {
  const m = /^sqlite(?:\+\w+)?:\/\/(.*)$/i.exec(uri.trim());
  if (!m) throw new UserError(`${uri} is not a sqlite: URI`, { code: "MLFLOW_URI" });
  const rest = m[1];
  if (!rest.startsWith("/") || rest === "/") {
    throw new UserError(
      `tracking URI ${uri}: an in-memory or host-qualified SQLite database cannot hold runs; ` +
        `use sqlite:///<file> (relative) or sqlite:////<absolute path>`,
      { code: "MLFLOW_URI" },
    );
  }
  if (rest.includes("?")) {
    throw new UserError(
      `tracking URI ${uri}: options after '?' are not supported; name only the file`,
      { code: "MLFLOW_URI" },
    );
  }
  let path: string;
  try {
    path = decodeURIComponent(rest.slice(1));
  } catch {
    throw new UserError(`tracking URI ${uri} has a malformed %-escape`, { code: "MLFLOW_URI" });
  }
  return isAbsolute(path) ? path : resolve(path);
}

/** Columns of the tables mlops reads and writes, for revisions it does not know. */
const USED_COLUMNS: Record<string, string[]> = {
  experiments: [
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
  ],
  experiment_tags: ["key", "value", "experiment_id"],
  runs: [
    "run_uuid",
    "name",
    "source_type",
    "source_name",
    "entry_point_name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "source_version",
    "lifecycle_stage",
    "artifact_uri",
    "experiment_id",
    "deleted_time",
  ],
  metrics: ["key", "value", "timestamp", "run_uuid", "step", "is_nan"],
  latest_metrics: ["key", "value", "timestamp", "step", "is_nan", "run_uuid"],
  params: ["key", "value", "run_uuid"],
  tags: ["key", "value", "run_uuid"],
  datasets: [
    "dataset_uuid",
    "experiment_id",
    "name",
    "digest",
    "dataset_source_type",
    "dataset_source",
    "dataset_schema",
    "dataset_profile",
  ],
  inputs: ["input_uuid", "source_type", "source_id", "destination_type", "destination_id", "step"],
  input_tags: ["input_uuid", "name", "value"],
  logged_models: [
    "model_id",
    "experiment_id",
    "name",
    "artifact_location",
    "creation_timestamp_ms",
    "last_updated_timestamp_ms",
    "status",
    "lifecycle_stage",
    "model_type",
    "source_run_id",
    "status_message",
  ],
  logged_model_params: ["model_id", "experiment_id", "param_key", "param_value"],
  logged_model_tags: ["model_id", "experiment_id", "tag_key", "tag_value"],
  logged_model_metrics: [
    "model_id",
    "metric_name",
    "metric_timestamp_ms",
    "metric_step",
    "metric_value",
    "experiment_id",
    "run_id",
    "dataset_uuid",
    "dataset_name",
    "dataset_digest",
  ],
  registered_models: ["name", "creation_time", "last_updated_time", "description"],
  registered_model_tags: ["key", "value", "name"],
  model_versions: [
    "name",
    "version",
    "creation_time",
    "last_updated_time",
    "description",
    "user_id",
    "current_stage",
    "source",
    "run_id",
    "status",
    "status_message",
    "run_link",
    "storage_location",
  ],
  model_version_tags: ["key", "value", "name", "version"],
  registered_model_aliases: ["alias", "version", "name"],
};

/**
 * An open MLflow database. The schema is created (or checked) on first use,
 * not when the object is made, so opening never touches the disk.
 */
export class SqlDb {
  readonly path: string;
  /** The revision the database is at, once opened. */
  revision: string | null = null;
  /** Tables that have MLflow master's `workspace` column (rows of other workspaces are not ours). */
  readonly workspaced = new Set<string>();
  #db: DatabaseSync | null = null;
  readonly #statements = new Map<string, StatementSync>();
  readonly #onCreate: (db: SqlDb) => void;

  /** `onCreate` adds the first rows of a new database (MLflow's Default experiment). */
  constructor(path: string, onCreate: (db: SqlDb) => void) {
    this.path = path;
    this.#onCreate = onCreate;
  }

  /** The connection, opened and checked on first use. */
  get db(): DatabaseSync {
    if (this.#db) return this.#db;
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(this.path);
    } catch (e) {
      throw new UserError(`cannot open the MLflow database ${this.path}: ${reason(e)}`, {
        code: "MLFLOW_SQL",
        cause: e,
      });
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;`);
      this.#db = db;
      this.#run(() => this.#prepareSchema());
    } catch (e) {
      this.#db = null;
      this.#statements.clear();
      db.close();
      throw e;
    }
    return db;
  }

  /** A cached prepared statement. */
  stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** All rows of a query. */
  all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#run(() => this.stmt(sql).all(...params) as Row[]);
  }

  /** The first row of a query, or undefined. */
  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#run(() => this.stmt(sql).get(...params) as Row | undefined);
  }

  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return this.#run(() => Number(this.stmt(sql).run(...params).changes));
  }

  /**
   * Runs `fn` in a write transaction, taken at once (`BEGIN IMMEDIATE`), so
   * two writers never both read "version 3 is free": the second waits.
   */
  write<T>(fn: () => T): T {
    const db = this.db;
    this.#run(() => db.exec("BEGIN IMMEDIATE"));
    try {
      const out = fn();
      this.#run(() => db.exec("COMMIT"));
      return out;
    } catch (e) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // Already rolled back by SQLite.
      }
      throw e;
    }
  }

  /** ` AND <col> = 'default'` when `table` has MLflow master's workspace column. */
  ws(table: string, alias = ""): string {
    this.db; // the columns are known once the database is open
    return this.workspaced.has(table)
      ? ` AND ${alias ? `${alias}.` : ""}workspace = 'default'`
      : "";
  }

  close(): void {
    this.#statements.clear();
    this.#db?.close();
    this.#db = null;
  }

  /** Errors of SQLite as one line naming the database. */
  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = (e as { errcode?: number }).errcode ?? -1;
      if ((code & 0xff) === 5 || (code & 0xff) === 6) {
        throw new MlflowError(
          "TEMPORARILY_UNAVAILABLE",
          `the MLflow database ${this.path} stayed locked by another writer for ` +
            `${BUSY_TIMEOUT_MS / 1000} s: ${reason(e)}`,
          { cause: e },
        );
      }
      if ((code & 0xff) === 26) {
        // SQLITE_NOTADB: a file that is not a database at all.
        throw new UserError(
          `tracking URI sqlite:///${this.path}: ${this.path} is not an SQLite database ` +
            `(${reason(e)}); point it at an MLflow database or at a new file`,
          { code: "MLFLOW_URI", cause: e },
        );
      }
      if ((code & 0xff) === 19) {
        throw new MlflowError("INVALID_PARAMETER_VALUE", `${this.path}: ${reason(e)}`, {
          cause: e,
        });
      }
      throw new UserError(`the MLflow database ${this.path} failed: ${reason(e)}`, {
        code: "MLFLOW_SQL",
        cause: e,
      });
    }
  }

  /** Creates the schema in an empty database, or checks the one found. */
  #prepareSchema(): void {
    const db = this.#db!;
    const tables = () =>
      new Set(
        (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[])
          .map((r) => String(r.name)),
      );
    if (!tables().has("experiments")) {
      this.write(() => {
        // Checked again inside the lock: another process may have just created it.
        const now = tables();
        if (now.has("experiments")) return;
        if (now.size > 0) {
          throw new UserError(
            `${this.path} is an SQLite database but not MLflow's (it has tables: ${
              [...now].slice(0, 5).join(", ")
            }); point the tracking URI at a new file or an MLflow database`,
            { code: "MLFLOW_SQL" },
          );
        }
        for (const sql of SCHEMA_SQL) db.exec(sql);
        db.prepare("INSERT INTO alembic_version (version_num) VALUES (?)").run(SCHEMA_REVISION);
        this.#onCreate(this);
      });
    }
    this.#checkRevision(tables());
  }

  #checkRevision(tables: Set<string>): void {
    const db = this.#db!;
    const row = tables.has("alembic_version")
      ? db.prepare("SELECT version_num FROM alembic_version").get() as Row | undefined
      : undefined;
    const revision = row ? String(row.version_num) : null;
    this.revision = revision;
    const supported = `mlops reads and writes revisions ${SUPPORTED_REVISIONS[0]} (MLflow 3.0) ` +
      `to ${SUPPORTED_REVISIONS.at(-1)}, and creates ${SCHEMA_REVISION} (MLflow 3.5)`;
    if (revision === null) {
      throw new UserError(
        `${this.path} has MLflow's tables but no Alembic revision: it was not made by MLflow's ` +
          `migrations, so mlops cannot tell its schema (${supported})`,
        { code: "MLFLOW_SQL" },
      );
    }
    if (OLDER_REVISIONS.includes(revision)) {
      throw new UserError(
        `${this.path} is at MLflow schema revision ${revision}, from before MLflow 3.0; ` +
          `${supported}. Back it up, then upgrade it: mlflow db upgrade sqlite:///${this.path}`,
        { code: "MLFLOW_SQL" },
      );
    }
    const missing: string[] = [];
    for (const [table, cols] of Object.entries(USED_COLUMNS)) {
      const info = db.prepare(`PRAGMA table_info("${table}")`).all() as Row[];
      const have = new Map(info.map((c) => [String(c.name), c]));
      if (have.has("workspace")) this.workspaced.add(table);
      for (const col of cols) if (!have.has(col)) missing.push(`${table}.${col}`);
      // A required column mlops does not know would make its inserts fail.
      for (const [name, c] of have) {
        if (!cols.includes(name) && name !== "workspace" && c.notnull && c.dflt_value === null) {
          missing.push(`${table}.${name} (required, unknown to mlops)`);
        }
      }
    }
    if (missing.length) {
      throw new UserError(
        `${this.path} is at MLflow schema revision ${revision}, whose tables mlops cannot use ` +
          `(${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ", ..." : ""}); ${supported}`,
        { code: "MLFLOW_SQL" },
      );
    }
  }
}

function reason(e: unknown): string {
  const err = e as { errstr?: string; message?: string };
  return String(err.message ?? err.errstr ?? e).split("\n")[0];
}
