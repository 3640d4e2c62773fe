/**
 * Worker side of parallel training: receives the shared binned data once,
 * then grows the trees it is asked for. Results depend only on the tree's
 * seed, never on which worker grew it.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { growTree, type TreeData, type TreeParams } from "./tree.ts";

/** Messages the main thread sends. */
export type ToWorker =
  /** With `oob`, each tree comes back with its out-of-bag leaves. */
  | { type: "init"; data: TreeData; params: TreeParams; oob: boolean }
  | { type: "tree"; index: number; seed: number }
  | { type: "finish" }
  | { type: "warmup" };

/** Messages a worker sends back. */
export type FromWorker =
  | { type: "tree"; index: number; tree: ReturnType<typeof growTree> }
  /** All trees asked for are grown; or warm-up is over. */
  | { type: "done" }
  | { type: "error"; message: string };

let data: TreeData | null = null;
let params: TreeParams | null = null;
let oob = false;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  try {
    if (msg.type === "init") {
      data = msg.data;
      params = msg.params;
      oob = msg.oob;
    } else if (msg.type === "tree") {
      const tree = growTree(data!, params!, msg.seed, oob);
      const out: FromWorker = { type: "tree", index: msg.index, tree };
      self.postMessage(out, [
        tree.feature.buffer,
        tree.bin.buffer,
        tree.left.buffer,
        tree.right.buffer,
        tree.value.buffer,
        tree.importance.buffer,
        ...(tree.leafClass ? [tree.leafClass.buffer] : []),
        ...(tree.oobLeaf ? [tree.oobLeaf.buffer] : []),
      ] as ArrayBuffer[]);
    } else if (msg.type === "warmup") {
      warmUp();
      self.postMessage({ type: "done" } satisfies FromWorker);
    } else if (msg.type === "finish") {
      self.postMessage({ type: "done" } satisfies FromWorker);
      data = null;
      params = null;
      oob = false;
    }
  } catch (err) {
    const out: FromWorker = { type: "error", message: String((err as Error)?.stack ?? err) };
    self.postMessage(out);
  }
};

/**
 * Grows a few trees on synthetic data so the JIT has optimised the hot loop
 * before real work arrives; otherwise each fresh worker spends its first
 * trees in slower tiers and parallel speed-up suffers.
 */
function warmUp(): void {
  const n = 4000, d = 12, nb = 64;
  const codes = new Uint8Array(n * d);
  const y = new Int32Array(n);
  let s = 12345;
  for (let i = 0; i < n * d; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    codes[i] = 1 + (s >>> 8) % (i % 3 === 0 ? nb - 1 : 2);
  }
  for (let r = 0; r < n; r++) y[r] = codes[r] + codes[n + r] > nb / 2 ? 1 : 0;
  const nBins = new Int32Array(d).map((_, f) => f % 3 === 0 ? nb : 3);
  const data: TreeData = {
    codes,
    nRows: n,
    nCols: d,
    nBins,
    y,
    nClasses: 2,
    classWeight: new Float64Array([1, 1]),
  };
  const p: TreeParams = {
    maxDepth: Infinity,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    mtry: 3,
    criterion: "gini",
    bootstrap: true,
  };
  for (let t = 0; t < 12; t++) growTree(data, p, t, true);
}
