/**
 * File helpers for the file store: atomic writes, cleanup of temporary
 * entries killed processes left, locks between processes, YAML in MLflow's
 * style, and listings that skip our temporary entries.
 *
 * Temporary files never go into a folder MLflow reads as a collection
 * (`metrics/`, `params/`, `tags/`, `aliases/`): a leftover there would be read
 * as a metric or tag. Callers pass a `tmpDir` MLflow ignores instead (a run's
 * own folder, an experiment folder, a registered model's folder).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { UserError } from "../errors.ts";

/** Prefix of every temporary file or folder the store creates. */
export const TMP_PREFIX = ".tmp-";

/** True for names readers must skip: temporary entries and hidden folders. */
export function isHidden(name: string): boolean {
  return name.startsWith(".");
}

/**
 * A temp name unique to this process and call: `.tmp-<label>-<pid>-<8 hex>`.
 * Not exported: callers use {@link tmpPath}, which also cleans up what killed
 * processes left in the folder.
 */
function tmpName(label = ""): string {
  const rand = crypto.randomUUID().slice(0, 8);
  return `${TMP_PREFIX}${label}${label ? "-" : ""}${Deno.pid}-${rand}`;
}

/**
 * Age after which a temporary entry whose process is gone counts as left
 * behind by a killed process. Live holders of long-lived entries (a run
 * staged for a whole sweep) refresh their mtime well within it.
 */
export const STALE_TMP_MS = 60 * 60 * 1000;

/** Folders this process has already cleaned (see {@link tmpPath}). */
const cleaned = new Set<string>();

/**
 * A fresh temporary path in `dir` (see {@link tmpName}). The first call for a
 * folder in a process also removes the stale temporary entries there (see
 * {@link removeStaleTmp}), so what killed processes left behind goes away on
 * the next write without rescanning the store on every write.
 */
export async function tmpPath(dir: string, label = ""): Promise<string> {
  if (!cleaned.has(dir)) {
    cleaned.add(dir);
    await removeStaleTmp(dir).catch(() => {});
  }
  return join(dir, tmpName(label));
}

/**
 * Removes `.tmp-*` entries of `dir` that are stale: not modified for
 * `maxAgeMs` and not owned by a live process on this machine (the pid in the
 * name; where liveness cannot be checked, age alone decides). Returns the
 * names removed.
 */
export async function removeStaleTmp(
  dir: string,
  maxAgeMs = STALE_TMP_MS,
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return removed;
  }
  for (const e of entries) {
    if (!e.name.startsWith(TMP_PREFIX)) continue;
    const path = join(dir, e.name);
    const mtime = (await Deno.lstat(path).catch(() => null))?.mtime?.getTime();
    if (mtime === undefined || now - mtime < maxAgeMs) continue;
    const pid = /-(\d+)-[0-9a-f]{8}$/.exec(e.name)?.[1];
    if (pid !== undefined && await knownAlive(Number(pid))) continue;
    await Deno.remove(path, { recursive: true }).then(
      () => removed.push(e.name),
      () => {},
    );
  }
  return removed;
}

/**
 * Whether `pid` is known to be a live process here. Only Linux can tell
 * (`/proc`); elsewhere the answer is false and age alone decides.
 */
async function knownAlive(pid: number): Promise<boolean> {
  if (pid === Deno.pid) return true;
  if (Deno.build.os !== "linux") return false;
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (e) {
    // Not allowed to look: assume it lives rather than delete its files.
    return !(e instanceof Deno.errors.NotFound);
  }
}

/** How long {@link withLock} waits for a live holder before giving up. */
export const LOCK_TIMEOUT_MS = 120_000;

/**
 * Runs `fn` while holding an exclusive lock on the file `path` (`flock`),
 * so that processes on one store take turns. The operating system drops
 * the lock when its holder exits, however it exits (kill -9 included): a
 * dead holder never blocks the next process, and there is no stale lock to
 * detect. The file is created when missing and never deleted (deleting it
 * would let two processes lock two different files of one name), and it
 * stays empty, so taking the lock changes no file. A holder that stays
 * alive but does not let go within `timeoutMs` is an error naming the file;
 * `what` says what was waited for.
 *
 * @example
 * ```ts
 * import { withLock } from "./_fs.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await withLock(`${dir}/.lock`, "an example", async () => {
 *   // one process at a time here
 * });
 * ```
 */
export async function withLock<T>(
  path: string,
  what: string,
  fn: () => Promise<T>,
  timeoutMs = LOCK_TIMEOUT_MS,
): Promise<T> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const locked = file.lock(true);
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    if (await Promise.race([locked, timedOut]) === "timeout") {
      locked.catch(() => {});
      throw new UserError(
        `gave up ${what} after ${Math.round(timeoutMs / 1000)} s: another process holds ` +
          `the lock ${path}; retry when it has finished`,
        { code: "LOCKED" },
      );
    }
    clearTimeout(timer);
    return await fn();
  } finally {
    clearTimeout(timer);
    file.close();
  }
}

/** True if `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** True if `path` is a directory. */
export async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Visible entries of a folder (none when it does not exist), sorted by name. */
export async function listDir(path: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(path)) if (!isHidden(e.name)) out.push(e);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Visible files under `dir`, recursively, as `/`-separated relative paths. */
export async function walkFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await walkFiles(join(dir, e.name), rel));
    else if (e.isFile) out.push(rel);
  }
  return out;
}

/**
 * Writes `data` to `path` so readers see either the old or the new content,
 * never a partial file: write a temp file in `tmpDir` (same filesystem), then
 * rename it over `path`.
 */
export async function atomicWrite(
  path: string,
  data: string | Uint8Array,
  tmpDir = dirname(path),
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.mkdir(tmpDir, { recursive: true });
  const tmp = await tmpPath(tmpDir, basename(path));
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Copies a file atomically (see {@link atomicWrite}). */
export async function atomicCopy(from: string, to: string, tmpDir = dirname(to)): Promise<void> {
  await atomicWrite(to, await Deno.readFile(from), tmpDir);
}

/**
 * Serializes like MLflow's `write_yaml` (PyYAML `safe_dump`): keys sorted,
 * block style, single-quoted strings where quoting is needed. YAML 1.1 is
 * PyYAML's dialect: under it, strings such as "2025-06-29 11:12:05" or
 * "True" must be quoted or PyYAML reads a datetime or a boolean.
 */
export function toYaml(data: Record<string, unknown>): string {
  return stringify(data, {
    version: "1.1",
    sortMapEntries: true,
    singleQuote: true,
    lineWidth: 0,
  });
}

/**
 * Reads a `meta.yaml`-style file into an object. A file that does not parse
 * to a mapping is a corrupted store, reported with its path.
 */
export async function readYaml(path: string): Promise<Record<string, unknown>> {
  const text = await Deno.readTextFile(path);
  let data: unknown;
  try {
    data = parse(text, { version: "1.1" });
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new UserError(`corrupted MLflow metadata in ${path}: ${why}`, {
      code: "MLFLOW_CORRUPT",
      cause: e,
    });
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new UserError(`corrupted MLflow metadata in ${path}: expected a YAML mapping`, {
      code: "MLFLOW_CORRUPT",
    });
  }
  return data as Record<string, unknown>;
}

/** Reads a required field of a parsed `meta.yaml`, naming the file when absent. */
export function field(meta: Record<string, unknown>, key: string, path: string): unknown {
  if (!(key in meta) || meta[key] === undefined) {
    throw new UserError(`corrupted MLflow metadata in ${path}: missing '${key}'`, {
      code: "MLFLOW_CORRUPT",
    });
  }
  return meta[key];
}

/** A timestamp field: integer milliseconds, or null when absent/null. */
export function millis(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Files of a folder (recursively) as key → content: params, tags, aliases. */
export async function readValues(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await walkFiles(dir)) out[key] = await Deno.readTextFile(join(dir, key));
  return out;
}

/** A corrupt file in the store (see `readYaml`, `readMetricFile`, `aliasVersion`). */
export function isCorrupt(e: unknown): e is UserError {
  return e instanceof UserError && e.code === "MLFLOW_CORRUPT";
}
