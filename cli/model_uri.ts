/**
 * Resolves what users pass as `--model`: a bundle file, a model directory, or
 * a registry URI (`models:/<name>/<version>`, `models:/<name>@<alias>`), or
 * a logged model (`models:/<model id>`).
 *
 * @module
 */
import { openStore } from "../lib/mlflow/mod.ts";
import {
  parseLoggedModelUri,
  parseModelUri,
  resolveModel,
  resolveModelVersion,
} from "../lib/mlflow/models.ts";
import { type ModelBundle, readBundle } from "../lib/model/mod.ts";

/**
 * Loads the bundle behind a model reference. A registry reference names the
 * model: the bundle comes back with the registered name and version (a run's
 * bundle is written before the registry numbers it, so it holds none).
 *
 * @example
 * ```ts
 * const bundle = await loadModel("models:/telco-customer-churn@champion");
 * ```
 */
export async function loadModel(ref: string, trackingUri?: string): Promise<ModelBundle> {
  if (parseLoggedModelUri(ref)) {
    return await readBundle(await resolveModel(ref, openStore(trackingUri)));
  }
  if (!parseModelUri(ref)) return await readBundle(ref);
  const mv = await resolveModelVersion(ref, openStore(trackingUri));
  return { ...await readBundle(mv.path), name: mv.name, version: mv.version };
}
