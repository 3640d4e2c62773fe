/**
 * The edge's copy of the champion: the registered bundle, stamped with its
 * registry name, version and promotion time, written atomically where the
 * edge app reads it (`edge/model/` by default).
 *
 * @module
 */
import { type ModelBundle, readBundle, writeBundle, type WrittenBundle } from "../model/mod.ts";
import { checkAlias, type TrackingStore } from "../mlflow/mod.ts";
import { resolveModel } from "../mlflow/models.ts";

/** Default edge bundle directory of the champion, relative to the working directory. */
export const DEFAULT_EDGE_DIR = "edge/model";

/**
 * Where an alias's bundle goes by default: the champion's in
 * {@link DEFAULT_EDGE_DIR}, any other alias's in a folder of that name
 * inside it (`edge/model/challenger`, what the edge's
 * `CHALLENGER_MODEL_PATH` points at). The alias must be a valid MLflow
 * alias, so it cannot climb out of the folder.
 *
 * @example
 * ```ts
 * import { edgeDirFor } from "./edge_bundle.ts";
 *
 * edgeDirFor("champion"); // "edge/model"
 * edgeDirFor("challenger"); // "edge/model/challenger"
 * ```
 */
export function edgeDirFor(alias: string): string {
  checkAlias(alias);
  return alias === "champion" ? DEFAULT_EDGE_DIR : `${DEFAULT_EDGE_DIR}/${alias}`;
}

/**
 * Reads the bundle of a model directory in MLflow, e.g. `runs:/<id>/model`.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { fetchBundle } from "./edge_bundle.ts";
 *
 * const runId = "0123456789abcdef0123456789abcdef";
 * const bundle = await fetchBundle(openStore(), `runs:/${runId}/model`);
 * ```
 */
export async function fetchBundle(store: TrackingStore, uri: string): Promise<ModelBundle> {
  const tmp = await Deno.makeTempDir({ prefix: "mlops-promote-" });
  try {
    return await readBundle(await store.downloadArtifacts(uri, tmp));
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Reads a registered version's bundle the way `mlops predict --model
 * models:/...` does, so what the edge gets is what the registry serves.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { fetchVersionBundle } from "./edge_bundle.ts";
 *
 * const bundle = await fetchVersionBundle(openStore(), "churn", "3");
 * ```
 */
export async function fetchVersionBundle(
  store: TrackingStore,
  name: string,
  version: string,
): Promise<ModelBundle> {
  return await readBundle(await resolveModel(`models:/${name}/${version}`, store));
}

/**
 * Writes `bundle` into `dir` with registry fields set; returns the file and
 * the bundle's checksum (`sha256:...`, what `parseBundle` verifies).
 *
 * @example
 * ```ts
 * import { readBundle } from "../model/mod.ts";
 * import { exportEdgeBundle } from "./edge_bundle.ts";
 *
 * const bundle = await readBundle("out/model");
 * const { file, checksum } = await exportEdgeBundle(bundle, "edge/model", {
 *   name: "churn",
 *   version: "3",
 *   promotedAt: new Date().toISOString(),
 * });
 * ```
 */
export async function exportEdgeBundle(
  bundle: ModelBundle,
  dir: string,
  stamp: { name: string; version: string | null; promotedAt: string | null },
): Promise<WrittenBundle> {
  return await writeBundle(dir, { ...bundle, ...stamp });
}
