/**
 * The row predictor a server scores with: the stored quantized walk first,
 * the wasm kernel from the KERNEL_AFTER-th row on, and the same
 * probabilities as the reference scalar walk on every row either way, dense
 * or sparse, from a format-3 bundle or an older one.
 */
import { strict as assert } from "node:assert";
import type { Matrix } from "../lib/data/types.ts";
import { fitForest } from "../lib/forest/fit.ts";
import { predictProbaRowScalar } from "../lib/forest/predict.ts";
import { quantizedLayoutOf } from "../lib/forest/quantized.ts";
import { quantizedRowWalk } from "../lib/forest/quantized_walk.ts";
import { KERNEL_AFTER, rowPredictor } from "../lib/forest/row_predictor.ts";
import { DEFAULT_PARAMS, type PackedForest } from "../lib/forest/types.ts";
import { parseBundle, serializeBundle } from "../lib/model/bundle.ts";
import { rng } from "../lib/rng.ts";
import { sha256Hex } from "../lib/sha256.ts";
import { chainForest } from "./support/chain_forest.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

function data(n: number, d: number, K: number, seed: number): { X: Matrix; y: Int32Array } {
  const rand = rng(seed);
  const X = new Float32Array(n * d), y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < d; f++) X[f * n + r] = rand() < 0.03 ? NaN : Math.round(rand() * 40) / 4;
    y[r] = (Math.floor(X[r] / 3) + (rand() < 0.2 ? 1 : 0)) % K;
  }
  return { X: { data: X, nRows: n, nCols: d }, y };
}

const rowOf = (X: Matrix, r: number) =>
  Float64Array.from({ length: X.nCols }, (_, f) => X.data[f * X.nRows + r]);

/** `forest` as a server gets it: written as a bundle and read back. */
function throughBundle(forest: PackedForest, K: number): PackedForest {
  return parseBundle(bundleText(forest, K), "m.json").forest;
}

/** A bundle of `forest` with numeric features f0, f1, … and classes c0, c1, … */
function bundleText(forest: PackedForest, K: number): string {
  const tiny = tinyBundle();
  const d = forest.nFeatures;
  const names = Array.from({ length: d }, (_, f) => `f${f}`);
  return serializeBundle({
    ...tiny,
    schema: {
      ...tiny.schema,
      features: names.map((name) => ({ name, kind: "numeric" as const, fill: 0 })),
      encodedNames: names,
      encodedSource: names.map((_, f) => f),
      classes: Array.from({ length: K }, (_, c) => `c${c}`),
    },
    forest,
  });
}

for (const K of [2, 40]) {
  Deno.test(`row predictor (${K} classes): every row equals the reference walk, across the switch to the kernel`, async () => {
    const { X, y } = data(600, 6, K, K);
    const { forest } = await fitForest(X, y, K, { ...DEFAULT_PARAMS, nTrees: 15, seed: 5 }, {
      workers: 1,
    });
    assert.equal(forest.leafClass !== undefined, K === 40, "40 classes are stored sparse");
    const served = throughBundle(forest, K);
    assert.ok(quantizedLayoutOf(served), "a format-3 bundle keeps its quantized layout");
    const predict = rowPredictor(served, 7);
    const walk = quantizedRowWalk(quantizedLayoutOf(served)!);
    const a = new Float64Array(K), b = new Float64Array(K), c = new Float64Array(K);
    for (let r = 0; r < 200; r++) {
      const row = rowOf(X, r);
      predict(row, a);
      predictProbaRowScalar(forest, row, b);
      walk(row, c);
      assert.deepEqual(a, b, `row ${r}`);
      assert.deepEqual(c, b, `row ${r}`);
    }
  });
}

Deno.test("row predictor: a forest from an older bundle (no quantized layout) predicts the same", async () => {
  const { X, y } = data(300, 4, 2, 9);
  const { forest } = await fitForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 5 }, { workers: 1 });
  assert.equal(quantizedLayoutOf(forest), undefined);
  const predict = rowPredictor(forest);
  const a = new Float64Array(2), b = new Float64Array(2);
  for (let r = 0; r < KERNEL_AFTER + 10; r++) {
    predict(rowOf(X, r), a);
    assert.deepEqual(a, predictProbaRowScalar(forest, rowOf(X, r), b), `row ${r}`);
  }
});

Deno.test("format 3 stores node arrays as narrow as they fit, and wider ones read back the same", async () => {
  const cases = [
    { d: 6, chain: 0, types: { feature: "i8", code: "u8", link: "u16" } },
    { d: 130, chain: 0, types: { feature: "i16", code: "u8", link: "u16" } },
    // Training bins features (≤ 255 thresholds); an imported forest may have more.
    { d: 2, chain: 300, types: { feature: "i8", code: "u16", link: "u16" } },
  ];
  for (const { d, chain, types } of cases) {
    const { X, y } = data(800, d, 2, d);
    if (chain) { for (let i = 0; i < X.nRows; i++) X.data[i] = (i * 7) % (chain + 1); }
    const forest = chain
      ? chainForest(chain)
      : (await fitForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 8, seed: 1 }, { workers: 1 }))
        .forest;
    const text = bundleText(forest, 2);
    assert.deepEqual(JSON.parse(text).forest.types, types, `${d} features`);
    const served = parseBundle(text, "m.json").forest;
    const predict = rowPredictor(served, 50); // both walks
    const a = new Float64Array(2), b = new Float64Array(2);
    for (let r = 0; r < 100; r++) {
      predict(rowOf(X, r), a);
      assert.deepEqual(a, predictProbaRowScalar(forest, rowOf(X, r), b), `${d} features, row ${r}`);
    }
  }
  // A type this mlops does not know, in a file with a valid checksum.
  const { checksum: _, ...body } = JSON.parse(serializeBundle(tinyBundle()));
  body.forest.types.link = "f64";
  const json = JSON.stringify(body);
  const signed = `${json.slice(0, -1)},"checksum":"sha256:${sha256Hex(json)}"}`;
  assert.throws(() => parseBundle(signed, "m.json"), /unknown type for forest.link \("f64"\)/);
});
