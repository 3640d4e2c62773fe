/**
 * Temporary folders for tests that share one across a whole test file:
 * removed when the file's tests are done (the `unload` event fires however
 * they ended), so repeated runs do not pile folders up in the temp dir.
 *
 * @module
 */

/**
 * A fresh temporary folder (`prefix` + random) that is removed, with
 * everything in it, when this test module unloads.
 *
 * @example
 * ```ts
 * import { moduleTempDir } from "./temp.ts";
 *
 * const tmp = await moduleTempDir("mlops-example-");
 * Deno.test("writes", () => Deno.writeTextFileSync(`${tmp}/x`, "1"));
 * ```
 */
export async function moduleTempDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone.
    }
  });
  return dir;
}
