/**
 * The predictions CSV `predict` and `batch` write: input row order, the
 * predicted label, then one `proba_<class>` column per class. Labels and
 * class names go through `csvCell` (CSV-injection safe).
 *
 * @module
 */
import { csvCell } from "../lib/data/mod.ts";
import type { Predictions } from "../lib/model/mod.ts";

/**
 * The CSV text, with a final newline.
 *
 * @example
 * ```ts
 * import { predictionsCsv } from "./predictions.ts";
 *
 * predictionsCsv({ labels: ["No"], proba: Float64Array.of(0.8, 0.2), classes: ["No", "Yes"], unknownCategories: {} });
 * // "prediction,proba_No,proba_Yes\nNo,0.8,0.2\n"
 * ```
 */
export function predictionsCsv(pred: Predictions): string {
  const K = pred.classes.length;
  const header = ["prediction", ...pred.classes.map((c) => `proba_${c}`)];
  const lines = [header.map(csvCell).join(",")];
  for (let r = 0; r < pred.labels.length; r++) {
    const cells = [csvCell(pred.labels[r])];
    for (let c = 0; c < K; c++) cells.push(String(pred.proba[r * K + c]));
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}
