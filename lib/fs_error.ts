/**
 * Filesystem failures in words a user can act on. Deno reports them as
 * `Deno.errors.*` (or a plain `Error`) with the OS code in `code` and a
 * message like `No space left on device (os error 28): write '/out/x'`;
 * this turns that into `/out/x: no space left on device (the disk is full)`.
 *
 * @module
 */

/** What each OS error code means to someone running the tool. */
const PROBLEMS: Record<string, string> = {
  ENOSPC: "no space left on device (the disk is full)",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory (a file is where a folder should be)",
  EISDIR: "is a directory (a folder is where a file should be)",
  ENOENT: "no such file or directory",
  EEXIST: "already exists",
  ENOTEMPTY: "folder not empty",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "input/output error",
  EXDEV: "cannot move across file systems",
  EBUSY: "device or resource busy",
  ETXTBSY: "text file busy",
  EFBIG: "file too large",
};

/** The codes of Deno's error classes, for errors thrown without a `code`. */
const CLASS_CODES: [new (...a: never[]) => Error, string][] = [
  [Deno.errors.PermissionDenied, "EACCES"],
  [Deno.errors.NotFound, "ENOENT"],
  [Deno.errors.AlreadyExists, "EEXIST"],
  [Deno.errors.NotADirectory, "ENOTDIR"],
  [Deno.errors.IsADirectory, "EISDIR"],
  [Deno.errors.FilesystemLoop, "ELOOP"],
];

/** A filesystem failure: the path Deno named (null when it did not) and the problem. */
export interface FsFailure {
  path: string | null;
  problem: string;
}

/**
 * The path and problem of a filesystem error, or null when `e` is not one.
 * Deno's own permission refusals (`NotCapable`) keep their message, which
 * names the flag to pass.
 *
 * @example
 * ```ts
 * import { fsFailure } from "./fs_error.ts";
 * import { strict as assert } from "node:assert";
 *
 * const e = new Deno.errors.NotADirectory("Not a directory (os error 20): mkdir '/f/model'");
 * assert.deepEqual(fsFailure(e), {
 *   path: "/f/model",
 *   problem: "not a directory (a file is where a folder should be)",
 * });
 * ```
 */
export function fsFailure(e: unknown): FsFailure | null {
  if (!(e instanceof Error)) return null;
  if (e instanceof Deno.errors.NotCapable) return { path: null, problem: e.message.split("\n")[0] };
  const raw = (e as { code?: unknown }).code;
  const code = typeof raw === "string" && raw in PROBLEMS
    ? raw
    : CLASS_CODES.find(([cls]) => e instanceof cls)?.[1];
  if (code === undefined) return null;
  // `<text> (os error N): <op> '<path>'` or `<op> '<from>' -> '<to>'`.
  const m = /\(os error \d+\): \w+ '(.*?)'(?: -> '(.*)')?$/.exec(e.message);
  const path = m ? (m[2] !== undefined ? `${m[1]} -> ${m[2]}` : m[1]) : null;
  return { path, problem: PROBLEMS[code] };
}

/**
 * `path: problem` for a filesystem error (`problem` alone when Deno did not
 * name the path), or null when `e` is not one.
 *
 * @example
 * ```ts
 * import { describeFsError } from "./fs_error.ts";
 * import { strict as assert } from "node:assert";
 *
 * const e = Object.assign(
 *   new Error("Read-only file system (os error 30): mkdir '/mlruns/.trash'"),
 *   { code: "EROFS" },
 * );
 * assert.equal(describeFsError(e), "/mlruns/.trash: read-only file system");
 * ```
 */
export function describeFsError(e: unknown): string | null {
  const f = fsFailure(e);
  return f === null ? null : f.path === null ? f.problem : `${f.path}: ${f.problem}`;
}
