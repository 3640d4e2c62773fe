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
 * Makes sure `dir` is a folder we can write into, or can be made one. Leaves
 * nothing behind (the command makes the folder when it writes). `command`
 * names who writes there, for the message.
 *
 * @example
 * ```ts
 * await checkOutDir("out", "train");
 * ```
 */
export async function checkOutDir(dir: string, command: string): Promise<void> {
  const info = await statOrNull(dir);
  if (info && !info.isDirectory) {
    throw outError(dir, `is a file; ${command} writes a folder there`);
  }
  await attempt(dir, async () => probeWrite(info ? dir : await existingAncestor(dir, dir)));
}

/**
 * Makes sure `file` can be written: not a folder, and in a folder that
 * exists or can be made, and accepts new files. Leaves nothing behind; an
 * existing file is left as is until the caller overwrites it.
 *
 * @example
 * ```ts
 * await checkOutFile("out/predictions.csv");
 * ```
 */
export async function checkOutFile(file: string): Promise<void> {
  const info = await statOrNull(file);
  if (info?.isDirectory) {
    throw outError(file, `is a folder; give a file name, e.g. ${join(file, "predictions.csv")}`);
  }
  // A device or pipe (/dev/stdout) is written as is.
  if (info && !info.isFile) return;
  await attempt(file, async () => probeWrite(await existingAncestor(dirname(file), file)));
}

/**
 * The nearest existing folder at or above `dir`; errors (about `--out out`)
 * when a file, not a folder, is in the way.
 */
async function existingAncestor(dir: string, out: string): Promise<string> {
  for (let p = dir;; p = dirname(p)) {
    const info = await statOrNull(p);
    if (info) {
      if (!info.isDirectory) throw outError(out, `${p} is a file, not a folder`);
      return p;
    }
    if (dirname(p) === p) return p;
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
