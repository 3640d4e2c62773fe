/**
 * `mlops train`: train on a CSV (the bundled Telco churn data by default),
 * evaluate on a stratified holdout, write the bundle and plots, and log the
 * run to MLflow.
 *
 * @module
 */
import { Command, Option } from "commander";
import { createProgress, progressEnabled } from "../progress.ts";
import {
  dataOptions,
  forestOptions,
  type ForestOptionValues,
  paramsFromOptions,
} from "../params.ts";
import { paramsJson } from "../../lib/forest/mod.ts";
import { loadTrainingData, trainModel, writeArtifacts } from "../../lib/train/mod.ts";
import { checkRegistration, logTraining } from "../tracking.ts";
import { print } from "../output.ts";
import { withJson, withTrackingUri } from "../options.ts";
import { checkOutDir } from "../out_path.ts";

interface TrainFlags extends ForestOptionValues {
  data?: string;
  target: string;
  drop?: string[];
  test?: string;
  testSize: number;
  out: string;
  json: boolean;
  engine: "mlops" | "ml-random-forest";
  experiment?: string;
  trackingUri?: string;
  runName?: string;
  track: boolean;
  registerAs?: string;
  register: boolean;
}

/** Registers `train`. */
export function register(program: Command): void {
  const cmd = dataOptions(
    program
      .command("train")
      .description("train a random forest, evaluate it on a holdout, write the bundle and plots"),
  );
  withJson(
    withTrackingUri(
      forestOptions(cmd)
        .addOption(
          new Option("--engine <e>", "trainer").choices(["mlops", "ml-random-forest"])
            .default("mlops"),
        )
        .option("--out <dir>", "output directory for the bundle and plots", "out")
        .option("--experiment <name>", "MLflow experiment (default: dataset name)")
        .option("--run-name <name>", "MLflow run name"),
    )
      .option("--no-track", "do not log to MLflow")
      .option("--register-as <name>", "registered model name (default: the experiment name)")
      .option("--no-register", "log the run without registering a model version"),
    "print one JSON object to stdout",
  )
    .action(async (flags: TrainFlags) => {
      const t0 = performance.now();
      await checkOutDir(flags.out, "train");
      const data = await loadTrainingData({
        data: flags.data,
        target: flags.target,
        drop: flags.drop,
        test: flags.test,
      });
      const params = paramsFromOptions(flags);
      // Checked before training: a name refused after the run was logged leaves an orphan run.
      const experiment = flags.experiment ?? data.dataset.name;
      const modelName = flags.track
        ? checkRegistration(experiment, flags.register ? flags.registerAs : null)
        : null;
      const progress = createProgress({
        label: "trees",
        total: params.nTrees,
        enabled: progressEnabled({ json: flags.json }),
      });
      const result = await trainModel(data, {
        params,
        testSize: flags.testSize,
        workers: flags.workers,
        engine: flags.engine,
        onProgress: (done) => progress.update(done),
      });
      progress.done();
      const paths = await writeArtifacts(flags.out, result);
      const tracked = flags.track
        ? await logTraining({
          trackingUri: flags.trackingUri,
          experiment,
          runName: flags.runName,
          data,
          result,
          paths,
          engine: flags.engine,
          testSize: flags.testSize,
          register: modelName,
        })
        : null;
      const m = result.evaluation.metrics;
      const summary = {
        model_path: paths.modelDir,
        bundle_file: paths.bundleFile,
        plots: paths.plots,
        metrics: { ...result.bundle.training.metrics, oob_score: result.bundle.training.oobScore },
        confusion_matrix: result.evaluation.confusion.matrix,
        // Rows and columns of confusion_matrix: the classes, or past 50 the 50 with most support + "other".
        confusion_labels: result.evaluation.confusion.labels,
        classes: data.schema.classes,
        params: { ...paramsJson(params), engine: flags.engine },
        dataset: { ...data.dataset, target: data.schema.target },
        dropped_columns: data.schema.dropped,
        features: data.schema.encodedNames.length,
        n_train: result.nTrain,
        n_test: result.nTest,
        workers: result.workers,
        timings: {
          fit_ms: round(result.timings.fitMs),
          bin_ms: round(result.timings.binMs),
          eval_ms: round(result.timings.evalMs),
          total_ms: round(performance.now() - t0),
        },
        run_id: tracked?.runId ?? null,
        experiment_id: tracked?.experimentId ?? null,
        registered_model: tracked?.modelVersion
          ? { name: modelName, version: tracked.modelVersion }
          : null,
        tracking_uri: tracked?.trackingUri ?? null,
      };
      if (flags.json) {
        print(JSON.stringify(summary));
        return;
      }
      const pct = (v: number | undefined) => v === undefined ? "n/a" : v.toFixed(4);
      const lines = [
        `dataset   ${data.dataset.path} (${data.dataset.rows} rows, target ${data.schema.target})`,
        ...data.schema.dropped.map((d) => `dropped   ${d.name} (${d.reason})`),
        `trained   ${params.nTrees} trees on ${result.nTrain} rows × ${summary.features} features in ${
          round(result.timings.fitMs)
        } ms (${result.workers} worker${result.workers > 1 ? "s" : ""})`,
        `holdout   ${result.nTest} rows: accuracy ${pct(m.accuracy)}  f1 ${pct(m.f1)}  roc_auc ${
          pct(m.roc_auc)
        }  log_loss ${pct(m.log_loss)}`,
        `oob       ${result.bundle.training.oobScore?.toFixed(4) ?? "n/a"}`,
        `model     ${paths.bundleFile}`,
        `plots     ${paths.plots.join(", ")}`,
      ];
      if (tracked) {
        lines.push(
          `mlflow    run ${tracked.runId} in experiment ${tracked.experimentId} at ${tracked.trackingUri}`,
        );
        if (summary.registered_model) {
          const { name, version } = summary.registered_model;
          lines.push(`registry  ${name} version ${version} (models:/${name}/${version})`);
        }
        if (tracked.pendingSync) {
          lines.push(
            `pending   not yet on ${tracked.pendingSync}: run mlops sync --to ${tracked.pendingSync}`,
          );
        }
      }
      print(lines.join("\n"));
    });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
