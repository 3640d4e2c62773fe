import { strict as assert } from "node:assert";
import type { Matrix } from "../lib/data/types.ts";
import { fitForest } from "../lib/forest/fit.ts";
import { KERNEL_WASM } from "../lib/forest/kernel_bytes.ts";
import { generateKernel, GROUP } from "../lib/forest/kernel_wasm.ts";
import {
  predictProbaMatrix,
  predictProbaMatrixScalar,
  predictProbaRow,
  predictProbaRowScalar,
} from "../lib/forest/predict.ts";
import { codeBytes, forestCuts, quantize } from "../lib/forest/quantize.ts";
import { DEFAULT_PARAMS, type PackedForest } from "../lib/forest/types.ts";
import { loadWalker } from "../lib/forest/walker.ts";
import { encodeModule, I32, Op, sleb, uleb } from "../lib/forest/wasm.ts";
import { rng } from "../lib/rng.ts";
import { chainForest } from "./support/chain_forest.ts";

/** Mixed data: a few continuous features with many thresholds, binary ones, and NaN. */
function mixed(n: number, d: number, K: number, seed: number): { X: Matrix; y: Int32Array } {
  const rand = rng(seed);
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < d; f++) {
      const v = f % 3 === 0 ? rand() * 100 : rand() < 0.5 ? 0 : 1;
      data[f * n + r] = rand() < 0.03 ? NaN : v;
    }
    y[r] = (Math.floor(data[r] / 20) + (data[n + r] === 1 ? 1 : 0) + (rand() < 0.1 ? 1 : 0)) % K;
  }
  return { X: { data, nRows: n, nCols: d }, y };
}

function rowOf(X: Matrix, r: number): Float64Array {
  const row = new Float64Array(X.nCols);
  for (let f = 0; f < X.nCols; f++) row[f] = X.data[f * X.nRows + r];
  return row;
}

Deno.test("wasm: LEB128 encodings match the spec's examples", () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(-1), [0x7f]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
});

Deno.test("wasm: an encoded module validates and runs", () => {
  const bytes = encodeModule([{
    name: "add",
    params: [I32, I32],
    results: [I32],
    locals: [],
    body: [Op.localGet, 0, Op.localGet, 1, Op.i32Add, Op.i32Const, ...sleb(-5), Op.i32Add],
  }]);
  assert.ok(WebAssembly.validate(bytes));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  assert.equal((inst.exports.add as (a: number, b: number) => number)(40, 7), 42);
});

Deno.test("quantize: v > t exactly when code(v) > code(t), for f32 and f64 values, NaN left", () => {
  const cuts = Float64Array.from([-1.5, 0, 0.1, 2.5, 1e30]);
  const probes = [
    -Infinity,
    -2,
    -1.5,
    -1.4999999,
    0,
    5e-324,
    0.1,
    Math.fround(0.1),
    0.1000001,
    2.5,
    3,
    1e30,
    Infinity,
    NaN,
  ];
  for (const t of cuts) {
    for (const v of probes) {
      assert.equal(quantize(cuts, v) > quantize(cuts, t), v > t, `${v} vs ${t}`);
    }
  }
  assert.equal(quantize(cuts, NaN), 1);
});

Deno.test("kernel equals the scalar walk bit for bit: multi-class, NaN, every batch shape", async () => {
  const { X, y } = mixed(1500, 7, 3, 5);
  const { forest } = await fitForest(X, y, 3, { ...DEFAULT_PARAMS, nTrees: 23, seed: 3 }, {
    workers: 1,
  });
  assert.ok(loadWalker(forest), "the kernel loads this forest");
  assert.equal(codeBytes(forestCuts(forest)), 1);
  const ref = predictProbaMatrixScalar(forest, X);
  assert.deepEqual(predictProbaMatrix(forest, X), ref);
  // Batches that do not fill a group, fill exactly one, and spill into the next.
  for (const n of [0, 1, GROUP - 1, GROUP, GROUP + 1, 3 * GROUP + 5]) {
    const data = new Float32Array(n * X.nCols);
    for (let f = 0; f < X.nCols; f++) {
      data.set(X.data.subarray(f * X.nRows + 100, f * X.nRows + 100 + n), f * n);
    }
    const got = predictProbaMatrix(forest, { data, nRows: n, nCols: X.nCols });
    assert.deepEqual(got, ref.subarray(100 * 3, (100 + n) * 3), `batch of ${n}`);
  }
  for (let r = 0; r < 300; r++) {
    const row = rowOf(X, r);
    const want = predictProbaRowScalar(forest, row);
    assert.deepEqual(predictProbaRow(forest, row), want, `row ${r}`);
    assert.deepEqual(want, ref.subarray(r * 3, r * 3 + 3));
  }
});

Deno.test("kernel: f64 rows between f32 values and at thresholds follow the scalar walk", async () => {
  const { X, y } = mixed(600, 4, 2, 8);
  const { forest } = await fitForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 9 }, { workers: 1 });
  const cuts = forestCuts(forest);
  const row = new Float64Array(4);
  let checked = 0;
  for (const t of cuts[0]) {
    for (const v of [t, t - 1e-9, t + 1e-9, Math.fround(t), -Infinity, Infinity]) {
      row.set([v, 1, 0, v]);
      assert.deepEqual(predictProbaRow(forest, row), predictProbaRowScalar(forest, row));
      checked++;
    }
  }
  assert.ok(checked > 30);
});

Deno.test("kernel: more than 254 thresholds on a feature switch to two-byte codes", () => {
  const forest = chainForest(600);
  assert.equal(codeBytes(forestCuts(forest)), 2);
  assert.ok(loadWalker(forest));
  const n = 1300;
  const data = new Float32Array(2 * n);
  for (let r = 0; r < n; r++) data[r] = r % 7 === 0 ? NaN : (r * 0.47) % 650 - 10;
  const X = { data, nRows: n, nCols: 2 };
  const ref = predictProbaMatrixScalar(forest, X);
  assert.deepEqual(predictProbaMatrix(forest, X), ref);
  for (const r of [0, 1, 2, 500, 1299]) {
    assert.deepEqual(predictProbaRow(forest, rowOf(X, r)), ref.subarray(2 * r, 2 * r + 2));
  }
});

Deno.test("kernel: single-leaf trees, and forests too wide for codes fall back to the scalar walk", () => {
  const stump: PackedForest = {
    nTrees: 2,
    nFeatures: 1,
    nClasses: 2,
    roots: Int32Array.of(0, 1),
    feature: Int32Array.of(-1, -1),
    threshold: new Float64Array(2),
    left: Int32Array.of(0, 2),
    right: new Int32Array(2),
    value: Float32Array.of(0.25, 0.75, 1, 0),
  };
  assert.ok(loadWalker(stump));
  assert.deepEqual(Array.from(predictProbaRow(stump, [3])), [0.625, 0.375]);
  const wide = chainForest(70_000);
  assert.equal(codeBytes(forestCuts(wide)), null);
  assert.equal(loadWalker(wide), null);
  assert.deepEqual(
    predictProbaRow(wide, [69_999.7, 0]),
    predictProbaRowScalar(wide, [69_999.7, 0]),
  );
});

Deno.test("kernel: a batch larger than one block gives the same rows as the scalar walk", async () => {
  const { X, y } = mixed(400, 5, 2, 21);
  const { forest } = await fitForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 5 }, { workers: 1 });
  // 5 trees allow blocks of 4,096 rows; 9,000 rows take three blocks.
  const n = 9000;
  const data = new Float32Array(n * 5);
  for (let f = 0; f < 5; f++) {
    for (let r = 0; r < n; r++) data[f * n + r] = X.data[f * 400 + ((r * 7) % 400)];
  }
  const big = { data, nRows: n, nCols: 5 };
  assert.deepEqual(predictProbaMatrix(forest, big), predictProbaMatrixScalar(forest, big));
});

Deno.test("kernel_bytes.ts is the generator's current output (regenerate: deno run --allow-write lib/forest/kernel_wasm.ts)", () => {
  assert.equal(KERNEL_WASM, generateKernel().toBase64());
});
