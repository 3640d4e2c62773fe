/**
 * Forests of many classes store only each leaf's nonzero classes. That must
 * change nothing a user can see: the same probabilities bit for bit as the
 * dense layout (walked by the wasm kernel), the same forest on any worker
 * count, and bundles that round-trip, are versioned, and are validated.
 */
import { strict as assert } from "node:assert";
import { fitForest } from "../lib/forest/fit.ts";
import { hardVote, toMlRandomForest } from "../lib/forest/ml_random_forest.ts";
import { predictProbaMatrix, predictProbaRow } from "../lib/forest/predict.ts";
import { DEFAULT_PARAMS, type PackedForest, SPARSE_LEAF_CLASSES } from "../lib/forest/types.ts";
import { loadWalker } from "../lib/forest/walker.ts";
import type { Matrix } from "../lib/data/types.ts";
import { UserError } from "../lib/errors.ts";
import { parseBundle, serializeBundle } from "../lib/model/mod.ts";
import type { ModelBundle } from "../lib/model/types.ts";
import { rng } from "../lib/rng.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

/** `k` classes along feature 0 (with noise), four more noise features. */
function synth(n: number, k: number, seed: number): { X: Matrix; y: Int32Array } {
  const rand = rng(seed), d = 5;
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    y[r] = r % k;
    data[r] = y[r] + rand() * 1.5;
    for (let f = 1; f < d; f++) data[f * n + r] = rand();
  }
  return { X: { data, nRows: n, nCols: d }, y };
}

/** The same forest with dense leaves: what the wasm kernel walks. */
function densify(f: PackedForest): PackedForest {
  const { feature, left, right, value, leafClass, nClasses: K } = f;
  assert.ok(leafClass);
  let leaves = 0;
  for (const x of feature) if (x < 0) leaves++;
  const dense = new Float32Array(leaves * K);
  const l = left.slice(), r = right.slice();
  let at = 0;
  for (let i = 0; i < feature.length; i++) {
    if (feature[i] >= 0) continue;
    for (let j = left[i]; j < left[i] + right[i]; j++) dense[at + leafClass[j]] = value[j];
    l[i] = at;
    r[i] = -1;
    at += K;
  }
  return { ...f, left: l, right: r, value: dense, leafClass: undefined };
}

const K = 60;
const { X, y } = synth(3000, K, 1);
const p = { ...DEFAULT_PARAMS, nTrees: 12, seed: 3 };
const sparse = await fitForest(X, y, K, p, { workers: 1 });

Deno.test("many classes: sparse leaves, a fraction of the dense size", () => {
  const f = sparse.forest;
  assert.ok(f.leafClass, "sparse");
  let leaves = 0;
  for (const x of f.feature) if (x < 0) leaves++;
  // A leaf holds a few rows, so a few classes: far below K entries per leaf.
  assert.ok(f.value.length < leaves * 3, `${f.value.length} entries for ${leaves} leaves`);
  for (let i = 0; i < f.feature.length; i++) {
    if (f.feature[i] >= 0) continue;
    let sum = 0;
    for (let j = f.left[i]; j < f.left[i] + f.right[i]; j++) {
      assert.ok(f.value[j] > 0);
      if (j > f.left[i]) assert.ok(f.leafClass![j] > f.leafClass![j - 1], "ascending classes");
      sum += f.value[j];
    }
    assert.ok(Math.abs(sum - 1) < 1e-5);
  }
});

Deno.test("many classes: probabilities equal the dense layout's bit for bit", async () => {
  const dense = densify(sparse.forest);
  assert.ok(loadWalker(dense), "the dense copy runs in the kernel");
  assert.equal(loadWalker(sparse.forest), null);
  const a = predictProbaMatrix(sparse.forest, X), b = predictProbaMatrix(dense, X);
  assert.deepEqual(a, b);
  const row = new Float64Array(5);
  for (let r = 0; r < 40; r++) {
    for (let f = 0; f < 5; f++) row[f] = r === 7 && f === 0 ? NaN : X.data[f * X.nRows + r];
    assert.deepEqual(predictProbaRow(sparse.forest, row), predictProbaRow(dense, row));
    assert.equal(hardVote(sparse.forest, row), hardVote(dense, row));
  }
  assert.deepEqual(toMlRandomForest(sparse.forest), toMlRandomForest(dense));
  // Just below the threshold, leaves are dense.
  const below = SPARSE_LEAF_CLASSES - 1;
  const small = synth(600, below, 2);
  const d = await fitForest(small.X, small.y, below, { ...p, nTrees: 2 }, { workers: 1 });
  assert.equal(d.forest.leafClass, undefined);
});

Deno.test("many classes: the same forest and OOB score on 1, 2 and 3 workers", async () => {
  for (const workers of [2, 3]) {
    const other = await fitForest(X, y, K, p, { workers });
    assert.deepEqual(other.forest.leafClass, sparse.forest.leafClass);
    assert.deepEqual(other.forest.value, sparse.forest.value);
    assert.deepEqual(other.forest.right, sparse.forest.right);
    assert.equal(other.oobScore, sparse.oobScore);
  }
  assert.ok(sparse.oobScore !== null && sparse.oobScore > 0.3, `oob ${sparse.oobScore}`);
});

Deno.test("many classes: bundles round-trip (format 3), are validated, and format-2 files still load", async () => {
  const tiny = tinyBundle();
  const classes = Array.from({ length: K }, (_, c) => `c${c}`);
  const bundle: ModelBundle = {
    ...tiny,
    schema: {
      ...tiny.schema,
      classes,
      encodedNames: ["a", "b", "c", "d", "e"],
      encodedSource: [0, 0, 0, 0, 0],
    },
    forest: sparse.forest,
  };
  const text = serializeBundle(bundle);
  assert.equal(JSON.parse(text).formatVersion, 3);
  assert.equal(JSON.parse(serializeBundle(tiny)).formatVersion, 3);
  // A sparse bundle written before format 3 (by mlops at fcdb9c9) reads as it did,
  // and rewritten as format 3 predicts the same, bit for bit.
  const v2Text = await Deno.readTextFile(
    new URL("./fixtures/bundles/sparse.v2.mlops.json", import.meta.url),
  );
  assert.equal(JSON.parse(v2Text).formatVersion, 2);
  const v2 = parseBundle(v2Text, "sparse.v2.mlops.json");
  const v3 = parseBundle(serializeBundle(v2), "sparse.v3.mlops.json");
  assert.ok(v2.forest.leafClass && v3.forest.leafClass);
  assert.deepEqual(predictProbaMatrix(v3.forest, X), predictProbaMatrix(v2.forest, X));
  const back = parseBundle(text, "m.json");
  // Equal leaves are stored once (most are pure), the walk reads the same numbers.
  assert.ok(back.forest.leafClass!.length < sparse.forest.leafClass!.length / 10);
  assert.deepEqual(predictProbaMatrix(back.forest, X), predictProbaMatrix(sparse.forest, X));

  const refused = (f: PackedForest, pattern: RegExp) =>
    assert.throws(() => parseBundle(serializeBundle({ ...bundle, forest: f }), "m.json"), (e) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, pattern);
      return true;
    });
  const leaf = sparse.forest.feature.indexOf(-1);
  const badClass = sparse.forest.leafClass!.slice();
  badClass[sparse.forest.left[leaf]] = K;
  refused({ ...sparse.forest, leafClass: badClass }, /leaf class out of range \(60\)/);
  const badCount = sparse.forest.right.slice();
  badCount[leaf] = sparse.forest.value.length + 1;
  refused({ ...sparse.forest, right: badCount }, /broken leaf in tree 0/);
  refused(
    { ...sparse.forest, leafClass: sparse.forest.leafClass!.subarray(1) },
    /inconsistent forest header/,
  );
});
