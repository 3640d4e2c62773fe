/**
 * A pool of tree-growing workers. Create it once and reuse it across fits
 * (sweeps train hundreds of forests); start-up is then paid only once.
 *
 * @module
 */

/** Started workers; close it when done so the process can exit. */
export interface ForestPool {
  readonly size: number;
  readonly workers: Worker[];
  close(): void;
}

/**
 * Starts `size` workers and waits until each has loaded its module.
 *
 * @example
 * ```ts
 * import type { Matrix } from "../data/mod.ts";
 * import { fitForest } from "./fit.ts";
 * import { DEFAULT_PARAMS } from "./types.ts";
 *
 * declare const X: Matrix;
 * declare const y: Int32Array;
 * const pool = await createForestPool(2);
 * try {
 *   await fitForest(X, y, 2, DEFAULT_PARAMS, { pool });
 * } finally {
 *   pool.close();
 * }
 * ```
 */
export async function createForestPool(size: number): Promise<ForestPool> {
  const url = new URL("./worker.ts", import.meta.url).href;
  const workers = Array.from({ length: size }, () => new Worker(url, { type: "module" }));
  // The warm-up round trip proves the module is loaded and lets the JIT optimise the
  // tree builder before timed work starts.
  await Promise.all(workers.map((w) =>
    new Promise<void>((resolve, reject) => {
      w.onmessage = () => resolve();
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`forest worker failed to start: ${e.message}`));
      };
      w.postMessage({ type: "warmup" });
    })
  ));
  return {
    size,
    workers,
    close: () => workers.forEach((w) => w.terminate()),
  };
}

/** Default worker count: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}
