/**
 * `models:/` URIs: parsing them and resolving them to a local model bundle.
 *
 * `models:/<name>/<version>`, `models:/<name>/latest`, `models:/<name>@<alias>`
 * name a registered version; `models:/m-<id>` an MLflow 3 logged model. A
 * resolved bundle is downloaded once into a cache (local stores return it in
 * place).
 *
 * ```ts
 * import { openStore } from "./mod.ts";
 * import { parseModelUri, resolveModel } from "./models.ts";
 *
 * const uri = "models:/churn@champion";
 * if (parseModelUri(uri) === null) throw new Error(`not a models:/ URI: ${uri}`);
 * const bundlePath = await resolveModel(uri, openStore());
 * console.log(bundlePath);
 * ```
 *
 * @module
 */
export {
  parseLoggedModelUri,
  parseModelUri,
  type ResolvedModel,
  resolveModel,
  resolveModelVersion,
} from "./model_uri.ts";
export type { ModelUri } from "./model_uri.ts";
