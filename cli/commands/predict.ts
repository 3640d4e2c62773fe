/**
 * `mlops predict`: score a CSV with a trained model. Output keeps the input
 * row order, with the predicted label and one probability column per class.
 *
 * @module
 */
import type { Command } from "commander";
import { dirname } from "node:path";
import { readCsvFile } from "../../lib/data/mod.ts";
import { predictTable } from "../../lib/model/mod.ts";
import { loadModel } from "../model_uri.ts";
import { print, printError, writeData } from "../output.ts";
import { checkOutFile } from "../out_path.ts";
import { predictionsCsv } from "../predictions.ts";
import { withJson, withTrackingUri } from "../options.ts";

interface PredictFlags {
  model: string;
  data: string;
  out?: string;
  json: boolean;
  trackingUri?: string;
}

/** Registers `predict`. */
export function register(program: Command): void {
  withJson(
    withTrackingUri(
      program
        .command("predict")
        .description("predict a CSV with a model (path, directory, or models:/name@alias)")
        .requiredOption(
          "--model <path>",
          "bundle file, model directory, or models:/<name>/<version|@alias>",
        )
        .requiredOption("--data <csv>", "CSV to score (columns in any order; target ignored)")
        .option("--out <csv>", "write predictions here instead of stdout"),
    ),
    "print a JSON summary (and predictions when no --out)",
  )
    .action(async (flags: PredictFlags) => {
      if (flags.out) await checkOutFile(flags.out);
      const bundle = await loadModel(flags.model, flags.trackingUri);
      const table = await readCsvFile(flags.data);
      const pred = predictTable(bundle, table);
      const K = pred.classes.length;
      const csv = predictionsCsv(pred);
      const counts: Record<string, number> = {};
      for (const l of pred.labels) counts[l] = (counts[l] ?? 0) + 1;
      if (flags.out) {
        await Deno.mkdir(dirname(flags.out), { recursive: true });
        await Deno.writeTextFile(flags.out, csv);
      }
      if (flags.json) {
        print(JSON.stringify({
          model: { name: bundle.name, version: bundle.version },
          rows: pred.labels.length,
          predictions_by_class: counts,
          unknown_categories: pred.unknownCategories,
          out: flags.out ?? null,
          ...(flags.out ? {} : {
            predictions: pred.labels.map((label, r) => ({
              prediction: label,
              proba: Object.fromEntries(pred.classes.map((c, k) => [c, pred.proba[r * K + k]])),
            })),
          }),
        }));
      } else if (!flags.out) {
        await writeData(csv);
      } else {
        printError(`wrote ${pred.labels.length} predictions to ${flags.out}`);
      }
      const unknown = Object.entries(pred.unknownCategories);
      if (unknown.length > 0 && !flags.json) {
        printError(
          `note: unseen categories (encoded as all-zero): ${
            unknown.map(([f, n]) => `${f}×${n}`).join(", ")
          }`,
        );
      }
    });
}
