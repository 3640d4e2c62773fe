// The hyperparameter catalogue (lib/forest/params.ts) is the one place a
// hyperparameter is described: these tests walk every entry and check it
// surfaces wherever hyperparameters do, so a new entry is covered unasked.
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { buildProgram } from "../cli/main.ts";
import { trainTiny, writeTinyCsv } from "./support/tiny_csv.ts";
import { moduleTempDir } from "./support/temp.ts";
import {
  canonicalParams,
  checkParams,
  DEFAULT_PARAMS,
  type ForestParams,
  mlflowParams,
  PARAM_LIST,
  type ParamEntry,
} from "../lib/forest/params.ts";
import { mlRandomForestOptions } from "../lib/forest/ml_random_forest.ts";
import { configId } from "../lib/sweep/config_id.ts";
import { expandGrid, parseGridArgs } from "../lib/sweep/grid.ts";
import { FileStore } from "../lib/mlflow/file_store.ts";

const tmp = await moduleTempDir("mlops-params-");

type Value = ForestParams[keyof ForestParams];
const parse = (p: ParamEntry, text: string) => (p.parse as (t: string) => Value)(text);
const format = (p: ParamEntry, v: Value) => (p.format as (v: Value) => string)(v);

/** A valid value of `p` other than its default, as text (first candidate that parses). */
function otherValue(p: ParamEntry): string {
  for (const text of ["3", "entropy", "balanced", "log2", "false"]) {
    try {
      const v = parse(p, text);
      if (format(p, v) !== format(p, p.default as Value)) return text;
    } catch {
      // Not a value of this one.
    }
  }
  throw new Error(`no test value for ${p.key}: add a candidate above`);
}

/** DEFAULT_PARAMS with every entry matching `pick` set to its other value. */
function changed(pick: (p: ParamEntry) => boolean): ForestParams {
  const out: Record<string, unknown> = { ...DEFAULT_PARAMS };
  for (const p of PARAM_LIST) if (pick(p)) out[p.key] = parse(p, otherValue(p));
  return out as ForestParams;
}

Deno.test("config ids of existing sweeps do not change", () => {
  // Ids that sweeps logged before the catalogue existed (computed on main at d9c6423…):
  // a changed id would make every resumed sweep train its configurations again.
  const cases: [Partial<ForestParams>, string][] = [
    [{}, "d9c6423f24ee"],
    [{ nTrees: 200, maxDepth: 10 }, "4ab64b1fcf96"],
    [
      { maxFeatures: { fraction: 1 }, criterion: "entropy", classWeight: "balanced" },
      "295840d3132a",
    ],
    [
      { maxFeatures: { count: 5 }, minSamplesSplit: 5, minSamplesLeaf: 3, seed: 7 },
      "5d3ca5a899fd",
    ],
    [
      { maxFeatures: { fraction: 0.5 }, bootstrap: false, maxBins: 64, oobScore: false },
      "47722b32c984",
    ],
  ];
  for (const [p, id] of cases) assert.equal(configId({ ...DEFAULT_PARAMS, ...p }), id);
  assert.equal(
    canonicalParams(DEFAULT_PARAMS),
    '{"bootstrap":true,"classWeight":null,"criterion":"gini","maxBins":255,"maxDepth":null,' +
      '"maxFeatures":"sqrt","minSamplesLeaf":1,"minSamplesSplit":2,"nTrees":100,"seed":42}',
  );
});

Deno.test("every catalogue entry: default in range, text round-trips, id counts it when it should", () => {
  checkParams(DEFAULT_PARAMS);
  for (const p of PARAM_LIST) {
    const other = parse(p, otherValue(p));
    assert.equal(format(p, parse(p, format(p, other))), format(p, other), p.key);
    const moved = { ...DEFAULT_PARAMS, [p.key]: other };
    checkParams(moved);
    assert.equal(configId(moved) !== configId(DEFAULT_PARAMS), p.identity, p.key);
  }
});

Deno.test("every catalogue entry surfaces in train --help, the grid parser and the logged params", async () => {
  const train = buildProgram().commands.find((c) => c.name() === "train")!;
  const help = train.helpInformation({ error: false });
  const onCli = PARAM_LIST.filter((p) => p.arg !== null);
  for (const p of onCli) assert.match(help, new RegExp(`--${p.name} <${p.arg}> +${p.help}`));

  // The grid takes every sweepable entry by its name and its scikit-learn name.
  const swept = PARAM_LIST.filter((p) => p.sweep);
  assert.ok(swept.length > 0);
  for (const names of [swept.map((p) => p.name), swept.map((p) => p.sklearn!)]) {
    const grid = parseGridArgs(names.map((n, i) => `${n}=${otherValue(swept[i])}`));
    assert.deepEqual(grid.map((a) => a.param.key), swept.map((p) => p.key));
    assert.deepEqual(expandGrid(grid)[0].params, changed((p) => p.sweep));
  }

  // Every command-line entry, set away from its default, reaches the fit and the MLflow run.
  const csv = await writeTinyCsv(tmp);
  const store = join(tmp, "mlruns");
  const flags = onCli.filter((p) => p.key !== "nTrees").flatMap((p) => [
    `--${p.name}`,
    otherValue(p),
  ]);
  const r = await trainTiny(
    { csv, out: join(tmp, "out"), trackingUri: store },
    ...flags,
    "--workers",
    "1",
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const want = changed((p) => p.arg !== null);
  const logged = (await new FileStore(store).getRun(JSON.parse(r.stdout).run_id)).data.params;
  for (const [name, value] of Object.entries(mlflowParams(want))) {
    assert.equal(logged[name], value, name);
  }
  const withSklearn = PARAM_LIST.filter((p) => p.sklearn !== null);
  assert.deepEqual(Object.keys(mlflowParams(want)), withSklearn.map((p) => p.sklearn));
  const summary = JSON.parse(r.stdout).params;
  for (const p of onCli) {
    assert.equal(String(summary[p.name.replaceAll("-", "_")]), format(p, want[p.key]), p.key);
  }
});

Deno.test("every entry with an ml-random-forest option is sent to the library", () => {
  const options = mlRandomForestOptions(changed(() => true), 16) as Record<string, unknown>;
  for (const p of PARAM_LIST) {
    if (p.mlRandomForest === null) continue;
    const [where, name] = p.mlRandomForest.option.startsWith("treeOptions.")
      ? [options.treeOptions as Record<string, unknown>, p.mlRandomForest.option.slice(12)]
      : [options, p.mlRandomForest.option];
    assert.ok(name in where, p.key);
  }
  assert.equal(options.nEstimators, 3);
  assert.equal(options.maxFeatures, 3 / 16);
});
