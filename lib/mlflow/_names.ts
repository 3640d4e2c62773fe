/**
 * Name rules MLflow enforces. The file store turns names into paths, so a
 * name that escapes its folder ("../x") must be refused before any write.
 *
 * @module
 */
import { MlflowError } from "./errors.ts";

// MLflow: alphanumerics, underscores, dashes, periods, spaces, colons, slashes.
const KEY_RE = /^[\w\-. :/]+$/;

function bad(message: string): MlflowError {
  return new MlflowError("INVALID_PARAMETER_VALUE", message);
}

/** Checks a metric, param or tag key; `kind` names it in the error. */
export function checkKey(kind: "metric" | "param" | "tag", key: string): void {
  if (!KEY_RE.test(key)) {
    throw bad(
      `invalid ${kind} name '${key}': use letters, digits, '_', '-', '.', ' ', ':' or '/'`,
    );
  }
  if (key.startsWith("/") || key.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw bad(`invalid ${kind} name '${key}': it must be a relative path without '.' or '..'`);
  }
}

/** NUL and the other control characters: no name may hold them (paths, YAML, terminals). */
// deno-lint-ignore no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f]/;

/** Longest name of one file or folder on common file systems (bytes of UTF-8). */
export const MAX_NAME_BYTES = 255;

/**
 * Checks a registered model name (it becomes a folder name).
 *
 * @example
 * ```ts
 * import { checkModelName } from "./_names.ts";
 *
 * checkModelName("churn"); // fine
 * // checkModelName("a/b") throws: no '/'
 * ```
 */
export function checkModelName(name: string): void {
  if (CONTROL.test(name)) {
    throw bad(`invalid registered model name ${JSON.stringify(name)}: no control characters`);
  }
  if (!name || /[/\\%]/.test(name) || name === "." || name === ".." || name.startsWith(".")) {
    throw bad(`invalid registered model name '${name}': no '/', '\\', '%' or leading '.'`);
  }
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_BYTES) {
    throw bad(
      `invalid registered model name '${name.slice(0, 40)}...': ${bytes} bytes, ` +
        `longer than the ${MAX_NAME_BYTES} a folder name can have`,
    );
  }
}

/**
 * Checks an experiment name: MLflow takes any non-empty name; control
 * characters are refused because they garble every listing that shows it.
 *
 * @example
 * ```ts
 * import { checkExperimentName } from "./_names.ts";
 *
 * checkExperimentName("churn/2025"); // fine: experiment names are not paths
 * ```
 */
export function checkExperimentName(name: string): void {
  if (!name.trim()) throw bad("invalid experiment name: it is empty");
  if (CONTROL.test(name)) {
    throw bad(`invalid experiment name ${JSON.stringify(name)}: no control characters`);
  }
}

/** Checks an alias: MLflow reserves "latest" and version-like names ("v3"). */
export function checkAlias(alias: string): void {
  if (!/^[\w-]+$/.test(alias)) {
    throw bad(`invalid alias '${alias}': use letters, digits, '_' or '-'`);
  }
  if (alias.toLowerCase() === "latest" || /^v\d+$/i.test(alias)) {
    throw bad(`invalid alias '${alias}': 'latest' and 'v<number>' are reserved`);
  }
}

/** Checks a relative artifact path ("" is the root). */
export function checkArtifactPath(path: string): void {
  if (path === "") return;
  if (
    path.startsWith("/") || path.includes("\\") ||
    path.split("/").some((s) => s === "." || s === "..")
  ) {
    throw bad(`invalid artifact path '${path}': it must be relative, without '.' or '..'`);
  }
}
