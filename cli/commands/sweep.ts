/**
 * `mlops sweep`: grid or random search with stratified k-fold CV, logged to
 * MLflow as a parent run with one child per configuration; `--shard I/N`
 * splits a sweep over machines and `--collect ID` joins the shards.
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import { openStore } from "../../lib/mlflow/mod.ts";
import { loadTrainingData } from "../../lib/train/mod.ts";
import {
  collectSweep,
  type ConfigSummary,
  DEFAULT_CV,
  DEFAULT_GRID_ARGS,
  DEFAULT_METRIC,
  HYPERPARAMS,
  metricDirection,
  parseShard,
  readSweepFile,
  resolveSettings,
  runSweep,
  type SweepHooks,
  type SweepReport,
} from "../../lib/sweep/mod.ts";
import { dataOptions, intAtLeast } from "../params.ts";
import { paramsJson } from "../../lib/forest/mod.ts";
import { METRIC_NAMES } from "../../lib/metrics/mod.ts";
import { createProgress, progressEnabled } from "../progress.ts";
import { print } from "../output.ts";
import { withJson, withTrackingUri } from "../options.ts";

interface SweepFlags {
  data?: string;
  target: string;
  drop?: string[];
  test?: string;
  testSize: number;
  grid?: string[];
  config?: string;
  search?: string;
  trials?: string;
  cv?: string;
  metric?: string;
  seed?: string;
  workers?: number;
  shard?: string;
  sweepId?: string;
  collect?: string;
  allowPartial: boolean;
  experiment?: string;
  trackingUri?: string;
  json: boolean;
}

const HELP = `
Hyperparameters (--grid name=v1,v2 ...; names as in \`mlops train\`):
  ${HYPERPARAMS.map((h) => h.name).join(", ")}
  default grid: ${DEFAULT_GRID_ARGS.join(" ")}
Metrics (--metric; log_loss is lower-is-better, the others higher):
  ${METRIC_NAMES.join(", ")}

Sweep file (--config sweep.yaml or .json; flags override it):
  search: random
  trials: 8
  cv: 5
  metric: roc_auc
  grid:
    trees: [100, 200]
    max-depth: [none, 10, 20]

Examples:
  mlops sweep --grid trees=100,200 max-depth=none,10,20 min-samples-split=2,5
  mlops sweep --search random --trials 10 --cv 5 --metric roc_auc
  mlops sweep --sweep-id nightly --shard 1/4     # one job of a 4-job matrix
  mlops sweep --collect nightly                  # then: pick the winner, refit, log

Rerunning a sweep (same flags, or the same --sweep-id) resumes it: configurations
with a finished child run are not trained again.`;

/** Registers `sweep`. */
export function register(program: Command): void {
  withJson(
    withTrackingUri(
      dataOptions(
        program
          .command("sweep")
          .description("search hyperparameters with cross-validation; log runs to MLflow"),
      )
        .option(
          "--grid <name=values...>",
          "hyperparameter values, e.g. trees=100,200 max-depth=none,10",
        )
        .option("--config <file>", "sweep file (YAML or JSON)")
        .option("--search <kind>", "grid or random (default grid)")
        .option("--trials <n>", "configurations to draw for --search random")
        .option("--cv <k>", `cross-validation folds, at least 2 (default ${DEFAULT_CV})`)
        .option(
          "--metric <m>",
          `metric that picks the best configuration (default ${DEFAULT_METRIC})`,
        )
        .option(
          "--seed <s>",
          "seed for the holdout split, folds, random search and forests (default 42)",
        )
        .option("--workers <n>", "parallel workers (default: cores)", intAtLeast(1))
        .option("--shard <I/N>", "run only shard I of N (same --sweep-id on every shard)")
        .option("--sweep-id <id>", "sweep id (default: derived from data, grid and settings)")
        .option("--collect <sweep-id>", "join a sharded sweep: pick the winner, refit it, log it")
        .option(
          "--allow-partial",
          "with --collect: accept configurations that never finished",
          false,
        )
        .option("--experiment <name>", "MLflow experiment (default: dataset name)"),
    ),
    "print one JSON object to stdout",
  )
    .addHelpText("after", HELP)
    .action(async (flags: SweepFlags) => {
      const t0 = performance.now();
      const store = openStore(flags.trackingUri);
      let bar: ReturnType<typeof createProgress> | null = null;
      const hooks: SweepHooks = {
        workers: flags.workers,
        onPlan: (plan) => {
          bar = createProgress({
            label: "trees",
            total: plan.trees,
            enabled: progressEnabled({ json: flags.json }),
          });
        },
        onTrees: (n) => bar?.tick(n),
      };
      let report: SweepReport;
      try {
        if (flags.collect !== undefined) {
          for (
            const f of ["shard", "sweepId", "grid", "config", "search", "trials", "cv"] as const
          ) {
            if (flags[f] !== undefined) {
              const name = f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
              throw new UserError(
                `--collect takes its settings from the sweep's runs; drop --${name}`,
              );
            }
          }
          report = await collectSweep({
            store,
            sweepId: flags.collect,
            experiment: flags.experiment,
            metric: flags.metric,
            allowPartial: flags.allowPartial,
            ...hooks,
          });
        } else {
          // Validate everything the user typed before reading data or training.
          const file = flags.config ? await readSweepFile(flags.config) : null;
          const settings = resolveSettings(flags, file);
          const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
          if (shard && shard.count > 1 && flags.sweepId === undefined) {
            throw new UserError(`--shard ${flags.shard}: pass the same --sweep-id to every shard`);
          }
          const source = {
            data: flags.data,
            target: flags.target,
            drop: flags.drop,
            test: flags.test,
          };
          const data = await loadTrainingData(source);
          report = await runSweep({
            store,
            data,
            source,
            testSize: flags.testSize,
            settings,
            experiment: flags.experiment,
            sweepId: flags.sweepId,
            shard,
            ...hooks,
          });
        }
      } finally {
        (bar as ReturnType<typeof createProgress> | null)?.done();
      }
      const totalMs = performance.now() - t0;
      if (flags.json) print(JSON.stringify(jsonSummary(report, store.uri, totalMs)));
      else print(humanSummary(report, store.uri, totalMs));
    });
}

function jsonSummary(r: SweepReport, uri: string, totalMs: number) {
  return {
    sweep_id: r.sweepId,
    shard: r.shard,
    tracking_uri: uri,
    experiment_id: r.experimentId,
    parent_run_id: r.parentRunId,
    // The run holding the refit model (what `mlops promote --run` takes), when there is one.
    run_id: r.refit ? r.parentRunId : null,
    metric: r.metric,
    configs: {
      total: r.counts.total,
      in_shard: r.counts.inShard,
      run: r.counts.run,
      skipped: r.counts.skipped,
    },
    best: r.best
      ? {
        config_id: r.best.config.id,
        run_id: r.best.runId,
        params: paramsJson(r.best.config.params),
        cv_mean: r.best.mean,
        cv_std: r.best.std,
      }
      : null,
    // The best configurations by CV score, best first (what a job summary shows).
    candidates: ranked(r).slice(0, 10).map((s) => ({
      config_id: s.config.id,
      params: s.config.swept,
      cv_mean: s.mean[r.metric],
      cv_std: s.std[r.metric],
    })),
    metrics: r.refit
      ? { ...r.refit.bundle.training.metrics, oob_score: r.refit.bundle.training.oobScore }
      : null,
    n_train: r.refit?.nTrain ?? null,
    n_test: r.refit?.nTest ?? null,
    timings: { total_ms: Math.round(totalMs) },
  };
}

/** Configurations with a CV score, best first. */
function ranked(r: SweepReport): ConfigSummary[] {
  return [...r.summaries]
    .filter((s) => s.mean[r.metric] !== undefined)
    .sort((a, b) =>
      metricDirection(r.metric) === "min"
        ? a.mean[r.metric] - b.mean[r.metric]
        : b.mean[r.metric] - a.mean[r.metric]
    );
}

function humanSummary(r: SweepReport, uri: string, totalMs: number): string {
  const f4 = (v: number | undefined) => v === undefined ? "n/a" : v.toFixed(4);
  const lines = [
    `sweep     ${r.sweepId} (${r.shard === "collect" ? "collect" : `shard ${r.shard}`}): ` +
    `${r.counts.inShard} of ${r.counts.total} configurations, ${r.counts.run} trained, ` +
    `${r.counts.skipped} ${r.shard === "collect" ? "collected" : "resumed"} in ${
      (totalMs / 1000).toFixed(1)
    } s`,
  ];
  for (const [i, s] of ranked(r).slice(0, 5).entries()) {
    const name = Object.entries(s.config.swept).map(([k, v]) => `${k}=${v}`).join(" ");
    lines.push(
      `${i === 0 ? "best" : `#${i + 1}`.padEnd(4)}      cv ${r.metric} ${f4(s.mean[r.metric])} ± ${
        f4(s.std[r.metric])
      }  ${name}`,
    );
  }
  if (r.refit) {
    const m = r.refit.bundle.training.metrics;
    lines.push(
      `holdout   ${r.refit.nTest} rows: accuracy ${f4(m.accuracy)}  f1 ${f4(m.f1)}  roc_auc ${
        f4(m.roc_auc)
      }  log_loss ${f4(m.log_loss)}`,
    );
  } else if (r.shard !== "collect") {
    lines.push(
      `holdout   not evaluated on a shard: run \`mlops sweep --collect ${r.sweepId}\` when all shards are done`,
    );
  }
  lines.push(`mlflow    parent run ${r.parentRunId} in experiment ${r.experimentId} at ${uri}`);
  if (r.refit) lines.push(`next      mlops promote --run ${r.parentRunId}`);
  return lines.join("\n");
}
