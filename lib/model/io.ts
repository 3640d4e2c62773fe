/**
 * Reading and writing bundle files. A model path may be the bundle file or a
 * directory holding `model.mlops.json` (what `mlops train --out` and
 * `mlops promote` write).
 *
 * @module
 */
import { UserError } from "../errors.ts";
import { encodeBundle, parseBundleBytes } from "./bundle.ts";
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
  const file = joinPath(path, BUNDLE_FILE);
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
  return await parseBundleBytes(await readWhole(file), file);
}

/**
 * The file's bytes, read straight into one buffer of its size: a third of
 * the CPU of `Deno.readFile` for a bundle of megabytes, which an edge pays
 * on its cold start.
 */
async function readWhole(file: string): Promise<Uint8Array> {
  using f = await Deno.open(file);
  const { size } = await f.stat();
  const bytes = new Uint8Array(size);
  let n = 0;
  while (n < size) {
    const got = await f.read(bytes.subarray(n));
    if (got === null) return bytes.subarray(0, n); // shrank while read
    n += got;
  }
  // Grew while read (written in place, not renamed): read it again whole.
  return (await f.read(new Uint8Array(1))) === null ? bytes : await Deno.readFile(file);
}

/** A bundle file as written, and the checksum inside it. */
export interface WrittenBundle {
  file: string;
  /** `sha256:...`, what `parseBundle` verifies. */
  checksum: string;
}

/**
 * Writes a bundle into directory `dir` atomically (temp file + rename), so a
 * reader never sees half a model; returns the file path and its checksum.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * const { file, checksum } = await writeBundle("out/model", bundle);
 * ```
 */
export async function writeBundle(dir: string, bundle: ModelBundle): Promise<WrittenBundle> {
  await Deno.mkdir(dir, { recursive: true });
  const file = joinPath(dir, BUNDLE_FILE);
  const tmp = `${file}.tmp-${crypto.randomUUID()}`;
  const { text, checksum } = encodeBundle(bundle);
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, file);
  } catch (e) {
    // A full disk must not also be left holding half a bundle.
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  return { file, checksum };
}

/** `dir/name` (no `node:path`: see bundle.ts). */
function joinPath(dir: string, name: string): string {
  return dir === "" ? name : /[\\/]$/.test(dir) ? dir + name : `${dir}/${name}`;
}
