/**
 * The model bundle: a trained forest with the schema that encodes its inputs,
 * training statistics for drift monitoring, and provenance — one versioned,
 * checksummed file that the CLI, the registry and the edge all share.
 *
 * @example
 * ```ts
 * import { predictTable, readBundle } from "./mod.ts";
 * import { readCsvFile } from "../data/mod.ts";
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
/** The bundle format a forest is written in (3 when it fits the quantized layout). */
export { formatVersionOf } from "./bundle.ts";
export { bundlePath, readBundle, writeBundle, type WrittenBundle } from "./io.ts";
export { predictTable } from "./predict.ts";
export { predictProbaRow } from "../forest/serving.ts";
