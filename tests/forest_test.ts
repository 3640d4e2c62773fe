import { strict as assert } from "node:assert";
import { binMatrix } from "../lib/forest/bin.ts";
import { fitForest, resolveMaxFeatures } from "../lib/forest/fit.ts";
import { argmaxRows, predictProbaMatrix, predictProbaRow } from "../lib/forest/predict.ts";
import { growTree, type TreeParams } from "../lib/forest/tree.ts";
import { DEFAULT_PARAMS, type ForestParams, type PackedForest } from "../lib/forest/types.ts";
import type { Matrix } from "../lib/data/types.ts";
import { rng } from "../lib/rng.ts";

/** Synthetic classification data: class depends on features 0 and 1; others are noise. */
function synth(n: number, d: number, nClasses: number, seed: number, noise = 0.05) {
  const rand = rng(seed);
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < d; f++) data[f * n + r] = rand() * 10;
    const s = data[r] + 0.5 * data[n + r];
    y[r] = Math.min(nClasses - 1, Math.floor((s / 15) * nClasses));
    if (rand() < noise) y[r] = Math.floor(rand() * nClasses);
  }
  return { X: { data, nRows: n, nCols: d } as Matrix, y };
}

function accuracy(forest: PackedForest, X: Matrix, y: Int32Array): number {
  const pred = argmaxRows(predictProbaMatrix(forest, X), forest.nClasses);
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

const params = (p: Partial<ForestParams> = {}): ForestParams => ({ ...DEFAULT_PARAMS, ...p });

/** Binned data with unit class weights, as growTree takes it. */
function treeDataOf(X: Matrix, y: Int32Array, nClasses: number) {
  const b = binMatrix(X, 255);
  const data = {
    codes: b.codes,
    nRows: X.nRows,
    nCols: X.nCols,
    nBins: b.nBins,
    y,
    nClasses,
    classWeight: new Float64Array(nClasses).fill(1),
  };
  return { b, data };
}

Deno.test("binning: few values get exact bins, NaN gets code 0, thresholds sit between values", () => {
  const X = { data: Float32Array.from([3, 1, 2, NaN, 2]), nRows: 5, nCols: 1 };
  const b = binMatrix(X, 255);
  assert.deepEqual(Array.from(b.codes), [3, 1, 2, 0, 2]);
  assert.deepEqual(Array.from(b.thresholds[0]), [-Infinity, 1.5, 2.5]);
  assert.equal(b.nBins[0], 4);
});

Deno.test("binning: many distinct values are quantised into at most maxBins codes", () => {
  const n = 10_000;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 1000;
  const b = binMatrix({ data, nRows: n, nCols: 1 }, 32);
  assert.ok(b.nBins[0] <= 32);
  const seen = new Set(b.codes);
  assert.ok(seen.size >= 28, `only ${seen.size} codes used`);
  // Codes are monotone in the value.
  const order = Array.from(data.keys()).sort((i, j) => data[i] - data[j]);
  for (let k = 1; k < n; k++) assert.ok(b.codes[order[k]] >= b.codes[order[k - 1]]);
});

Deno.test("forest learns a noisy 2-class problem and generalises", async () => {
  const tr = synth(3000, 8, 2, 1), te = synth(1000, 8, 2, 2);
  const r = await fitForest(tr.X, tr.y, 2, params({ nTrees: 40 }), { workers: 1 });
  const acc = accuracy(r.forest, te.X, te.y);
  assert.ok(acc > 0.88, `holdout accuracy ${acc}`);
  assert.ok(
    r.oobScore !== null && Math.abs(r.oobScore - acc) < 0.05,
    `oob ${r.oobScore} vs ${acc}`,
  );
  // Importances: the two informative features dominate and everything sums to 1.
  const imp = Array.from(r.importances);
  assert.ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  const top2 = imp.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 2).map((p) => p[1]);
  assert.deepEqual(top2.sort(), [0, 1]);
});

Deno.test("forest handles 4 classes and probabilities sum to 1", async () => {
  const tr = synth(2000, 6, 4, 3), te = synth(500, 6, 4, 4);
  const r = await fitForest(tr.X, tr.y, 4, params({ nTrees: 30, criterion: "entropy" }), {
    workers: 1,
  });
  assert.ok(accuracy(r.forest, te.X, te.y) > 0.8);
  const p = predictProbaMatrix(r.forest, te.X);
  for (let i = 0; i < te.y.length; i++) {
    const s = p[i * 4] + p[i * 4 + 1] + p[i * 4 + 2] + p[i * 4 + 3];
    assert.ok(Math.abs(s - 1) < 1e-6);
  }
});

Deno.test("same seed gives the same forest on 1, 2 and 3 workers; another seed differs", async () => {
  const { X, y } = synth(1500, 10, 2, 5);
  const p = params({ nTrees: 12, seed: 7 });
  const a = await fitForest(X, y, 2, p, { workers: 1 });
  const b = await fitForest(X, y, 2, p, { workers: 2 });
  const c = await fitForest(X, y, 2, p, { workers: 3 });
  for (const other of [b, c]) {
    assert.deepEqual(other.forest.feature, a.forest.feature);
    assert.deepEqual(other.forest.threshold, a.forest.threshold);
    assert.deepEqual(other.forest.value, a.forest.value);
    assert.equal(other.oobScore, a.oobScore);
    assert.deepEqual(other.importances, a.importances);
  }
  const d = await fitForest(X, y, 2, params({ nTrees: 12, seed: 8 }), { workers: 1 });
  assert.notDeepEqual(d.forest.feature, a.forest.feature);
});

Deno.test("row prediction equals matrix prediction", async () => {
  const { X, y } = synth(800, 5, 3, 9);
  const { forest } = await fitForest(X, y, 3, params({ nTrees: 10 }), { workers: 1 });
  const all = predictProbaMatrix(forest, X);
  const row = new Float64Array(5);
  for (let r = 0; r < 50; r++) {
    for (let f = 0; f < 5; f++) row[f] = X.data[f * X.nRows + r];
    const p = predictProbaRow(forest, row);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(p[c] - all[r * 3 + c]) < 1e-12);
  }
});

Deno.test("max_depth, min_samples_leaf and min_samples_split are respected", () => {
  const { X, y } = synth(2000, 6, 2, 11, 0.3);
  const { b, data } = treeDataOf(X, y, 2);
  const base: TreeParams = {
    maxDepth: Infinity,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    mtry: 6,
    criterion: "gini",
    bootstrap: false,
  };
  const depthOf = (t: ReturnType<typeof growTree>, i = 0): number =>
    t.feature[i] < 0 ? 0 : 1 + Math.max(depthOf(t, t.left[i]), depthOf(t, t.right[i]));
  assert.ok(depthOf(growTree(data, base, 1)) > 6);
  assert.equal(depthOf(growTree(data, { ...base, maxDepth: 4 }, 1)), 4);

  // Without bootstrap every row is in the tree: count rows per leaf by walking codes.
  const leafCounts = (t: ReturnType<typeof growTree>) => {
    const counts = new Map<number, number>();
    for (let r = 0; r < X.nRows; r++) {
      let i = 0;
      while (t.feature[i] >= 0) {
        i = b.codes[t.feature[i] * X.nRows + r] <= t.bin[i] ? t.left[i] : t.right[i];
      }
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    return [...counts.values()];
  };
  assert.ok(Math.min(...leafCounts(growTree(data, base, 1))) === 1);
  assert.ok(Math.min(...leafCounts(growTree(data, { ...base, minSamplesLeaf: 25 }, 1))) >= 25);
  // A node with fewer rows than min_samples_split is never split: with 2000 rows and
  // min_samples_split = 2001 the tree is a single leaf.
  assert.equal(growTree(data, { ...base, minSamplesSplit: 2001 }, 1).feature.length, 1);
});

Deno.test("sibling subtraction builds exactly the same trees as direct histograms", () => {
  // Enough rows that a few levels of nodes keep full histogram sets (which takes a row
  // per 3 entries; a set is ~1,280 bins × (K + 1) entries here).
  for (const k of [2, 3]) {
    const { X, y } = synth(12000, 5, k, 13, 0.2);
    const { data } = treeDataOf(X, y, k);
    const p: TreeParams = {
      maxDepth: Infinity,
      minSamplesSplit: 2,
      minSamplesLeaf: 1,
      mtry: 5,
      criterion: "gini",
      bootstrap: true,
    };
    for (const seed of [1, 2, 3]) {
      const direct = growTree(data, { ...p, subtraction: false }, seed);
      const sub = growTree(data, { ...p, subtraction: true }, seed);
      assert.deepEqual(sub.feature, direct.feature);
      assert.deepEqual(sub.bin, direct.bin);
      assert.deepEqual(sub.value, direct.value);
    }
  }
});

Deno.test("class_weight=balanced raises minority-class recall", async () => {
  // 10% minority class, overlapping.
  const n = 4000, rand = rng(21);
  const data = new Float32Array(n * 3);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    y[r] = rand() < 0.1 ? 1 : 0;
    data[r] = rand() * 10 + (y[r] ? 2.5 : 0);
    data[n + r] = rand();
    data[2 * n + r] = rand();
  }
  const X = { data, nRows: n, nCols: 3 };
  const recall = async (classWeight: "balanced" | null) => {
    const p = params({ nTrees: 30, minSamplesLeaf: 20, classWeight });
    const { forest } = await fitForest(X, y, 2, p, { workers: 1 });
    const pred = argmaxRows(predictProbaMatrix(forest, X), 2);
    let tp = 0, pos = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] === 1) {
        pos++;
        if (pred[i] === 1) tp++;
      }
    }
    return tp / pos;
  };
  const plain = await recall(null), balanced = await recall("balanced");
  assert.ok(balanced > plain + 0.2, `balanced ${balanced} vs plain ${plain}`);
});

Deno.test("missing values are routed, and informative missingness is learned", async () => {
  const n = 2000, rand = rng(31);
  const data = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    y[r] = rand() < 0.5 ? 1 : 0;
    data[r] = y[r] === 1 ? NaN : rand() * 5; // class 1 ⇔ missing
    data[n + r] = rand();
  }
  const X = { data, nRows: n, nCols: 2 };
  const { forest } = await fitForest(X, y, 2, params({ nTrees: 10 }), { workers: 1 });
  assert.ok(accuracy(forest, X, y) > 0.99);
  assert.equal(argmaxRows(predictProbaRow(forest, [NaN, 0.5]), 2)[0], 1);
  assert.equal(argmaxRows(predictProbaRow(forest, [2, 0.5]), 2)[0], 0);
});

Deno.test("max_features resolves like scikit-learn", () => {
  assert.equal(resolveMaxFeatures("sqrt", 40), 6);
  assert.equal(resolveMaxFeatures("log2", 40), 5);
  assert.equal(resolveMaxFeatures("all", 40), 40);
  assert.equal(resolveMaxFeatures({ fraction: 0.5 }, 40), 20);
  assert.equal(resolveMaxFeatures({ fraction: 0.01 }, 40), 1);
  assert.equal(resolveMaxFeatures({ count: 7 }, 40), 7);
  assert.equal(resolveMaxFeatures({ count: 70 }, 40), 40);
});

Deno.test("invalid hyperparameters are rejected before training", async () => {
  const { X, y } = synth(100, 3, 2, 1);
  for (
    const bad of [
      { nTrees: 0 },
      { nTrees: 1.5 },
      { maxDepth: 0 },
      { minSamplesSplit: 1 },
      { minSamplesLeaf: 0 },
      { maxFeatures: { fraction: 1.5 } },
    ]
  ) {
    await assert.rejects(
      () => fitForest(X, y, 2, params(bad as Partial<ForestParams>)),
      RangeError,
    );
  }
});

Deno.test("a pool is reusable across fits, including with fewer trees than workers", async () => {
  const { createForestPool } = await import("../lib/forest/pool.ts");
  const { X, y } = synth(600, 4, 2, 41);
  const pool = await createForestPool(2);
  try {
    const ref = await fitForest(X, y, 2, params({ nTrees: 9 }), { workers: 1 });
    for (const nTrees of [9, 1, 9, 3]) {
      const r = await fitForest(X, y, 2, params({ nTrees }), { pool });
      assert.equal(r.forest.nTrees, nTrees);
      if (nTrees === 9) assert.deepEqual(r.forest.feature, ref.forest.feature);
    }
  } finally {
    pool.close();
  }
});
