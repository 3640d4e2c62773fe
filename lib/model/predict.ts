/**
 * Prediction from raw rows: encode with the bundle's schema, walk the forest,
 * map class indexes back to the original labels.
 *
 * @module
 */
import { encodeTable, type RawTable } from "../data/serving.ts";
import { argmaxRows, predictProbaMatrix } from "../forest/serving.ts";
import type { ModelBundle, Predictions } from "./types.ts";

/**
 * Predicts every row of a raw table (columns matched by name; the target
 * column, if present, is ignored). Unknown categories are counted, not errors.
 *
 * @example
 * ```ts
 * import { readCsvFile } from "../data/mod.ts";
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * const table = await readCsvFile("new_customers.csv");
 * const { labels, proba } = predictTable(bundle, table);
 * ```
 */
export function predictTable(bundle: ModelBundle, table: RawTable): Predictions {
  const { X, unknownCategories } = encodeTable(bundle.schema, table, { requireTarget: false });
  const proba = predictProbaMatrix(bundle.forest, X);
  const classes = bundle.schema.classes;
  const labels = Array.from(argmaxRows(proba, classes.length), (c) => classes[c]);
  return { labels, proba, classes, unknownCategories };
}
