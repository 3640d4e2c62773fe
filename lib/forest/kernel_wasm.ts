/**
 * The WebAssembly forest-walk kernel, generated (not compiled from another
 * language) so it is readable here and needs no toolchain.
 *
 * Why WebAssembly: walking a tree is a chain of data-dependent branches, and
 * with ~10 unpredictable comparisons per tree the CPU spends most of its time
 * on mispredictions. The kernel walks several (tree, row) pairs at once and
 * picks each child with `select` (a conditional move), so the lanes' loads
 * overlap and no comparison is ever predicted. Plain JS cannot express that
 * reliably (V8 keeps the branch and adds bounds checks); wasm can.
 *
 * - `rows1`/`rows2` (batches): tree-major, {@link GROUP} rows per group,
 *   stepping every lane until all sit on leaves.
 * - `trees1`/`trees2` (one row): {@link TREE_LANES} trees at a time,
 *   stepped the same way.
 * - `sum`: adds the recorded leaves' class distributions in tree order, so
 *   results equal the scalar JS walk bit for bit whatever order lanes finish.
 *
 * Inputs are quantized (see `quantize.ts`): each value is replaced by its
 * rank among the forest's own thresholds for that feature, in one or two
 * bytes (the digit in the function names), so a block of rows stays in cache
 * and comparisons are integer.
 *
 * Node layout, 16 bytes: `i32 threshold code`, `i32 leaf value index`,
 * `i32 feature offset` (bytes from the row's first code), `i32 right`
 * (absolute address; the left child is the next node, +16). Rows go right
 * when `code > threshold`. A leaf has threshold -1 and `right` = itself, so
 * stepping on a leaf stays there. `walker.ts` lays memory out.
 *
 * @module
 */
import { KERNEL_WASM } from "./kernel_bytes.ts";
import { encodeModule, F64, type FuncDef, I32, memarg, Op, sleb, uleb, VOID } from "./wasm.ts";

/** Bytes per quantized input value. */
export type CodeBytes = 1 | 2;

/** log2 of {@link GROUP}. */
export const GROUP_LOG2 = 3;
/** Rows walked together by `rows1`/`rows2`: codes are interleaved in groups of this many. */
export const GROUP = 1 << GROUP_LOG2;

/** Trees walked together for one row by `trees1`/`trees2`. */
export const TREE_LANES = 8;

const get = (i: number) => [Op.localGet, ...uleb(i)];
const set = (i: number) => [Op.localSet, ...uleb(i)];
const tee = (i: number) => [Op.localTee, ...uleb(i)];
const i32 = (v: number) => [Op.i32Const, ...sleb(v)];
const add = (i: number, v: number) => [...get(i), ...i32(v), Op.i32Add, ...set(i)];
const lanesOf = (n: number) => Array.from({ length: n }, (_, k) => k);

/** `node = code > threshold ? right : node + 16`, with the code at `codeAt` (+ `offset`). */
function step(node: number, codeAt: number[], codeBytes: CodeBytes, offset: number): number[] {
  const load = codeBytes === 1
    ? [Op.i32Load8U, ...memarg(0, offset)]
    : [Op.i32Load16U, ...memarg(1, 2 * offset)];
  // deno-fmt-ignore
  return [
    ...get(node), Op.i32Load, ...memarg(2, 12),
    ...get(node), ...i32(16), Op.i32Add,
    ...codeAt, ...get(node), Op.i32Load, ...memarg(2, 8), Op.i32Add, ...load,
    ...get(node), Op.i32Load, ...memarg(2),
    Op.i32GtS, Op.select,
  ];
}

/**
 * Steps every lane (locals `nodes`) twice, and again, until all sit on leaves:
 * a lane on a leaf stays there, and all thresholds being -1 ends the loop.
 * One hard-to-predict branch per group of lanes instead of one per lane.
 */
function stepUntilLeaves(nodes: number[], stepLane: (k: number) => number[]): number[] {
  const all = nodes.flatMap((n, k) => [...stepLane(k), ...set(n)]);
  // deno-fmt-ignore
  return [
    Op.loop, VOID,
    ...all, ...all,
    ...get(nodes[0]), Op.i32Load, ...memarg(2),
    ...nodes.slice(1).flatMap((n) => [...get(n), Op.i32Load, ...memarg(2), Op.i32And]),
    ...i32(0), Op.i32GeS, Op.brIf, 0,
    Op.end,
  ];
}

// Batch walk, tree-major: each group of GROUP rows walks a tree together.
function rowsFunc(codeBytes: CodeBytes): FuncDef {
  const T = 0, GROUPS = 1, ROWS = 2, GROUP_STRIDE = 3, LEAVES = 4, ROOTS = 5;
  const TI = 6, G = 7, BASE = 8, LB = 9, ROOT = 10, N0 = 11;
  const lanes = lanesOf(GROUP), nodes = lanes.map((k) => N0 + k);
  // deno-fmt-ignore
  const body = [
    ...get(T), Op.i32Eqz, ...get(GROUPS), Op.i32Eqz, Op.i32Or, Op.if, VOID, Op.return, Op.end,
    Op.loop, VOID, // trees
    ...get(ROOTS), ...get(TI), ...i32(4), Op.i32Mul, Op.i32Add, Op.i32Load, ...memarg(2),
    ...set(ROOT),
    ...get(ROWS), ...set(BASE),
    ...get(LEAVES), ...get(TI), ...i32(4), Op.i32Mul, Op.i32Add, ...set(LB),
    ...i32(0), ...set(G),
    Op.loop, VOID, // groups
    ...nodes.flatMap((n) => [...get(ROOT), ...set(n)]),
    ...stepUntilLeaves(nodes, (k) => step(N0 + k, get(BASE), codeBytes, k)),
    // Leaf of (tree t, row GROUP × g + k) at leaves + ((GROUP × g + k) × T + t) × 4.
    ...lanes.flatMap((k) => [
      ...get(LB), ...get(T), ...i32(4 * k), Op.i32Mul, Op.i32Add, ...get(N0 + k),
      Op.i32Store, ...memarg(2),
    ]),
    ...get(LB), ...get(T), ...i32(4 * GROUP), Op.i32Mul, Op.i32Add, ...set(LB),
    ...get(BASE), ...get(GROUP_STRIDE), Op.i32Add, ...set(BASE),
    ...get(G), ...i32(1), Op.i32Add, ...tee(G), ...get(GROUPS), Op.i32Ne, Op.brIf, 0,
    Op.end,
    ...get(TI), ...i32(1), Op.i32Add, ...tee(TI), ...get(T), Op.i32Ne, Op.brIf, 0,
    Op.end,
  ];
  return {
    name: `rows${codeBytes}`,
    params: [I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, ...lanes.map(() => I32)],
    body,
  };
}

// One row, all trees: TREE_LANES trees at a time, stepped together like a row
// group. `roots` is padded to a multiple of TREE_LANES with a leaf outside
// every tree, so a short last group needs no special case; the padding's
// leaves are recorded but never summed.
function treesFunc(codeBytes: CodeBytes): FuncDef {
  const T = 0, ROW = 1, LEAVES = 2, ROOTS = 3;
  const TG = 4, RP = 5, LP = 6, N0 = 7;
  const lanes = lanesOf(TREE_LANES), nodes = lanes.map((k) => N0 + k);
  // deno-fmt-ignore
  const body = [
    ...get(T), Op.i32Eqz, Op.if, VOID, Op.return, Op.end,
    ...get(ROOTS), ...set(RP),
    ...get(LEAVES), ...set(LP),
    Op.loop, VOID, // groups of trees
    ...nodes.flatMap((n, k) => [...get(RP), Op.i32Load, ...memarg(2, 4 * k), ...set(n)]),
    ...stepUntilLeaves(nodes, (k) => step(N0 + k, get(ROW), codeBytes, 0)),
    ...nodes.flatMap((n, k) => [...get(LP), ...get(n), Op.i32Store, ...memarg(2, 4 * k)]),
    ...add(RP, 4 * TREE_LANES),
    ...add(LP, 4 * TREE_LANES),
    ...get(TG), ...i32(TREE_LANES), Op.i32Add, ...tee(TG), ...get(T), Op.i32LtU, Op.brIf, 0,
    Op.end,
  ];
  return {
    name: `trees${codeBytes}`,
    params: [I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, ...lanes.map(() => I32)],
    body,
  };
}

// Mean leaf distribution per row, adding trees in order (as the scalar walk
// does) so results match it bit for bit. Four rows at a time: four independent
// addition chains keep the FPU busy without changing any row's order.
function sumFunc(): FuncDef {
  const N = 0, T = 1, K = 2, LEAVES = 3, OUT = 4, VALUES = 5;
  const R = 6, C = 7, TI = 8, LP = 9, RS = 10, DIV = 11, A0 = 12;
  const zero = [Op.f64Const, 0, 0, 0, 0, 0, 0, 0, 0];
  const chunk = (rows: number) => {
    const ks = lanesOf(rows);
    // deno-fmt-ignore
    return [
      Op.block, VOID,
      Op.loop, VOID, // rows, `rows` at a time
      ...get(N), ...get(R), Op.i32Sub, ...i32(rows), Op.i32LtU, Op.brIf, 1,
      ...i32(0), ...set(C),
      Op.loop, VOID, // classes
      ...ks.flatMap((k) => [...zero, ...set(A0 + k)]),
      ...get(LEAVES), ...get(R), ...get(RS), Op.i32Mul, Op.i32Add, ...set(LP),
      ...i32(0), ...set(TI),
      Op.loop, VOID, // trees, in order
      ...ks.flatMap((k) => [
        ...get(A0 + k),
        ...get(VALUES),
        ...get(LP), ...(k === 0 ? [] : [...get(RS), ...i32(k), Op.i32Mul, Op.i32Add]),
        Op.i32Load, ...memarg(2), Op.i32Load, ...memarg(2, 4),
        ...get(C), Op.i32Add, ...i32(4), Op.i32Mul, Op.i32Add, Op.f32Load, ...memarg(2),
        Op.f64PromoteF32, Op.f64Add, ...set(A0 + k),
      ]),
      ...add(LP, 4),
      ...get(TI), ...i32(1), Op.i32Add, ...tee(TI), ...get(T), Op.i32Ne, Op.brIf, 0,
      Op.end,
      // Divide (not multiply by 1/T) like the scalar walk.
      ...ks.flatMap((k) => [
        ...get(OUT), ...get(R), ...i32(k), Op.i32Add, ...get(K), Op.i32Mul, ...get(C), Op.i32Add,
        ...i32(8), Op.i32Mul, Op.i32Add,
        ...get(A0 + k), ...get(DIV), Op.f64Div,
        Op.f64Store, ...memarg(3),
      ]),
      ...get(C), ...i32(1), Op.i32Add, ...tee(C), ...get(K), Op.i32Ne, Op.brIf, 0,
      Op.end,
      ...add(R, rows),
      Op.br, 0,
      Op.end,
      Op.end,
    ];
  };
  return {
    name: "sum",
    params: [I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, F64, F64, F64, F64, F64],
    body: [
      ...get(T),
      ...i32(4),
      Op.i32Mul,
      ...set(RS),
      ...get(T),
      Op.f64ConvertI32S,
      ...set(DIV),
      ...chunk(4),
      ...chunk(1),
    ],
  };
}

/** The kernel's exports; addresses are byte offsets into the imported memory. */
export interface KernelExports {
  /** Walks every tree for `groups` groups of {@link GROUP} interleaved rows (one-byte codes). */
  rows1: RowsFn;
  /** The same for two-byte codes. */
  rows2: RowsFn;
  /** Walks every tree for the row at `row` (one-byte codes). */
  trees1: TreesFn;
  /** The same for two-byte codes. */
  trees2: TreesFn;
  /** Mean class distribution of the recorded leaves, `nClasses` f64 per row at `out`. */
  sum(
    nRows: number,
    nTrees: number,
    nClasses: number,
    leaves: number,
    out: number,
    values: number,
  ): void;
}

/** Records the leaf of (tree t, row r) at `leaves + (r × nTrees + t) × 4`. */
export type RowsFn = (
  nTrees: number,
  groups: number,
  rows: number,
  groupStride: number,
  leaves: number,
  roots: number,
) => void;

/**
 * Records the leaf of tree t at `leaves + t × 4`; `roots` and `leaves` have
 * room for `nTrees` rounded up to {@link TREE_LANES}.
 */
export type TreesFn = (nTrees: number, row: number, leaves: number, roots: number) => void;

/**
 * The kernel's bytes, generated from the functions above. The serving path
 * does not call this: generating takes ~20 ms of an edge's cold start (cold
 * JavaScript building arrays), so `kernel_bytes.ts` holds its output, and
 * `tests/walker_test.ts` checks the two agree. Regenerate after a change
 * with `deno run --allow-write lib/forest/kernel_wasm.ts`.
 *
 * @example
 * ```ts
 * const bytes = generateKernel(); // what KERNEL_WASM decodes to
 * ```
 */
export function generateKernel(): Uint8Array<ArrayBuffer> {
  return encodeModule([rowsFunc(1), rowsFunc(2), treesFunc(1), treesFunc(2), sumFunc()]);
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled kernel module (compiled once per process), or null where
 * WebAssembly is unavailable; callers then use the scalar JS walk.
 *
 * @example
 * ```ts
 * const mod = kernelModule();
 * ```
 */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Uint8Array.fromBase64(KERNEL_WASM));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

if (import.meta.main) {
  const file = new URL("./kernel_bytes.ts", import.meta.url);
  await Deno.writeTextFile(
    file,
    `/**
 * The WebAssembly kernel's bytes (base64), generated by
 * \`deno run --allow-write lib/forest/kernel_wasm.ts\` from the functions
 * there: do not edit. \`tests/walker_test.ts\` checks it is current.
 *
 * @module
 */

/** \`generateKernel()\`'s output, base64. */
export const KERNEL_WASM =
  ${JSON.stringify(generateKernel().toBase64())};
`,
  );
  console.log(`wrote ${file.pathname}`);
}
