/**
 * Choosing a backend from a tracking URI, the way MLflow does: plain paths
 * and `file:` URIs are file stores, `sqlite:` URIs MLflow's SQLite store,
 * `http(s)://` a tracking server. With none configured, MLflow's own
 * default: `sqlite:///mlflow.db`, unless `./mlruns` already holds runs.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";
import { env } from "./_env.ts";
import { FileStore } from "./file_store.ts";
import { RestStore, type RestStoreOptions } from "./rest_store.ts";
import { SqlStore } from "./sql_store.ts";
import type { TrackingStore } from "./types.ts";

/** MLflow's default store since it retired the file store: a SQLite file in the working directory. */
export const DEFAULT_SQLITE_URI = "sqlite:///mlflow.db";
/** The file store MLflow (and mlops) used by default before, still used when it holds runs. */
export const DEFAULT_FILE_STORE = "./mlruns";

/** What a tracking URI points at. */
export type TrackingTarget =
  | { kind: "file"; path: string }
  | { kind: "sql"; uri: string }
  | { kind: "rest"; url: string };

const SQLITE_SCHEME = /^sqlite(\+\w+)?:/i;
const SERVER_DATABASE_SCHEME = /^(postgresql|postgres|mysql|mssql)(\+\w+)?:/i;

/**
 * Where runs go when neither `--tracking-uri` nor `MLFLOW_TRACKING_URI` is
 * set, by MLflow's rule: `./mlruns` when it already holds an experiment (a
 * numbered folder with a `meta.yaml`), else `sqlite:///mlflow.db`. So an
 * old project keeps its file store, and a new one gets the store current
 * MLflow opens by default.
 *
 * @example
 * ```ts
 * import { defaultTrackingUri } from "./open.ts";
 *
 * defaultTrackingUri(); // "sqlite:///mlflow.db" in a fresh folder
 * ```
 */
export function defaultTrackingUri(cwd = "."): string {
  try {
    for (const e of Deno.readDirSync(join(cwd, DEFAULT_FILE_STORE))) {
      if (!e.isDirectory || !/^\d+$/.test(e.name)) continue;
      try {
        Deno.statSync(join(cwd, DEFAULT_FILE_STORE, e.name, "meta.yaml"));
        return DEFAULT_FILE_STORE;
      } catch {
        // Not an experiment folder.
      }
    }
  } catch {
    // No ./mlruns (or unreadable): MLflow falls back to SQLite too.
  }
  return DEFAULT_SQLITE_URI;
}

/**
 * Classifies a tracking URI. Server databases (PostgreSQL, MySQL, SQL
 * Server) are refused with advice: mlops reaches them through an MLflow
 * server; SQLite files it opens itself.
 *
 * @example
 * ```ts
 * import { parseTrackingUri } from "./open.ts";
 *
 * parseTrackingUri("https://dagshub.com/me/churn.mlflow"); // { kind: "rest", ... }
 * parseTrackingUri("./mlruns"); // { kind: "file", path: "./mlruns" }
 * ```
 */
export function parseTrackingUri(uri: string): TrackingTarget {
  const trimmed = uri.trim();
  if (!trimmed) throw new UserError("the tracking URI is empty", { code: "MLFLOW_URI" });
  if (SQLITE_SCHEME.test(trimmed)) return { kind: "sql", uri: trimmed };
  if (SERVER_DATABASE_SCHEME.test(trimmed)) {
    const scheme = trimmed.slice(0, trimmed.indexOf(":"));
    throw new UserError(
      `tracking URI ${trimmed} is a database (${scheme}): mlops talks to MLflow over HTTP, so ` +
        `start an MLflow server on it (mlflow server --backend-store-uri ${trimmed}) and pass ` +
        `that server's http:// URL instead`,
      { code: "MLFLOW_URI" },
    );
  }
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      new URL(trimmed);
    } catch {
      throw new UserError(`tracking URI ${trimmed} is not a valid URL`, { code: "MLFLOW_URI" });
    }
    return { kind: "rest", url: trimmed.replace(/\/+$/, "") };
  }
  if (/^file:/i.test(trimmed)) {
    if (!/^file:\/\//i.test(trimmed)) return { kind: "file", path: trimmed.slice(5) };
    try {
      return { kind: "file", path: fileURLToPath(trimmed) };
    } catch {
      throw new UserError(`tracking URI ${trimmed} is not a valid file: URI`, {
        code: "MLFLOW_URI",
      });
    }
  }
  // A scheme, except a Windows drive letter ("C:\mlruns").
  const scheme = /^([a-z][\w+.-]+):/i.exec(trimmed);
  if (scheme) {
    throw new UserError(
      `tracking URI ${trimmed}: unsupported scheme '${
        scheme[1]
      }' (use a folder, file:, sqlite:, http: or https:)`,
      { code: "MLFLOW_URI" },
    );
  }
  return { kind: "file", path: trimmed };
}

/**
 * The tracking URI in effect: the argument, else `MLFLOW_TRACKING_URI`,
 * else MLflow's default ({@link defaultTrackingUri}).
 *
 * @example
 * ```ts
 * import { resolveTrackingUri } from "./open.ts";
 *
 * resolveTrackingUri("http://127.0.0.1:5000"); // the argument wins
 * resolveTrackingUri(); // $MLFLOW_TRACKING_URI, or "sqlite:///mlflow.db" (or "./mlruns")
 * ```
 */
export function resolveTrackingUri(uri?: string): string {
  return uri?.trim() || env("MLFLOW_TRACKING_URI") || defaultTrackingUri();
}

/**
 * Opens the store for a tracking URI (see {@link resolveTrackingUri}).
 * Opening does no I/O: a missing folder, a database to create or an
 * unreachable server shows up on first use.
 *
 * @example
 * ```ts
 * import { openStore } from "./open.ts";
 *
 * const store = openStore(); // MLflow's default unless MLFLOW_TRACKING_URI says otherwise
 * const remote = openStore("http://127.0.0.1:5000");
 * ```
 */
export function openStore(uri?: string, options: RestStoreOptions = {}): TrackingStore {
  const target = parseTrackingUri(resolveTrackingUri(uri));
  if (target.kind === "file") return new FileStore(target.path);
  if (target.kind === "sql") return new SqlStore(target.uri);
  return new RestStore(target.url, options);
}
