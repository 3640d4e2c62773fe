/**
 * A store with one damaged entry: the rest must stay usable, and what is
 * skipped is named.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FileStore } from "../lib/mlflow/transfer.ts";
import { mlops } from "./support/cli.ts";
import { logTinyModelRun } from "./support/tiny_bundle.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-corruption-test-");

/** Ways to damage a run, each as MLflow's own files could end up. */
const DAMAGE: Record<string, { file: string; edit: (text: string) => string; says: RegExp }> = {
  "a bad metric line": {
    file: "metrics/accuracy",
    edit: (text) => text + "not a metric line\n",
    says: /corrupted MLflow metric in .*metrics\/accuracy line 2: 'not a metric line'/,
  },
  "a metric value that merely contains 'nan'": {
    file: "metrics/accuracy",
    edit: (text) => text + "1700000000000 banana 0\n",
    says: /corrupted MLflow metric in .*metrics\/accuracy line 2: '1700000000000 banana 0'/,
  },
  "a metric value spelled NaN-ish": {
    file: "metrics/accuracy",
    edit: (text) => text + "1700000000000 NaN-ish 0\n",
    says: /corrupted MLflow metric in .*metrics\/accuracy line 2: '1700000000000 NaN-ish 0'/,
  },
  "an unknown status": {
    file: "meta.yaml",
    edit: (text) => text.replace(/^status: \d+$/m, "status: 99"),
    says: /corrupted MLflow metadata in .*meta\.yaml: unknown run status '99'/,
  },
  "a meta.yaml that is not a mapping": {
    file: "meta.yaml",
    edit: () => "- just\n- a list\n",
    says: /corrupted MLflow metadata in .*meta\.yaml: expected a YAML mapping/,
  },
};

/** A store with a good run and a better one damaged as `how` says. */
async function damagedStore(how: string) {
  const root = join(tmp, how.replaceAll(" ", "-"), "mlruns");
  const store = new FileStore(root);
  const exp = await store.createExperiment("e");
  const good = await logTinyModelRun(store, exp, 0.7);
  const damaged = await logTinyModelRun(store, exp, 0.8);
  const { file, edit } = DAMAGE[how];
  const path = join(root, exp, damaged, file);
  await Deno.writeTextFile(path, edit(await Deno.readTextFile(path)));
  return { root, exp, good, damaged, path };
}

for (const how of Object.keys(DAMAGE)) {
  Deno.test(`one run with ${how}: runs list and promote skip it with a warning naming the file`, async () => {
    const { root, exp, good, damaged } = await damagedStore(how);
    const warning = new RegExp(
      `^mlops: warning: skipping run ${damaged} of experiment ${exp}: ` +
        DAMAGE[how].says.source,
    );

    const list = await mlops("runs", "list", "--tracking-uri", root, "--json");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stderr, warning);
    assert.equal(list.stderr.split("\n").length, 1, "one warning line");
    const runs = JSON.parse(list.stdout).experiments
      .flatMap((e: { runs: { run_id: string }[] }) => e.runs)
      .map((r: { run_id: string }) => r.run_id);
    assert.deepEqual(runs, [good]);

    const out = join(root, "..", "edge");
    const promoted = await mlops(
      "promote",
      "--experiment",
      "e",
      "--tracking-uri",
      root,
      "--out",
      out,
      "--json",
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stderr, warning);
    assert.equal(JSON.parse(promoted.stdout).run_id, good);
  });
}

Deno.test("an experiment whose meta.yaml is damaged is skipped with a warning; the others stay listed", async () => {
  const root = join(tmp, "experiment", "mlruns");
  const store = new FileStore(root);
  const bad = await store.createExperiment("bad");
  const good = await store.createExperiment("good");
  const run = await logTinyModelRun(store, good, 0.7);
  await Deno.writeTextFile(join(root, bad, "meta.yaml"), "name: [unclosed\n");
  const list = await mlops("runs", "list", "--tracking-uri", root, "--json");
  assert.equal(list.code, 0, list.stderr);
  assert.match(
    list.stderr,
    new RegExp(
      `^mlops: warning: skipping experiment ${bad}: corrupted MLflow metadata in .*${bad}/meta\\.yaml`,
    ),
  );
  const names = JSON.parse(list.stdout).experiments.map((e: { name: string }) => e.name).sort();
  assert.deepEqual(names, ["Default", "good"]);
  assert.equal((await store.searchRuns([good]))[0].info.runId, run);
});

/** A store whose model `m` has versions 1 (accuracy 0.9) and 2 (0.6), and `aliases/champion`. */
async function aliasStore(name: string, aliasFile: string) {
  const root = join(tmp, name, "mlruns");
  const store = new FileStore(root);
  const exp = await store.createExperiment("e");
  const better = await logTinyModelRun(store, exp, 0.9);
  const worse = await logTinyModelRun(store, exp, 0.6);
  await store.createRegisteredModel("m");
  for (const runId of [worse, better]) {
    const source = `${(await store.getRun(runId)).info.artifactUri}/model`;
    await store.createModelVersion({ name: "m", source, runId });
  }
  const path = join(root, "models", "m", "aliases", "champion");
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, aliasFile);
  const promote = (runId: string) =>
    mlops(
      "promote",
      "--run",
      runId,
      "--model",
      "m",
      "--tracking-uri",
      root,
      "--out",
      join(root, "..", "edge"),
      "--json",
    );
  return { store, root, path, better, worse, promote };
}

Deno.test("an alias file written with a trailing newline (echo 2 > aliases/champion) names version 2", async () => {
  const { store, worse, promote } = await aliasStore("alias-newline", "2\n");
  assert.equal((await store.getModelVersionByAlias("m", "champion")).version, "2");
  assert.deepEqual((await store.getRegisteredModel("m"))?.aliases, { champion: "2" });
  assert.deepEqual((await store.getModelVersion("m", "2")).aliases, ["champion"]);
  // The gate compares against version 2 (accuracy 0.9) and refuses the worse run.
  const r = await promote(worse);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(JSON.parse(r.stdout).previous_version, "2");
});

Deno.test("an alias file that does not hold a decimal version is a clear error naming the file", async () => {
  for (const content of ["0x2", "two", "", "2 3"]) {
    const { store, path, better, promote } = await aliasStore(
      `alias-bad-${content.replace(/\W/g, "_")}`,
      content,
    );
    await assert.rejects(
      () => store.getModelVersionByAlias("m", "champion"),
      (e: Error) => e.message.startsWith(`corrupted MLflow alias in ${path}: `),
    );
    const r = await promote(better);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `mlops: corrupted MLflow alias in ${path}: ${
        JSON.stringify(content)
      } is not a version number`,
    );
    // Listing the model leaves the alias out, with a warning naming the file.
    const warnings: string[] = [];
    const quiet = new FileStore(store.root, { warn: (m) => warnings.push(m) });
    assert.deepEqual((await quiet.getRegisteredModel("m"))?.aliases, {});
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /^skipping alias 'champion' of registered model 'm': corrupted MLflow alias in /,
    );
  }
});

Deno.test("a tracking URI that is a file, not a store, is one line and a non-zero exit, and the file is untouched", async () => {
  const dir = join(tmp, "not-a-store");
  await Deno.mkdir(dir, { recursive: true });
  const notes = join(dir, "notes.txt");
  await Deno.writeTextFile(notes, "not a store\n");
  const db = join(dir, "mlflow.db");
  const sqlite = new DatabaseSync(db);
  sqlite.exec("CREATE TABLE t (x)");
  sqlite.close();
  const cases: [string, string[], RegExp][] = [
    [
      "a text file",
      ["runs", "list", "--tracking-uri", notes],
      /^mlops: tracking URI .*notes\.txt is not a folder: a file store is a folder/,
    ],
    [
      "a text file as file:",
      ["runs", "show", "0123456789abcdef0123456789abcdef", "--tracking-uri", `file://${notes}`],
      /^mlops: tracking URI .*notes\.txt is not a folder/,
    ],
    [
      "an SQLite file without sqlite:",
      ["runs", "list", "--tracking-uri", db],
      new RegExp(
        `^mlops: tracking URI .*mlflow\\.db is not a folder: it is an SQLite database: use sqlite:///${db}$`,
      ),
    ],
    [
      "a text file as sqlite:",
      ["runs", "list", "--tracking-uri", `sqlite:///${notes}`],
      /^mlops: tracking URI sqlite:\/\/\/.*notes\.txt: .*notes\.txt is not an SQLite database/,
    ],
    [
      "a text file as the store of promote",
      ["promote", "--experiment", "e", "--tracking-uri", notes, "--out", join(dir, "edge")],
      /^mlops: tracking URI .*notes\.txt is not a folder/,
    ],
  ];
  for (const [what, args, says] of cases) {
    const r = await mlops(...args);
    assert.notEqual(r.code, 0, what);
    assert.equal(r.stdout, "", what);
    assert.match(r.stderr, says, what);
    assert.equal(r.stderr.split("\n").length, 1, `${what}: ${r.stderr}`);
  }
  assert.equal(await Deno.readTextFile(notes), "not a store\n");
});
