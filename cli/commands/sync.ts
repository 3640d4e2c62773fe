/**
 * `mlops sync --to URI [--from DIR]`: uploads runs that were logged locally
 * while the tracking server was unreachable. Safe to run again, also after a
 * failure half-way: runs already on the server are skipped, an interrupted
 * upload is resumed (see lib/mlflow/sync.ts).
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import { MlflowUnavailableError, openStore } from "../../lib/mlflow/mod.ts";
import { fallbackStoreUri, syncStore } from "../../lib/mlflow/transfer.ts";
import { toJson, withJson } from "../options.ts";
import { print } from "../output.ts";

interface SyncOptions {
  to: string;
  from?: string;
  json?: boolean;
}

/** Registers `sync`. */
export function register(program: Command): void {
  withJson(
    program.command("sync")
      .description("upload runs logged locally while the tracking server was down")
      .requiredOption(
        "--to <uri>",
        "where to upload: a tracking server (http(s)://...) or any store",
      )
      .option(
        "--from <dir>",
        "local store holding the pending runs (default: $MLOPS_FALLBACK_STORE, else the local default store)",
      ),
  ).action(async (opts: SyncOptions) => {
    const from = openStore(opts.from ?? fallbackStoreUri());
    const to = openStore(opts.to);
    const report = await syncStore(from, to).catch((e) => {
      if (!(e instanceof MlflowUnavailableError)) throw e;
      throw new UserError(
        `${e.message}; run the same mlops sync again to resume where it stopped`,
        {
          code: e.code,
        },
      );
    });
    if (opts.json) {
      const rows = (list: typeof report.uploaded) =>
        list.map((r) => ({
          local_run_id: r.localRunId,
          remote_run_id: r.remoteRunId,
          experiment: r.experiment,
        }));
      print(toJson({
        from: from.uri,
        to: to.uri,
        uploaded: rows(report.uploaded),
        skipped: rows(report.skipped),
      }));
      return;
    }
    for (const r of report.uploaded) {
      print(`uploaded ${r.localRunId} -> ${r.remoteRunId} (experiment ${r.experiment})`);
    }
    const n = report.uploaded.length;
    print(
      `${n} run${
        n === 1 ? "" : "s"
      } uploaded to ${to.uri}, ${report.skipped.length} already there.`,
    );
  });
}
