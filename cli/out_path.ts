/**
 * `--out` is checked before a command does any work: finding out after a
 * long training run (or after `promote` moved the alias) that a file sits
 * where the output folder should be wastes the run or leaves it half done.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { UserError } from "../lib/errors.ts";
import { fsFailure } from "../lib/fs_error.ts";

/**
 * Makes sure `dir` is (or can be made) a folder we can write into; creates
 * it. `command` names who writes there, for the message.
 *
 * @example
 * ```ts
 * await prepareOutDir("out", "train");
 * ```
 */
export async function prepareOutDir(dir: string, command: string): Promise<void> {
  const info = await statOrNull(dir);
  if (info && !info.isDirectory) {
    throw outError(dir, `is a file; ${command} writes a folder there`);
  }
  if (!info) await blockingAncestor(dir, dir);
  await attempt(dir, async () => {
    await Deno.mkdir(dir, { recursive: true });
    await probeWrite(dir);
  });
}

/**
 * Makes sure `file` can be written: not a folder, in a folder that exists
 * (created if missing) and accepts new files. An existing file is left
 * as is until the caller overwrites it.
 *
 * @example
 * ```ts
 * await prepareOutFile("out/predictions.csv");
 * ```
 */
export async function prepareOutFile(file: string): Promise<void> {
  const info = await statOrNull(file);
  if (info?.isDirectory) {
    throw outError(file, `is a folder; give a file name, e.g. ${join(file, "predictions.csv")}`);
  }
  // A device or pipe (/dev/stdout) is written as is.
  if (info && !info.isFile) return;
  const dir = dirname(file);
  if (!info) await blockingAncestor(dir, file);
  await attempt(file, async () => {
    await Deno.mkdir(dir, { recursive: true });
    await probeWrite(dir);
  });
}

/** Errors (about `--out out`) when a file, not a folder, is `dir` or sits on the way to it. */
async function blockingAncestor(dir: string, out: string): Promise<void> {
  for (let p = dir;; p = dirname(p)) {
    const info = await statOrNull(p);
    if (info) {
      if (!info.isDirectory) throw outError(out, `${p} is a file, not a folder`);
      return;
    }
    if (dirname(p) === p) return;
  }
}

/** Creates and removes a file in `dir`: the cheapest proof that writes will land. */
async function probeWrite(dir: string): Promise<void> {
  const probe = join(dir, `.mlops-write-check-${Deno.pid}-${crypto.randomUUID()}`);
  await Deno.writeTextFile(probe, "");
  await Deno.remove(probe);
}

async function attempt(path: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const failure = fsFailure(e);
    if (failure === null) throw e;
    // The OS names the file it tripped on (maybe the probe); say which --out that was.
    throw outError(path, failure.problem, e);
  }
}

function outError(path: string, problem: string, cause?: unknown): UserError {
  return new UserError(`--out ${path}: ${problem}`, { code: "BAD_OUT", cause });
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}
