/**
 * Artifacts kept in a local folder, as the file store and the SQLite store
 * keep them (MLflow's `LocalArtifactRepository`): copying files in, listing
 * a folder, and turning an artifact URI into a local path.
 *
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.ts";
import { atomicCopy, listDir, walkFiles } from "./_fs.ts";
import type { ArtifactFile } from "./types.ts";

/**
 * The local path of a `file:` URI or an absolute path (MLflow's SQL store
 * records plain paths), else null.
 *
 * @example
 * ```ts
 * import { localPathOf } from "./_local_artifacts.ts";
 *
 * localPathOf("file:///tmp/mlruns/0"); // "/tmp/mlruns/0"
 * localPathOf("mlflow-artifacts:/0"); // null
 * ```
 */
export function localPathOf(uri: string): string | null {
  if (uri.startsWith("/")) return uri;
  if (!uri.startsWith("file:")) return null;
  try {
    return fileURLToPath(uri.startsWith("file://") ? uri : `file://${uri.slice(5)}`);
  } catch {
    return null;
  }
}

/**
 * Copies a file to `<root>/<artifactPath>/<name>`, or a folder's files
 * (recursively) under `<root>/<artifactPath>/`, each atomically, with
 * temporary files in `tmpDir` (a folder no reader lists as artifacts).
 */
export async function copyArtifacts(
  localPath: string,
  root: string,
  artifactPath: string,
  tmpDir: string,
): Promise<void> {
  const stat = await Deno.stat(localPath).catch(() => null);
  if (!stat) throw new UserError(`artifact not found: ${localPath}`, { code: "NOT_FOUND" });
  if (stat.isDirectory) {
    for (const rel of await walkFiles(localPath)) {
      await atomicCopy(join(localPath, rel), join(root, artifactPath, rel), tmpDir);
    }
  } else {
    await atomicCopy(localPath, join(root, artifactPath, basename(localPath)), tmpDir);
  }
}

/** Direct children of `<root>/<path>`, with paths relative to `root`. */
export async function listArtifactFolder(root: string, path: string): Promise<ArtifactFile[]> {
  const out: ArtifactFile[] = [];
  for (const e of await listDir(join(root, path))) {
    const rel = path ? `${path}/${e.name}` : e.name;
    const size = e.isFile ? (await Deno.stat(join(root, rel))).size : null;
    out.push({ path: rel, isDir: e.isDirectory, fileSize: size });
  }
  return out;
}
