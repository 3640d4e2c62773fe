/**
 * The one check for what a tracking server sends back that becomes a local
 * path: a model version number, an artifact listing's names. A server is
 * trusted with runs and models, not with the client's file system, so an
 * answer that would name a path outside the folder being written is refused
 * with one line that names the server and the field, before anything is
 * written.
 *
 * Writes then confirm, after resolving symlinks, that they stay inside
 * their root ({@link confirmInside}): names alone cannot stop a symlink that
 * is already in the cache.
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { redactUri } from "../redact.ts";
import { CONTROL, MAX_NAME_BYTES } from "./_names.ts";

/**
 * The error for an answer that cannot be used: names the server (without
 * credentials), the field and the value (escaped, so it stays one line).
 */
export function badAnswer(server: string, field: string, value: unknown, why: string): UserError {
  let shown = JSON.stringify(value) ?? String(value);
  if (shown.length > 120) shown = `${shown.slice(0, 117)}...`;
  return new UserError(
    `MLflow at ${redactUri(server)} answered ${field} ${shown}: ${why}`,
    { code: "MLFLOW_BAD_ANSWER" },
  );
}

/**
 * A model version number from a server: decimal digits only (it names a
 * cache folder).
 *
 * @example
 * ```ts
 * import { serverVersion } from "./_server_paths.ts";
 *
 * serverVersion("http://127.0.0.1:5000", "model_version.version", 3); // "3"
 * ```
 */
export function serverVersion(server: string, field: string, value: unknown): string {
  const v = typeof value === "number" ? String(value) : value;
  if (typeof v !== "string" || !/^[0-9]{1,18}$/.test(v)) {
    throw badAnswer(server, field, value, "a model version is a number");
  }
  return v;
}

/**
 * Why `name` cannot be one file or folder name, or null when it can: one
 * non-empty segment, not `.` or `..`, without separators, NUL or other
 * control characters, and short enough for the file system.
 *
 * @example
 * ```ts
 * import { segmentProblem } from "./_server_paths.ts";
 *
 * segmentProblem("MLmodel"); // null
 * segmentProblem("../x"); // "it must be one name, without '/' or '\\'"
 * ```
 */
export function segmentProblem(name: string): string | null {
  if (name === "" || name === "." || name === "..") return "it must be a name, not '.' or '..'";
  if (/[/\\]/.test(name)) return "it must be one name, without '/' or '\\'";
  if (CONTROL.test(name)) return "it must not contain control characters";
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
    return `it is longer than ${MAX_NAME_BYTES} bytes, too long for a file name`;
  }
  return null;
}

/**
 * The name of an entry of an artifact listing of `folder`. Servers send a
 * bare name (MLflow's artifact proxy) or the full path under the listed
 * folder; anything else (`..`, separators, NUL, a path elsewhere) is refused.
 *
 * @example
 * ```ts
 * import { listedName } from "./_server_paths.ts";
 *
 * listedName("http://127.0.0.1:5000", "1/abc/artifacts/model", "MLmodel"); // "MLmodel"
 * listedName("http://127.0.0.1:5000", "1/abc/artifacts/model", "1/abc/artifacts/model/MLmodel");
 * ```
 */
export function listedName(server: string, folder: string, listed: unknown): string {
  const field = `in the artifact listing of '${folder || "/"}' the path`;
  if (typeof listed !== "string") throw badAnswer(server, field, listed, "expected a string");
  const prefix = folder ? `${folder}/` : "";
  const name = prefix && listed.startsWith(prefix) ? listed.slice(prefix.length) : listed;
  const problem = segmentProblem(name);
  if (problem) {
    const why = /[/\\]/.test(name) && !/^\.\.?$/.test(name)
      ? `${problem} (or a path under '${folder || "/"}')`
      : problem;
    throw badAnswer(server, field, listed, why);
  }
  return name;
}

/**
 * Confirms that writing `target` stays inside `root` once `..` and symlinks
 * are resolved (the nearest existing ancestor is resolved on disk), so a
 * folder that was replaced by a symlink cannot redirect a write. Returns the
 * absolute target.
 *
 * @example
 * ```ts
 * import { confirmInside } from "./_server_paths.ts";
 *
 * const dest = await confirmInside("/home/ada/.cache/mlops", "/home/ada/.cache/mlops/models/x/1");
 * ```
 */
export async function confirmInside(root: string, target: string): Promise<string> {
  const abs = resolve(target);
  if (!isWithin(resolve(root), abs)) throw outside(target, abs, root);
  const real = await resolveOnDisk(abs);
  if (!isWithin(await resolveOnDisk(resolve(root)), real)) throw outside(target, real, root);
  return abs;
}

/**
 * True when `path` is strictly below `root` (both resolved). Only a first
 * segment that is exactly `..` climbs out: `..notes.txt` is a name like any
 * other.
 *
 * @example
 * ```ts
 * import { isWithin } from "./_server_paths.ts";
 *
 * isWithin("/cache", "/cache/..notes.txt"); // true
 * isWithin("/cache", "/other"); // false ("../other")
 * ```
 */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !/^\.\.(?:[/\\]|$)/.test(rel) && !isAbsolute(rel);
}

/** `path` with its nearest existing ancestor resolved through symlinks. */
async function resolveOnDisk(path: string): Promise<string> {
  const rest: string[] = [];
  for (let at = path;; at = dirname(at)) {
    try {
      return join(await Deno.realPath(at), ...rest);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || at === dirname(at)) throw e;
      rest.unshift(basename(at));
    }
  }
}

function outside(target: string, resolved: string, root: string): UserError {
  return new UserError(
    `refusing to write ${target}: it resolves to ${resolved}, outside ${root} ` +
      `(a symlink or '..' in the way; remove it and retry)`,
    { code: "UNSAFE_PATH" },
  );
}
