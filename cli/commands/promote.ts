/**
 * `mlops promote`: register the best run as a new model version and move the
 * `champion` alias to it — only if it beats the current champion — then
 * export the edge bundle. `--version N` rolls back; `--live` promotes the
 * challenger from what it did on live traffic.
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import { openStore } from "../../lib/mlflow/mod.ts";
import { checkOutDir } from "../out_path.ts";
import {
  type AliasOutcome,
  CONFLICT_EXIT_CODE,
  DEFAULT_PROMETHEUS_URL,
  edgeDirFor,
  LIVE_DEFAULTS,
  promote,
  promoteLive,
  type PromoteResult,
  rollback,
  type RollbackResult,
} from "../../lib/registry/mod.ts";
import { METRIC_NAMES } from "../../lib/metrics/mod.ts";
import { print } from "../output.ts";
import { liveJson, liveText } from "./_promote_live.ts";
import { flagOf, withJson, withTrackingUri } from "../options.ts";

/** Exit code when the gate refuses a promotion (distinct from bad input, 2). */
export const GATE_EXIT_CODE = 3;

interface PromoteFlags {
  experiment?: string;
  run?: string;
  model?: string;
  metric: string;
  minDelta: string;
  alias: string;
  out?: string;
  version?: string;
  live: boolean;
  prometheusUrl?: string;
  window: string;
  minFeedback: string;
  confidence: string;
  reason?: string;
  force: boolean;
  dryRun: boolean;
  trackingUri?: string;
  json: boolean;
}

const HELP = `
The best run is the finished run of the experiment with the best --metric
(${METRIC_NAMES.join(", ")}; log_loss: lower is better)
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
  mlops promote --model churn --version 3        # roll back to version 3
  mlops promote --run <id> --alias challenger    # export to edge/model/challenger
  mlops promote --live --model churn --dry-run   # compare on live feedback

--alias other than champion exports to edge/model/<alias> unless --out says
otherwise: the edge serves edge/model/challenger beside the champion with
CHALLENGER_MODEL_PATH (shadow or split, see edge/README.md).

--live compares the versions the champion and challenger aliases point to on
live feedback: it reads from Prometheus (--prometheus-url, default
$PROMETHEUS_URL or ${DEFAULT_PROMETHEUS_URL}) the increase of
mlops_feedback_total over --window, summed over edge instances, per version and
outcome. Both models need at least --min-feedback labelled predictions, and
the lower bound of the --confidence interval of (challenger − champion)
accuracy (Newcombe's hybrid score interval from Wilson intervals) must be above
--min-delta. Then champion moves to the challenger's version, the version
records the comparison, and the champion bundle is exported to --out (default
edge/model). Too little feedback or a bound too low exits with code ${GATE_EXIT_CODE}.`;

/** Registers `promote`. */
export function register(program: Command): void {
  // Without this the program's own `--version` (print the tool version) would
  // swallow `promote --version N` wherever it appears on the command line.
  const cmd = program
    .command("promote")
    .description(
      "register the best run and move the champion alias if it wins; export the edge bundle",
    )
    .option("--experiment <name>", "experiment to choose from (default: the most recent sweep's)")
    .option("--run <id>", "promote this run instead of choosing one")
    .option("--model <name>", "registered model name (default: the experiment name)")
    .option("--metric <m>", "metric that chooses the run and gates it", "accuracy")
    .option(
      "--min-delta <d>",
      "required improvement over the current champion (--live: of the lower bound)",
      "0",
    )
    .option("--alias <name>", "alias to move", "champion")
    .option("--out <dir>", "edge bundle directory (default: edge/model, edge/model/<alias>)")
    .option("--version <n>", "roll the alias back to this existing version")
    .option("--live", "promote the challenger on live feedback read from Prometheus", false)
    .option(
      "--prometheus-url <url>",
      `Prometheus for --live (default: $PROMETHEUS_URL or ${DEFAULT_PROMETHEUS_URL})`,
    )
    .option(
      "--window <range>",
      "--live: feedback of this last range (PromQL duration)",
      LIVE_DEFAULTS.window,
    )
    .option(
      "--min-feedback <n>",
      "--live: labelled predictions each model needs",
      String(LIVE_DEFAULTS.minFeedback),
    )
    .option(
      "--confidence <c>",
      "--live: confidence of the intervals",
      String(LIVE_DEFAULTS.confidence),
    )
    .option("--reason <text>", "why, recorded on the version")
    .option("--force", "skip the gate", false)
    .option("--dry-run", "show what would happen; change nothing", false);
  withJson(withTrackingUri(cmd), "print one JSON object to stdout")
    .addHelpText("after", HELP)
    .action(async (flags: PromoteFlags) => {
      // A number here; lib/registry's checkMinDelta says which numbers a gate takes.
      const minDelta = number("--min-delta", flags.minDelta);
      if (flags.live) {
        await live(flags, minDelta);
        return;
      }
      const out = flags.out ?? edgeDirFor(flags.alias);
      // Before the registry changes: a bundle that cannot be exported must not move the alias.
      if (!flags.dryRun) await checkOutDir(out, "promote");
      const store = openStore(flags.trackingUri);
      const common = {
        store,
        experiment: flags.experiment,
        model: flags.model,
        metric: flags.metric,
        alias: flags.alias,
        out,
        reason: flags.reason,
        dryRun: flags.dryRun,
      };
      let r: Report;
      if (flags.version !== undefined) {
        if (flags.run !== undefined) {
          throw new UserError(
            `--version and --run cannot be combined: --version rolls back to an existing version`,
          );
        }
        r = fromRollback(await rollback({ ...common, version: flags.version }));
      } else {
        r = fromPromote(
          // The gate speaks of options; here, and in the reason it records, they are flags.
          await promote({
            ...common,
            runId: flags.run,
            minDelta,
            force: flags.force,
            optionName: flagOf,
          }),
        );
      }
      if (flags.json) print(JSON.stringify(jsonResult(r)));
      else print(human(r));
      // A dry run exits like the real one would, so scripts can ask first.
      if (r.rejected) {
        throw new UserError(r.reason, { exitCode: GATE_EXIT_CODE, code: "GATE_REJECTED" });
      }
    });
}

async function live(flags: PromoteFlags, minDelta: number): Promise<void> {
  const clash = [
    flags.run !== undefined && "--run",
    flags.version !== undefined && "--version",
    flags.force && "--force",
    flags.alias !== "champion" && "--alias",
    flags.experiment !== undefined && "--experiment",
  ].find(Boolean);
  if (clash) {
    throw new UserError(
      `--live and ${clash} cannot be combined: --live moves champion to the challenger's version`,
    );
  }
  const out = flags.out ?? edgeDirFor("champion");
  if (!flags.dryRun) await checkOutDir(out, "promote");
  const r = await promoteLive({
    store: openStore(flags.trackingUri),
    model: flags.model,
    prometheusUrl: flags.prometheusUrl ??
      (Deno.env.get("PROMETHEUS_URL") || DEFAULT_PROMETHEUS_URL),
    window: flags.window,
    minFeedback: number("--min-feedback", flags.minFeedback),
    confidence: number("--confidence", flags.confidence),
    minDelta,
    out,
    dryRun: flags.dryRun,
    reason: flags.reason,
    optionName: flagOf,
  });
  print(flags.json ? JSON.stringify(liveJson(r)) : liveText(r));
  if (r.status === "rejected" || (r.status === "dry-run" && r.wouldBe === "rejected")) {
    throw new UserError(r.reason, { exitCode: GATE_EXIT_CODE, code: "GATE_REJECTED" });
  }
}

/** A flag's value as a number; what range it must be in is the library's to say. */
function number(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) {
    throw new UserError(`${flag} ${text}: expected a number`);
  }
  return v;
}

/** One shape for both outcomes, as the command reports them. */
interface Report extends AliasOutcome {
  status: "promoted" | "rejected" | "unchanged" | "dry-run";
  wouldPromote: boolean;
  rejected: boolean;
  rollback: boolean;
  /** The version afterwards; "next" on a dry run that would register a new one. */
  version: string | null;
  minDelta: number;
  bundleFile: string | null;
  checksum: string | null;
}

function fromPromote(r: PromoteResult): Report {
  const { status, model, alias, previousVersion, runId, experiment, metric } = r;
  const base = {
    status,
    rollback: false,
    model,
    alias,
    previousVersion,
    runId,
    experiment,
    metric,
    candidate: r.candidate,
    champion: r.champion,
    minDelta: r.minDelta,
    reason: r.reason,
    bundleFile: null,
    checksum: null,
  };
  switch (r.status) {
    case "promoted":
    case "unchanged":
      return {
        ...base,
        wouldPromote: r.status === "promoted",
        rejected: false,
        version: r.version,
        bundleFile: r.bundle.file,
        checksum: r.bundle.checksum,
      };
    case "rejected":
      return { ...base, wouldPromote: false, rejected: true, version: previousVersion };
    case "dry-run":
      return {
        ...base,
        wouldPromote: r.wouldBe === "promoted",
        rejected: r.wouldBe === "rejected",
        // The JSON has always said "next" for the version a real run would register.
        version: r.version ?? "next",
      };
  }
}

function fromRollback(r: RollbackResult): Report {
  const done = r.status !== "dry-run";
  return {
    status: r.status === "rolled-back" ? "promoted" : r.status,
    wouldPromote: r.status === "rolled-back" ||
      (r.status === "dry-run" && r.wouldBe === "rolled-back"),
    rejected: false,
    rollback: true,
    model: r.model,
    alias: r.alias,
    version: r.version,
    previousVersion: r.previousVersion,
    runId: r.runId,
    experiment: r.experiment,
    metric: r.metric,
    candidate: r.candidate,
    champion: r.champion,
    minDelta: 0,
    reason: r.reason,
    bundleFile: done ? r.bundle.file : null,
    checksum: done ? r.bundle.checksum : null,
  };
}

function jsonResult(r: Report) {
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

function human(r: Report): string {
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
