/**
 * The out-of-bag score, checked against a reference that shares nothing with
 * the tally but the definition: replay each tree's bootstrap from its seed,
 * walk the packed forest on the raw features for the rows the tree never saw,
 * add its leaf's fixed-point distribution to a dense rows × classes table,
 * and take each row's argmax (ties: the lowest class). Folded (few classes)
 * and kept (more classes than trees) tallies, dense and sparse leaves, and
 * every worker count must give that score exactly.
 */
import { strict as assert } from "node:assert";
import type { Matrix } from "../lib/data/types.ts";
import { fitForest } from "../lib/forest/fit.ts";
import { oobScale } from "../lib/forest/oob.ts";
import { DEFAULT_PARAMS, type ForestParams, type PackedForest } from "../lib/forest/types.ts";
import { deriveSeed, randInt, rng } from "../lib/rng.ts";

/** `k` classes along features 0 and 1 with label noise; a few missing values. */
function synth(n: number, k: number, seed: number): { X: Matrix; y: Int32Array } {
  const rand = rng(seed), d = 5;
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < d; f++) data[f * n + r] = rand() < 0.03 ? NaN : rand() * 10;
    const s = (data[r] || 0) + 0.5 * (data[n + r] || 0);
    y[r] = Math.min(k - 1, Math.floor((s / 15) * k + rand() * 2));
  }
  return { X: { data, nRows: n, nCols: d }, y };
}

/** The out-of-bag accuracy of `forest`, from its definition. */
function referenceOob(forest: PackedForest, X: Matrix, y: Int32Array, seed: number): number {
  const { nTrees: T, nClasses: K } = forest, n = X.nRows;
  const scale = oobScale(T);
  const votes = new Float64Array(n * K);
  const inBag = new Uint8Array(n);
  for (let t = 0; t < T; t++) {
    const rand = rng(deriveSeed(seed, t));
    inBag.fill(0);
    for (let i = 0; i < n; i++) inBag[randInt(rand, n)] = 1;
    for (let r = 0; r < n; r++) {
      if (inBag[r]) continue;
      let i = forest.roots[t];
      while (forest.feature[i] >= 0) {
        const v = X.data[forest.feature[i] * n + r];
        i = v <= forest.threshold[i] || Number.isNaN(v) ? forest.left[i] : forest.right[i];
      }
      const o = forest.left[i];
      if (forest.leafClass) {
        for (let j = o; j < o + forest.right[i]; j++) {
          votes[r * K + forest.leafClass[j]] += Math.round(forest.value[j] * scale);
        }
      } else {
        for (let c = 0; c < K; c++) votes[r * K + c] += Math.round(forest.value[o + c] * scale);
      }
    }
  }
  let seen = 0, right = 0;
  for (let r = 0; r < n; r++) {
    const row = votes.subarray(r * K, (r + 1) * K);
    const max = Math.max(...row);
    if (max === 0) continue;
    seen++;
    if (row.indexOf(max) === y[r]) right++;
  }
  return right / seen;
}

const cases: { name: string; n: number; k: number; p: Partial<ForestParams> }[] = [
  { name: "2 classes, 12 trees (folded)", n: 1200, k: 2, p: { nTrees: 12 } },
  {
    name: "5 classes, 3 trees, balanced entropy (kept, dense leaves)",
    n: 1200,
    k: 5,
    p: { nTrees: 3, classWeight: "balanced", criterion: "entropy" },
  },
  { name: "40 classes, 50 trees (folded, sparse leaves)", n: 1500, k: 40, p: { nTrees: 50 } },
  {
    name: "300 classes, 7 trees, all features (kept, sparse leaves)",
    n: 2400,
    k: 300,
    p: { nTrees: 7, maxFeatures: "all", minSamplesLeaf: 2 },
  },
];

for (const c of cases) {
  Deno.test(`OOB score equals its definition: ${c.name}, on 1 and 2 workers`, async () => {
    const { X, y } = synth(c.n, c.k, c.k + c.n);
    const params: ForestParams = { ...DEFAULT_PARAMS, seed: c.k, ...c.p };
    const one = await fitForest(X, y, c.k, params, { workers: 1 });
    assert.equal(one.forest.leafClass !== undefined, c.k >= 32);
    const expected = referenceOob(one.forest, X, y, params.seed);
    assert.ok(expected > 0 && expected < 1, `reference ${expected}`);
    assert.equal(one.oobScore, expected);
    const two = await fitForest(X, y, c.k, params, { workers: 2 });
    assert.deepEqual(two.forest.value, one.forest.value);
    assert.equal(two.oobScore, expected);
  });
}

Deno.test("OOB score: null without bootstrap or when not asked for", async () => {
  const { X, y } = synth(300, 3, 1);
  const off = await fitForest(X, y, 3, { ...DEFAULT_PARAMS, nTrees: 2, oobScore: false }, {
    workers: 1,
  });
  assert.equal(off.oobScore, null);
  const noBag = await fitForest(X, y, 3, { ...DEFAULT_PARAMS, nTrees: 2, bootstrap: false }, {
    workers: 1,
  });
  assert.equal(noBag.oobScore, null);
});
