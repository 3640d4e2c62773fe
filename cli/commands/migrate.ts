/**
 * `mlops migrate [--from ./mlruns] [--to sqlite:///mlflow.db]`: moves a file
 * store into MLflow's SQLite store (ids kept, artifacts left in place), then
 * retires the file store so MLflow and mlops default to the database. Safe
 * to rerun (see lib/mlflow/migrate.ts).
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import { DEFAULT_FILE_STORE, DEFAULT_SQLITE_URI } from "../../lib/mlflow/mod.ts";
import {
  FileStore,
  migrateFileStore,
  parseTrackingUri,
  SqlStore,
} from "../../lib/mlflow/transfer.ts";
import { toJson, withJson } from "../options.ts";
import { print } from "../output.ts";

interface MigrateOptions {
  from: string;
  to: string;
  keep: boolean;
  json?: boolean;
}

/** Registers `migrate`. */
export function register(program: Command): void {
  withJson(
    program.command("migrate")
      .description("move a file store (./mlruns) into MLflow's SQLite store (sqlite:///mlflow.db)")
      .option("--from <dir>", "the file store", DEFAULT_FILE_STORE)
      .option("--to <uri>", "the SQLite store (created if missing)", DEFAULT_SQLITE_URI)
      .option("--keep", "leave the file store as it is (it then stays the default)", false),
  ).action(async (opts: MigrateOptions) => {
    const from = parseTrackingUri(opts.from);
    const to = parseTrackingUri(opts.to);
    if (from.kind !== "file") {
      throw new UserError(`--from ${opts.from}: expected a file store (a folder or file: URI)`, {
        code: "BAD_INPUT",
      });
    }
    if (to.kind !== "sql") {
      throw new UserError(`--to ${opts.to}: expected a sqlite: URI, e.g. ${DEFAULT_SQLITE_URI}`, {
        code: "BAD_INPUT",
      });
    }
    const source = new FileStore(from.path);
    try {
      await Deno.stat(source.root);
    } catch {
      throw new UserError(`--from ${opts.from}: no file store at ${source.root}`, {
        code: "NOT_FOUND",
      });
    }
    using target = new SqlStore(to.uri);
    const r = await migrateFileStore(source, target, { keep: opts.keep });
    if (opts.json) {
      print(toJson({
        from: r.from,
        to: r.to,
        experiments: r.experiments,
        runs: r.runs,
        logged_models: r.loggedModels,
        registered_models: r.registeredModels,
        model_versions: r.modelVersions,
        retired: r.retired,
      }));
      return;
    }
    print(
      `migrated ${r.experiments} experiments, ${r.runs} runs, ${r.loggedModels} logged models, ` +
        `${r.registeredModels} registered models (${r.modelVersions} versions) from ${r.from} ` +
        `to ${r.to}`,
    );
    print(
      r.retired.length
        ? `retired ${r.retired.length} experiment folders (meta.yaml → meta.yaml.migrated): ` +
          `MLflow and mlops now default to ${r.to}; artifacts stay in ${source.root}`
        : opts.keep
        ? `kept the file store: it stays the default while it holds runs`
        : `nothing left to retire in ${source.root}`,
    );
  });
}
