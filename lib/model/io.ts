/**
 * Reading and writing bundle files. A model path may be the bundle file or a
 * directory holding `model.mlops.json` (what `mlops train --out` and
 * `mlops promote` write).
 *
 * @module
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { parseBundle, serializeBundle } from "./bundle.ts";
import { BUNDLE_FILE, type ModelBundle } from "./types.ts";

/**
 * Resolves a file-or-directory model path to the bundle file path.
 *
 * @example
 * ```ts
 * await bundlePath("out/model"); // "out/model/model.mlops.json"
 * ```
 */
export async function bundlePath(path: string): Promise<string> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    throw new UserError(`model not found: ${path}`, { code: "MODEL_NOT_FOUND" });
  }
  if (!stat.isDirectory) return path;
  const file = join(path, BUNDLE_FILE);
  try {
    await Deno.stat(file);
  } catch {
    throw new UserError(`no ${BUNDLE_FILE} in model directory ${path}`, {
      code: "MODEL_NOT_FOUND",
    });
  }
  return file;
}

/**
 * Reads and verifies a bundle from a file or model directory.
 *
 * @example
 * ```ts
 * const bundle = await readBundle("edge/model");
 * ```
 */
export async function readBundle(path: string): Promise<ModelBundle> {
  const file = await bundlePath(path);
  return parseBundle(await Deno.readTextFile(file), file);
}

/**
 * Writes a bundle into directory `dir` atomically (temp file + rename), so a
 * reader never sees half a model; returns the file path.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * const file = await writeBundle("out/model", bundle);
 * ```
 */
export async function writeBundle(dir: string, bundle: ModelBundle): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, BUNDLE_FILE);
  const tmp = `${file}.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.writeTextFile(tmp, serializeBundle(bundle));
    await Deno.rename(tmp, file);
  } catch (e) {
    // A full disk must not also be left holding half a bundle.
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  return file;
}
