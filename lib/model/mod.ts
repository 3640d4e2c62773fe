/**
 * The model bundle: a trained forest with the schema that encodes its inputs,
 * training statistics for drift monitoring, and provenance — one versioned,
 * checksummed file that the CLI, the registry and the edge all share.
 *
 * @example
 * ```ts
 * import { predictTable, readBundle } from "./mod.ts";
 * import { readCsvFile } from "../data/csv.ts";
 *
 * const table = await readCsvFile("new_customers.csv");
 * const bundle = await readBundle("out/model");
 * const { labels } = predictTable(bundle, table);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { parseBundle, parseBundleBytes, serializeBundle } from "./bundle.ts";
export { bundlePath, readBundle, writeBundle } from "./io.ts";
export { predictTable } from "./predict.ts";
export { predictProbaRow } from "../forest/predict.ts";
