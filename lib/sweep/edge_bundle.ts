/**
 * The edge's copy of the champion: the registered bundle, stamped with its
 * registry name, version and promotion time, written atomically where the
 * edge app reads it (`edge/model/` by default).
 *
 * @module
 */
import { readBundle, writeBundle } from "../model/io.ts";
import type { ModelBundle } from "../model/types.ts";
import { resolveModel } from "../mlflow/model-uri.ts";
import type { TrackingStore } from "../mlflow/types.ts";

/** Default edge bundle directory, relative to the working directory. */
export const DEFAULT_EDGE_DIR = "edge/model";

/**
 * Reads the bundle of a model directory in MLflow, e.g. `runs:/<id>/model`.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "../mlflow/types.ts";
 *
 * declare const store: TrackingStore;
 * const runId = "0a1b2c3d";
 * const bundle = await fetchBundle(store, `runs:/${runId}/model`);
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
 * import type { TrackingStore } from "../mlflow/types.ts";
 *
 * declare const store: TrackingStore;
 * const bundle = await fetchVersionBundle(store, "churn", "3");
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
 * import type { ModelBundle } from "../model/types.ts";
 *
 * declare const bundle: ModelBundle;
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
): Promise<{ file: string; checksum: string }> {
  const file = await writeBundle(dir, { ...bundle, ...stamp });
  const text = await Deno.readTextFile(file);
  // serializeBundle appends the checksum as the last field.
  const checksum = /"checksum":"([^"]+)"\}\s*$/.exec(text)?.[1] ?? "";
  return { file, checksum };
}
