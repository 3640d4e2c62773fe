/**
 * Moving runs between stores: syncing runs logged locally while the server
 * was down ({@link syncStore}, `mlops sync`), and migrating a file store
 * (`./mlruns`) into the SQL store ({@link migrateFileStore}, `mlops migrate`).
 *
 * ```ts
 * import { DEFAULT_FILE_STORE, DEFAULT_SQLITE_URI, openStore } from "./mod.ts";
 * import {
 *   fallbackStoreUri,
 *   FileStore,
 *   migrateFileStore,
 *   parseTrackingUri,
 *   SqlStore,
 *   syncStore,
 * } from "./transfer.ts";
 *
 * // Upload what logTrainingRun kept locally while the server was down.
 * const sync = await syncStore(openStore(fallbackStoreUri()), openStore("http://mlflow:5000"));
 * console.log(`${sync.uploaded.length} runs uploaded`);
 *
 * // Move ./mlruns into sqlite:///mlflow.db.
 * const from = parseTrackingUri(DEFAULT_FILE_STORE);
 * if (from.kind !== "file") throw new Error("not a file store");
 * using to = new SqlStore(DEFAULT_SQLITE_URI);
 * const report = await migrateFileStore(new FileStore(from.path), to);
 * console.log(`${report.runs} runs in ${report.to}`);
 * ```
 *
 * @module
 */
export { syncStore } from "./sync.ts";
export type { SyncedRun, SyncReport } from "./sync.ts";
export { migrateFileStore, type MigrationReport } from "./migrate.ts";
export { fallbackStoreUri } from "./log_run.ts";
export { parseTrackingUri } from "./open.ts";
export type { TrackingTarget } from "./open.ts";
export { FileStore } from "./file_store.ts";
export { SqlStore } from "./sql_store.ts";
