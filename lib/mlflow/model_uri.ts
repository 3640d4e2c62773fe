/**
 * `models:/` URIs: `models:/<name>/<version>`, `models:/<name>/latest` and
 * `models:/<name>@<alias>` (registered versions), and `models:/<model id>`
 * (an MLflow 3 logged model, `m-<32 hex>`), resolved to a local bundle file.
 * Versions and logged models from a server are downloaded once into a cache
 * (neither changes once complete).
 *
 * @module
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { BUNDLE_FILE } from "../model/mod.ts";
import { env } from "./_env.ts";
import { exists } from "./_fs.ts";
import { md5Hex } from "./_ids.ts";
import { CONTROL } from "./_names.ts";
import { badAnswer, confirmInside, segmentProblem, serverVersion } from "./_server_paths.ts";
import { hasErrorCode } from "./errors.ts";
import { openStore } from "./open.ts";
import type { ModelVersion, TrackingStore } from "./types.ts";

/** A parsed `models:/` URI: exactly one of `version` and `alias` is set. */
export type ModelUri =
  | { name: string; version: string; alias?: undefined }
  | { name: string; alias: string; version?: undefined };

/**
 * Parses a `models:/` URI; null for anything else (a plain path).
 *
 * @example
 * ```ts
 * import { parseModelUri } from "./model_uri.ts";
 *
 * parseModelUri("models:/churn@champion"); // { name: "churn", alias: "champion" }
 * parseModelUri("models:/churn/3");        // { name: "churn", version: "3" }
 * parseModelUri("out/model.mlops.json");   // null
 * ```
 */
export function parseModelUri(uri: string): ModelUri | null {
  if (!uri.startsWith("models:") || parseLoggedModelUri(uri)) return null;
  const m = /^models:\/([^/@]+)(?:\/(\d+|latest)|@([\w-]+))\/?$/.exec(uri);
  if (!m) {
    throw new UserError(
      `bad model URI ${uri}: use models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>`,
      { code: "BAD_MODEL_URI" },
    );
  }
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    throw new UserError(`bad model URI ${uri}: '${m[1]}' has a malformed %-escape`, {
      code: "BAD_MODEL_URI",
    });
  }
  if (CONTROL.test(name)) {
    throw new UserError(`bad model URI ${JSON.stringify(uri)}: the name has control characters`, {
      code: "BAD_MODEL_URI",
    });
  }
  return m[3] !== undefined ? { name, alias: m[3] } : { name, version: m[2] };
}

/**
 * The model id of a `models:/<model id>` URI (an MLflow 3 logged model),
 * else null.
 *
 * @example
 * ```ts
 * import { parseLoggedModelUri } from "./model_uri.ts";
 *
 * parseLoggedModelUri("models:/m-0123456789abcdef0123456789abcdef"); // "m-0123…"
 * parseLoggedModelUri("models:/churn@champion"); // null
 * ```
 */
export function parseLoggedModelUri(uri: string): string | null {
  return /^models:\/(m-[0-9a-f]{32})\/?$/.exec(uri)?.[1] ?? null;
}

/**
 * A model name as one cache folder name: %-escaped (a leading `.` too, so
 * `.` and `..` are names like any other, and no name is hidden or looks like
 * a temporary entry), and hashed when too long for one. Distinct names stay
 * distinct folders.
 */
function cacheName(name: string): string {
  const escaped = encodeURIComponent(name).replace(/^\./, "%2E");
  const folder = escaped.length <= 200 ? escaped : `${escaped.slice(0, 100)}-${md5Hex(name)}`;
  const problem = segmentProblem(folder);
  if (problem) throw new Error(`bug: cache folder '${folder}' for model '${name}': ${problem}`);
  return folder;
}

/**
 * Where downloaded model versions are cached: `$MLOPS_CACHE` or `~/.cache/mlops`.
 *
 * @example
 * ```ts
 * import { cacheRoot } from "./model_uri.ts";
 *
 * console.log(cacheRoot()); // e.g. /home/ada/.cache/mlops
 * ```
 */
export function cacheRoot(): string {
  const explicit = env("MLOPS_CACHE");
  if (explicit) return explicit;
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new UserError("cannot find a cache folder for models: set MLOPS_CACHE", {
      code: "NO_CACHE",
    });
  }
  return join(home, ".cache", "mlops");
}

/**
 * Turns a model reference into a local bundle path. Plain paths come back
 * unchanged; `models:/` URIs are looked up in the registry of `store`
 * (default: the store of `MLFLOW_TRACKING_URI`).
 *
 * @example
 * ```ts
 * import { resolveModel } from "./model_uri.ts";
 *
 * const bundle = await resolveModel("models:/churn@champion");
 * // e.g. ~/.cache/mlops/models/<server>/churn/3/model.mlops.json
 * ```
 */
export async function resolveModel(
  uri: string,
  store?: TrackingStore,
  options: { cacheDir?: string } = {},
): Promise<string> {
  const modelId = parseLoggedModelUri(uri);
  if (modelId) return await resolveLoggedModel(modelId, store ?? openStore(), options);
  if (!parseModelUri(uri)) return uri;
  return (await resolveModelVersion(uri, store, options)).path;
}

/** The bundle of a logged model (`models:/<model id>`): in place, or downloaded once. */
async function resolveLoggedModel(
  modelId: string,
  s: TrackingStore,
  options: { cacheDir?: string },
): Promise<string> {
  const uri = `models:/${modelId}`;
  const model = await s.getLoggedModel(modelId).catch((e) => {
    if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
    throw new UserError(`${uri} not found in ${s.uri}: ${e.message}`, { code: "MODEL_NOT_FOUND" });
  });
  if (model.status !== "READY") {
    throw new UserError(`${uri} is ${model.status}, not READY: its files may be incomplete`, {
      code: "BAD_MODEL",
    });
  }
  const root = options.cacheDir ?? cacheRoot();
  const dest = join(root, "logged-models", md5Hex(s.uri).slice(0, 12), modelId);
  if (s.kind === "rest") {
    await confirmInside(root, dest);
    if (await exists(join(dest, BUNDLE_FILE))) return join(dest, BUNDLE_FILE);
  }
  const local = await s.downloadArtifacts(uri, dest);
  const bundle = local.endsWith(BUNDLE_FILE) ? local : join(local, BUNDLE_FILE);
  if (!await exists(bundle)) {
    throw new UserError(`${uri} has no ${BUNDLE_FILE}: it was not logged by mlops`, {
      code: "BAD_MODEL",
    });
  }
  return bundle;
}

/** A registered model version and where its bundle was put locally. */
export interface ResolvedModel {
  path: string;
  name: string;
  version: string;
}

/**
 * Like {@link resolveModel} for a `models:/` URI, but also says which
 * registered name and version the URI meant (an alias or `latest` hides it).
 *
 * @example
 * ```ts
 * const { path, version } = await resolveModelVersion("models:/churn@champion");
 * ```
 */
export async function resolveModelVersion(
  uri: string,
  store?: TrackingStore,
  options: { cacheDir?: string } = {},
): Promise<ResolvedModel> {
  const ref = parseModelUri(uri);
  if (!ref) throw new UserError(`${uri} is not a models:/ URI`, { code: "BAD_MODEL_URI" });
  const s = store ?? openStore();
  const mv = await findVersion(s, ref, uri);
  // The answer names the cache folder: it must be the model asked for, and a number.
  if (mv.name !== ref.name) {
    throw badAnswer(s.uri, `for ${uri} a version of`, mv.name, `expected '${ref.name}'`);
  }
  const version = serverVersion(s.uri, `for ${uri} the version`, mv.version);
  if (ref.version !== undefined && ref.version !== "latest" && version !== ref.version) {
    throw badAnswer(s.uri, `for ${uri} the version`, version, `expected ${ref.version}`);
  }
  const root = options.cacheDir ?? cacheRoot();
  const dest = join(root, "models", md5Hex(s.uri).slice(0, 12), cacheName(ref.name), version);
  const found = { name: ref.name, version };
  if (s.kind === "rest") {
    await confirmInside(root, dest);
    if (await exists(join(dest, BUNDLE_FILE))) return { path: join(dest, BUNDLE_FILE), ...found };
  }
  const local = await download(s, mv, dest);
  const bundle = local.endsWith(BUNDLE_FILE) ? local : join(local, BUNDLE_FILE);
  if (!await exists(bundle)) {
    throw new UserError(
      `${uri} (version ${mv.version}, from ${mv.source}) has no ${BUNDLE_FILE}: it was not logged by mlops`,
      { code: "BAD_MODEL" },
    );
  }
  return { path: bundle, ...found };
}

async function findVersion(store: TrackingStore, ref: ModelUri, uri: string) {
  try {
    if (ref.alias !== undefined) return await store.getModelVersionByAlias(ref.name, ref.alias);
    if (ref.version !== "latest") return await store.getModelVersion(ref.name, ref.version);
    const [newest] = await store.searchModelVersions({ name: ref.name });
    if (newest) return newest;
  } catch (e) {
    if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
    throw new UserError(`${uri} not found in ${store.uri}: ${e.message}`, {
      code: "MODEL_NOT_FOUND",
    });
  }
  throw new UserError(`${uri}: registered model '${ref.name}' has no versions in ${store.uri}`, {
    code: "MODEL_NOT_FOUND",
  });
}

/**
 * Fetches a version's artifacts. If its recorded source is gone (a store
 * moved to another folder or machine), falls back to the run's own copy.
 */
async function download(store: TrackingStore, mv: ModelVersion, dest: string): Promise<string> {
  try {
    return await store.downloadArtifacts(mv.source, dest);
  } catch (e) {
    const rel = mv.runId ? mv.source.split(`/${mv.runId}/artifacts/`)[1] : undefined;
    if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST") || rel === undefined) throw e;
    return await store.downloadArtifacts(`runs:/${mv.runId}/${rel}`, dest);
  }
}
