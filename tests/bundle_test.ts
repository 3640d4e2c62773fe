import { strict as assert } from "node:assert";
import { RandomForestClassifier } from "ml-random-forest";
import { UserError } from "../lib/errors.ts";
import { stratifiedSplit, subsetLabels, subsetMatrix } from "../lib/data/split.ts";
import {
  fromMlRandomForest,
  hardVote,
  toMlRandomForest,
  trainMlRandomForest,
} from "../lib/forest/ml_random_forest.ts";
import { DEFAULT_PARAMS } from "../lib/forest/types.ts";
import {
  parseBundle,
  parseBundleBytes,
  readBundle,
  serializeBundle,
  writeBundle,
} from "../lib/model/mod.ts";
import { predictProbaRow } from "../lib/forest/predict.ts";
import { packedView, type QuantizedForest, quantizeForest } from "../lib/forest/quantized.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import { predictTable } from "../lib/model/predict.ts";
import { loadTrainingData, trainModel } from "../lib/train/mod.ts";

// One small real model on the bundled Telco data, shared by the tests below.
const data = await loadTrainingData();
const trained = await trainModel(data, { params: { nTrees: 25 }, workers: 1 });
const text = serializeBundle(trained.bundle);

/** Both readers refuse `t`: from text (JS SHA-256) and from bytes (Web Crypto's). */
async function expectBundleError(t: string, pattern: RegExp) {
  const check = (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.match(e.message, /^model bundle m\.json /);
    assert.match(e.message, pattern);
    return true;
  };
  assert.throws(() => parseBundle(t, "m.json"), check);
  await assert.rejects(() => parseBundleBytes(new TextEncoder().encode(t), "m.json"), check);
}

Deno.test("bundle round trip keeps every prediction", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-bundle-test-" });
  await writeBundle(dir, trained.bundle);
  const loaded = await readBundle(dir);
  await Deno.remove(dir, { recursive: true });
  assert.equal(loaded.schema.target, "Churn");
  assert.deepEqual(loaded.forest.threshold, trained.bundle.forest.threshold);
  const a = predictTable(trained.bundle, data.table), b = predictTable(loaded, data.table);
  assert.deepEqual(b.labels, a.labels);
  assert.deepEqual(b.proba, a.proba);
  assert.equal(loaded.featureStats.length, data.schema.features.length);
  assert.equal(loaded.training.nTrain + loaded.training.nTest, 7043);
});

Deno.test("corrupted, truncated and incompatible bundles fail with clear messages", async () => {
  await expectBundleError(text.slice(0, text.length / 2), /truncated or not JSON/);
  await expectBundleError("", /truncated or not JSON/);
  await expectBundleError("[1,2]", /not a model bundle/);
  await expectBundleError(JSON.stringify({ format: "pickle" }), /not an mlops model bundle/);
  // One changed digit inside the forest payload.
  const i = text.lastIndexOf('"link":"') + 20; // the array, not forest.types' entry
  assert.ok(i > 20);
  const flipped = text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
  await expectBundleError(flipped, /corrupted \(checksum mismatch\)/);
  // The same change in a reformatted file, which takes the slower check.
  const pretty = JSON.stringify(JSON.parse(text), null, 2);
  assert.equal(parseBundle(pretty, "pretty.json").forest.nTrees, trained.bundle.forest.nTrees);
  const prettyBytes = new TextEncoder().encode(pretty);
  assert.equal((await parseBundleBytes(prettyBytes, "p.json")).forest.nTrees, 25);
  // An editor's trailing newline keeps the fast check; the caller's bytes are left as they were.
  const asRead = new TextEncoder().encode(text + "\n");
  assert.equal((await parseBundleBytes(asRead, "n.json")).formatVersion, 3);
  assert.equal(new TextDecoder().decode(asRead), text + "\n");
  await expectBundleError(pretty.replace('"nTrees": 25', '"nTrees": 24'), /checksum mismatch/);
  const future = JSON.parse(text);
  future.formatVersion = 99;
  await expectBundleError(JSON.stringify(future), /format version 99.*upgrade mlops/);
});

Deno.test("a bundle with a valid checksum but broken tree indexes is refused", async () => {
  const forest = { ...trained.bundle.forest, right: trained.bundle.forest.right.slice() };
  forest.right[forest.roots[0]] = 0; // points back at the root: would loop forever
  const evil = serializeBundle({ ...trained.bundle, forest });
  assert.equal(JSON.parse(evil).formatVersion, 1, "a malformed forest keeps the packed layout");
  await expectBundleError(evil, /broken node in tree 0/);

  // The same attacks on the quantized layout (format 3), re-signed with a valid checksum.
  const q = quantizeForest(trained.bundle.forest)!;
  const tampered = (change: (q: QuantizedForest) => void) => {
    const copy: QuantizedForest = {
      ...q,
      feature: q.feature.slice(),
      code: q.code.slice(),
      link: q.link.slice(),
    };
    change(copy);
    return serializeBundle({ ...trained.bundle, forest: packedView(copy) });
  };
  const root = q.roots[0];
  await expectBundleError(tampered((c) => (c.link[root] = root)), /broken node in tree 0/);
  await expectBundleError(tampered((c) => (c.link[root + 1] = 1)), /broken node in tree 0/);
  await expectBundleError(tampered((c) => (c.code[root] = 60000)), /broken node in tree 0/);
  await expectBundleError(tampered((c) => (c.feature[root] = 40)), /broken node in tree 0/);
  const leaf = q.feature.indexOf(-1);
  await expectBundleError(tampered((c) => (c.link[leaf] = q.value.length)), /broken leaf/);
});

Deno.test("format 3: about half the old size, the same predictions; format-1 files still load", async () => {
  const q = quantizeForest(trained.bundle.forest)!;
  assert.equal(JSON.parse(text).formatVersion, 3);
  // The packed layout stored 20 bytes per node (27 in base64) before the
  // leaves' values; the whole format-3 file, values and metadata included, is less.
  const nodes = q.feature.length;
  assert.ok(text.length < nodes * 18, `${text.length} bytes for ${nodes} nodes`);

  const loaded = parseBundle(text, "m.json");
  assert.deepEqual(
    predictTable(loaded, data.table).proba,
    predictTable(trained.bundle, data.table).proba,
  );
  // The loaded forest is walked from its quantized layout; the packed arrays
  // are built only when read, and are the trained ones.
  assert.deepEqual(loaded.forest.threshold, trained.bundle.forest.threshold);
  assert.deepEqual(loaded.forest.right, trained.bundle.forest.right);

  const v1Text = await Deno.readTextFile(
    new URL("./fixtures/bundles/tiny.v1.mlops.json", import.meta.url),
  );
  assert.equal(JSON.parse(v1Text).formatVersion, 1);
  const v1 = parseBundle(v1Text, "tiny.v1.mlops.json");
  const tiny = tinyBundle();
  assert.deepEqual(v1.forest.threshold, tiny.forest.threshold);
  const row = Float64Array.of(9, 1), a = new Float64Array(2), b = new Float64Array(2);
  assert.deepEqual(predictProbaRow(v1.forest, row, a), predictProbaRow(tiny.forest, row, b));
  assert.equal(JSON.parse(serializeBundle(v1)).formatVersion, 3);
});

Deno.test("ml-random-forest predicts exactly our hard votes on held-out rows", () => {
  const json = toMlRandomForest(trained.bundle.forest);
  // Through real JSON text, as a user would store it.
  const rf = RandomForestClassifier.load(JSON.parse(JSON.stringify(json)));
  const { X } = data;
  const rows: number[][] = [];
  const ours: number[] = [];
  // The holdout trainModel used: same seed, same stratified split.
  const { test } = stratifiedSplit(data.y, 2, 0.2, DEFAULT_PARAMS.seed);
  for (const r of test) {
    const row = Array.from({ length: X.nCols }, (_, f) => X.data[f * X.nRows + r]);
    if (row.some((v) => Number.isNaN(v))) continue; // the library has no missing values
    rows.push(row);
    ours.push(hardVote(trained.bundle.forest, row));
  }
  assert.ok(rows.length > 1390);
  const theirs = rf.predict(rows);
  assert.deepEqual(theirs, ours);
  // Both classes actually occur, so the comparison is not trivial.
  assert.ok(new Set(ours).size === 2);
});

Deno.test("--engine ml-random-forest: the library trains, and its model converts losslessly", () => {
  const rows = Int32Array.from({ length: 400 }, (_, i) => i * 7);
  const X = subsetMatrix(data.X, rows), y = subsetLabels(data.y, rows);
  const fill = new Array(X.nCols).fill(0);
  const forest = trainMlRandomForest(X, y, 2, { ...DEFAULT_PARAMS, nTrees: 5, maxDepth: 6 }, fill);
  assert.equal(forest.nTrees, 5);
  // Round trip through the library's own loader: same predictions as our hard vote.
  const rf = RandomForestClassifier.load(toMlRandomForest(forest));
  const back = fromMlRandomForest(toMlRandomForest(forest), X.nCols, 2);
  assert.deepEqual(back.threshold, forest.threshold);
  const sample: number[][] = [];
  for (let r = 0; r < X.nRows; r++) {
    sample.push(Array.from({ length: X.nCols }, (_, f) => {
      const v = X.data[f * X.nRows + r];
      return Number.isNaN(v) ? 0 : v;
    }));
  }
  assert.deepEqual(rf.predict(sample), sample.map((row) => hardVote(forest, row)));
});
