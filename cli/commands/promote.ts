/**
 * `mlops promote`: register the best run as a new model version and move the
 * `champion` alias to it — only if it beats the current champion — then
 * export the edge bundle. `--version N` rolls back.
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import { openStore } from "../../lib/mlflow/open.ts";
import { checkOutDir } from "../out_path.ts";
import {
  CONFLICT_EXIT_CODE,
  DEFAULT_EDGE_DIR,
  METRIC_DIRECTIONS,
  promote,
  type PromoteResult,
} from "../../lib/sweep/mod.ts";
import { print } from "../output.ts";
import { TRACKING_URI_HELP } from "../options.ts";

/** Exit code when the gate refuses a promotion (distinct from bad input, 2). */
export const GATE_EXIT_CODE = 3;

interface PromoteFlags {
  experiment?: string;
  run?: string;
  model?: string;
  metric: string;
  minDelta: string;
  alias: string;
  out: string;
  version?: string;
  reason?: string;
  force: boolean;
  dryRun: boolean;
  trackingUri?: string;
  json: boolean;
}

const HELP = `
The best run is the finished run of the experiment with the best --metric
(${Object.keys(METRIC_DIRECTIONS).join(", ")}; log_loss: lower is better)
that has a model. It is promoted only if it beats the current --alias on that
holdout metric by at least --min-delta; otherwise nothing changes and the exit
code is ${GATE_EXIT_CODE}. Who, when, why and old vs new metrics are recorded as version tags.
Concurrent promotions of one model in a local store take turns. On an MLflow
server, where they cannot, a promotion that finds the alias moved by another
client says so and exits with code ${CONFLICT_EXIT_CODE}.

Examples:
  mlops promote                                  # best run of the latest sweep's experiment
  mlops promote --min-delta 0.002 --dry-run
  mlops promote --run 0123456789abcdef0123456789abcdef --model churn
  mlops promote --model churn --version 3        # roll back to version 3`;

/** Registers `promote`. */
export function register(program: Command): void {
  // Without this the program's own `--version` (print the tool version) would
  // swallow `promote --version N` wherever it appears on the command line.
  program
    .command("promote")
    .description(
      "register the best run and move the champion alias if it wins; export the edge bundle",
    )
    .option("--experiment <name>", "experiment to choose from (default: the most recent sweep's)")
    .option("--run <id>", "promote this run instead of choosing one")
    .option("--model <name>", "registered model name (default: the experiment name)")
    .option("--metric <m>", "metric that chooses the run and gates it", "accuracy")
    .option("--min-delta <d>", "required improvement over the current champion", "0")
    .option("--alias <name>", "alias to move", "champion")
    .option("--out <dir>", "edge bundle directory", DEFAULT_EDGE_DIR)
    .option("--version <n>", "roll the alias back to this existing version")
    .option("--reason <text>", "why, recorded on the version")
    .option("--force", "skip the gate", false)
    .option("--dry-run", "show what would happen; change nothing", false)
    .option("--tracking-uri <uri>", TRACKING_URI_HELP)
    .option("--json", "print one JSON object to stdout", false)
    .addHelpText("after", HELP)
    .action(async (flags: PromoteFlags) => {
      const minDelta = Number(flags.minDelta);
      if (flags.minDelta.trim() === "" || !Number.isFinite(minDelta) || minDelta < 0) {
        throw new UserError(`--min-delta ${flags.minDelta}: expected a number >= 0`);
      }
      // Before the registry changes: a bundle that cannot be exported must not move the alias.
      if (!flags.dryRun) await checkOutDir(flags.out, "promote");
      const r = await promote({
        store: openStore(flags.trackingUri),
        experiment: flags.experiment,
        runId: flags.run,
        model: flags.model,
        metric: flags.metric,
        minDelta,
        alias: flags.alias,
        out: flags.out,
        version: flags.version,
        reason: flags.reason,
        force: flags.force,
        dryRun: flags.dryRun,
      });
      if (flags.json) print(JSON.stringify(jsonResult(r)));
      else print(human(r));
      // A dry run exits like the real one would, so scripts can ask first.
      if (r.rejected) {
        throw new UserError(r.reason, { exitCode: GATE_EXIT_CODE, code: "GATE_REJECTED" });
      }
    });
}

function jsonResult(r: PromoteResult) {
  return {
    promoted: r.status === "promoted",
    status: r.status,
    dry_run: r.status === "dry-run",
    rejected: r.rejected,
    would_promote: r.wouldPromote,
    rollback: r.rollback,
    model: r.model,
    version: r.version,
    previous_version: r.previousVersion,
    alias: r.alias,
    run_id: r.runId,
    experiment: r.experiment,
    metric: r.metric,
    candidate: r.candidate,
    champion: r.champion,
    min_delta: r.minDelta,
    reason: r.reason,
    bundle_file: r.bundleFile,
    checksum: r.checksum,
  };
}

function human(r: PromoteResult): string {
  const ref = `${r.model}@${r.alias}`;
  const head = r.status === "promoted"
    ? `promoted  ${ref} → version ${r.version}${
      r.previousVersion ? ` (was ${r.previousVersion})` : ""
    }`
    : r.status === "unchanged"
    ? `unchanged ${ref} is version ${r.version}`
    : r.status === "rejected"
    ? `rejected  ${ref} stays at version ${r.previousVersion}`
    : `dry run   ${
      r.wouldPromote
        ? `would move ${ref} to ${r.rollback ? `version ${r.version}` : "a new version"}`
        : `would leave ${ref} as is`
    }`;
  const lines = [head, `why       ${r.reason}`];
  if (r.runId) {
    lines.push(`run       ${r.runId}${r.experiment ? ` (experiment ${r.experiment})` : ""}`);
  }
  if (r.bundleFile) lines.push(`bundle    ${r.bundleFile} (${r.checksum})`);
  return lines.join("\n");
}
