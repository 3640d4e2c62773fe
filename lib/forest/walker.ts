/**
 * A forest loaded into the WebAssembly kernel's memory (see
 * `kernel_wasm.ts`), with a fixed scratch block for rows so memory never
 * grows after loading: large batches are walked block by block.
 *
 * @module
 */
import type { Matrix } from "../data/serving.ts";
import { GROUP, GROUP_LOG2, type KernelExports, kernelModule, TREE_LANES } from "./kernel_wasm.ts";
import { codeBytes, quantize } from "./quantize.ts";
import { type QuantizedForest, quantizedLayoutOf, quantizeForest } from "./quantized.ts";
import type { PackedForest } from "./types.ts";

/** A forest ready for the wasm kernel; build with {@link loadWalker}. */
export interface Walker {
  /** Class probabilities for every row of `X` into `out` (`nClasses` per row). */
  predictMatrix(X: Matrix, out: Float64Array): void;
  /** Class probabilities for one row into `out`. */
  predictRow(row: ArrayLike<number>, out: Float64Array): void;
}

const PAGE = 65536;
// Per block: the leaf table and the codes stay cache-sized, and memory is fixed.
const MAX_LEAF_BYTES = 1 << 20, MAX_ROW_BYTES = 1 << 20, MAX_BLOCK_ROWS = 4096;
// Wasm32 addresses stop at 4 GiB; bigger forests use the scalar walk.
const MAX_MEMORY = 1 << 30;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

const cache = new WeakMap<PackedForest | QuantizedForest, Walker | null>();

/**
 * Loads (once per forest object; cached) the forest into kernel memory, or
 * returns null when the kernel cannot run it (no WebAssembly, a forest too
 * big for 32-bit memory, sparse leaves, or a feature with more than 65,534
 * thresholds), in which case callers use the scalar walk. A quantized forest
 * (what a format-3 bundle holds) is copied in as it is; a packed one is
 * quantized first.
 *
 * @example
 * ```ts
 * import type { PackedForest } from "./types.ts";
 *
 * declare const forest: PackedForest;
 * const row = Float64Array.from([0, 1, 29.85]);
 * const out = new Float64Array(forest.nClasses);
 * const w = loadWalker(forest);
 * if (w) w.predictRow(row, out);
 * ```
 */
export function loadWalker(forest: PackedForest | QuantizedForest): Walker | null {
  const hit = cache.get(forest);
  if (hit !== undefined) return hit;
  const walker = build(forest);
  cache.set(forest, walker);
  return walker;
}

function build(forest: PackedForest | QuantizedForest): Walker | null {
  // The kernel sums dense leaves; a sparse forest's few nonzeros per leaf are
  // summed faster by the scalar walk than K classes by the kernel.
  if (forest.leafClass) return null;
  const mod = kernelModule();
  if (!mod) return null;
  const q = "cuts" in forest ? forest : quantizedLayoutOf(forest) ?? quantizeForest(forest);
  if (q === null) return null;
  const { cuts } = q;
  const bytes = codeBytes(cuts);
  if (bytes === null) return null;
  const { nTrees: T, nFeatures: d, nClasses: K, feature, code, link, value } = q;
  const nNodes = feature.length;
  // Codes are interleaved by groups of GROUP rows: row r, feature f at
  // (r / GROUP) × groupStride + (f × GROUP + r % GROUP) × bytes.
  const groupStride = d * GROUP * bytes;
  const blockGroups = Math.max(
    1,
    Math.min(
      MAX_BLOCK_ROWS / GROUP,
      Math.floor(MAX_LEAF_BYTES / (4 * T * GROUP)),
      Math.floor(MAX_ROW_BYTES / groupStride),
    ),
  );
  const blockRows = blockGroups * GROUP;

  // Layout: pad leaf, nodes, roots (padded), values, out, leaves, rows.
  const pad = 0;
  const nodesAt = 16;
  const rootsAt = nodesAt + 16 * nNodes;
  const paddedTrees = Math.ceil(T / TREE_LANES) * TREE_LANES;
  const valuesAt = rootsAt + 4 * paddedTrees;
  const outAt = align(valuesAt + 4 * value.length, 8);
  const leavesAt = outAt + 8 * blockRows * K;
  const rowsAt = leavesAt + 4 * blockRows * T;
  const end = rowsAt + blockGroups * groupStride;
  if (end > MAX_MEMORY) return null;

  let memory: WebAssembly.Memory, kernel: KernelExports;
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil(end / PAGE) });
    kernel = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as KernelExports;
  } catch {
    return null;
  }
  const buf = memory.buffer;
  const i32 = new Int32Array(buf);

  // A leaf outside every tree: the single-row walk's lanes past the last tree
  // start there (roots are padded with it) and stay put.
  i32.set([-1, 0, 0, pad], pad / 4);
  i32.fill(pad, rootsAt / 4 + T, rootsAt / 4 + paddedTrees);

  // Node i at nodesAt + 16 i: threshold code, leaf value index, feature
  // offset, right child's address (a leaf's own, so stepping stays there).
  // Plain stores in one pass: this runs once per node (~200k for the default
  // Telco model) between loading a model and its first prediction.
  const featureStride = GROUP * bytes;
  for (let i = 0, w = nodesAt >> 2; i < nNodes; i++, w += 4) {
    const f = feature[i];
    if (f < 0) {
      i32[w] = -1;
      i32[w + 1] = link[i];
      i32[w + 3] = nodesAt + 16 * i;
    } else {
      i32[w] = code[i];
      i32[w + 2] = f * featureStride;
      i32[w + 3] = nodesAt + 16 * (i + link[i]);
    }
  }
  for (let t = 0; t < T; t++) i32[rootsAt / 4 + t] = nodesAt + 16 * q.roots[t];
  new Float32Array(buf, valuesAt, value.length).set(value);

  const codes = bytes === 1
    ? new Uint8Array(buf, rowsAt, blockRows * d)
    : new Uint16Array(buf, rowsAt, blockRows * d);
  const walkTrees = bytes === 1 ? kernel.trees1 : kernel.trees2;
  const walkRows = bytes === 1 ? kernel.rows1 : kernel.rows2;
  const outView = new Float64Array(buf, outAt, blockRows * K);
  const groupLen = d * GROUP;

  // Codes of one feature for rows [r0, r0 + nb) of a column-major matrix.
  const encodeColumn = (data: Float32Array, from: number, nb: number, j: number) => {
    const c = cuts[j], m = c.length;
    if (m === 0) return; // no node reads it
    for (let r = 0; r < nb; r++) {
      const v = data[from + r];
      const at = (r >> GROUP_LOG2) * groupLen + j * GROUP + (r & (GROUP - 1));
      // Most encoded features are one-hot: one threshold, no search.
      codes[at] = m === 1 ? (v > c[0] ? 2 : 1) : quantize(c, v);
    }
  };

  return {
    predictMatrix(X, out) {
      const n = X.nRows, data = X.data;
      for (let r0 = 0; r0 < n; r0 += blockRows) {
        const nb = Math.min(blockRows, n - r0);
        for (let j = 0; j < d; j++) encodeColumn(data, j * n + r0, nb, j);
        walkRows(T, Math.ceil(nb / GROUP), rowsAt, groupStride, leavesAt, rootsAt);
        kernel.sum(nb, T, K, leavesAt, outAt, valuesAt);
        out.set(nb === blockRows ? outView : outView.subarray(0, nb * K), r0 * K);
      }
    },
    predictRow(row, out) {
      for (let j = 0; j < d; j++) {
        if (cuts[j].length > 0) codes[j * GROUP] = quantize(cuts[j], row[j]);
      }
      walkTrees(T, rowsAt, leavesAt, rootsAt);
      kernel.sum(1, T, K, leavesAt, outAt, valuesAt);
      for (let c = 0; c < K; c++) out[c] = outView[c];
    },
  };
}
