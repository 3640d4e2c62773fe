/**
 * What a training run leaves on disk for people and tools: the bundle, the
 * plots (SVG), feature importances as CSV and the metrics as JSON.
 *
 * @module
 */
import { csvCell } from "../data/mod.ts";
import { join } from "node:path";
import { writeBundle } from "../model/mod.ts";
import { confusionMatrixSvg, featureImportanceSvg, prCurveSvg, rocCurveSvg } from "../plot/mod.ts";
import type { TrainResult } from "./train.ts";

/** Paths written by {@link writeArtifacts}, relative to nothing (as given). */
export interface ArtifactPaths {
  /** Directory holding the bundle (`model.mlops.json`). */
  modelDir: string;
  bundleFile: string;
  plots: string[];
  importanceCsv: string;
  metricsJson: string;
}

/**
 * Writes the model directory, plots, importances and metrics under `outDir`.
 *
 * @example
 * ```ts
 * import { loadTrainingData, trainModel } from "./mod.ts";
 *
 * const result = await trainModel(await loadTrainingData());
 * const paths = await writeArtifacts("out", result);
 * paths.bundleFile; // "out/model/model.mlops.json"
 * ```
 */
export async function writeArtifacts(outDir: string, result: TrainResult): Promise<ArtifactPaths> {
  const { bundle, evaluation } = result;
  const { confusion } = evaluation;
  const modelDir = join(outDir, "model");
  const { file: bundleFile } = await writeBundle(modelDir, bundle);
  const plotDir = join(outDir, "plots");
  await Deno.mkdir(plotDir, { recursive: true });
  const classes = bundle.schema.classes;
  const plots: [string, string][] = [
    [
      "confusion_matrix.svg",
      confusionMatrixSvg(confusion.matrix, confusion.labels, {
        title: confusion.folded
          ? `Confusion matrix (holdout; ${confusion.labels.length - 1} classes with most support)`
          : "Confusion matrix (holdout)",
      }),
    ],
    [
      "feature_importance.svg",
      featureImportanceSvg(bundle.schema.encodedNames, bundle.importances, {
        title: "Feature importance (mean decrease in impurity)",
      }),
    ],
  ];
  if (evaluation.roc) {
    plots.push([
      "roc_curve.svg",
      rocCurveSvg(evaluation.roc.fpr, evaluation.roc.tpr, evaluation.metrics.roc_auc, {
        title: `ROC curve (positive: ${classes[1]})`,
      }),
    ]);
  }
  if (evaluation.pr) {
    plots.push([
      "pr_curve.svg",
      prCurveSvg(
        evaluation.pr.recall,
        evaluation.pr.precision,
        // Set for binary problems, as `pr` is.
        evaluation.metrics.average_precision!,
        { title: `Precision-recall (positive: ${classes[1]})` },
      ),
    ]);
  }
  const plotPaths: string[] = [];
  for (const [name, svg] of plots) {
    const p = join(plotDir, name);
    await Deno.writeTextFile(p, svg);
    plotPaths.push(p);
  }
  const importanceCsv = join(outDir, "feature_importance.csv");
  const rows = bundle.schema.encodedNames
    .map((name, i) => [name, bundle.importances[i]] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([name, v]) => `${csvCell(name)},${v}`);
  await Deno.writeTextFile(importanceCsv, ["feature,importance", ...rows].join("\n") + "\n");
  const metricsJson = join(outDir, "metrics.json");
  await Deno.writeTextFile(
    metricsJson,
    JSON.stringify(
      {
        ...evaluation.metrics,
        oob_score: bundle.training.oobScore,
        confusion: evaluation.confusion.matrix,
        confusion_labels: evaluation.confusion.labels,
      },
      null,
      2,
    ) + "\n",
  );
  return { modelDir, bundleFile, plots: plotPaths, importanceCsv, metricsJson };
}
