import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parseCsv } from "../lib/data/csv.ts";
import { FileStore } from "../lib/mlflow/transfer.ts";
import { mlopsProcess } from "./support/cli.ts";
import { moduleTempDir } from "./support/temp.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TELCO = join(ROOT, "data/telco-customer-churn.csv");

/** Runs the real CLI in a subprocess, as a user would. */
const mlops = mlopsProcess;

const tmp = await moduleTempDir("mlops-cli-train-test-");
const write = async (name: string, text: string) => {
  const p = join(tmp, name);
  await Deno.writeTextFile(p, text);
  return p;
};

Deno.test("train --json on the bundled data, then predict the same rows", async () => {
  const out = join(tmp, "out");
  const r = await mlops("train", "--trees", "20", "--out", out, "--json", "--no-track");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, "stdout must be exactly one JSON object");
  const j = JSON.parse(lines[0]);
  for (const k of ["accuracy", "f1", "roc_auc", "log_loss"]) {
    assert.ok(typeof j.metrics[k] === "number" && Number.isFinite(j.metrics[k]), k);
  }
  assert.ok(
    j.metrics.accuracy > 0.74 && j.metrics.accuracy < 0.9,
    `accuracy ${j.metrics.accuracy}`,
  );
  assert.ok(j.timings.fit_ms > 0);
  assert.equal(j.n_train + j.n_test, 7043);
  assert.deepEqual(j.dropped_columns, [{ name: "customerID", reason: "identifier" }]);
  assert.equal(j.model_path, join(out, "model"));
  for (const p of ["confusion_matrix", "roc_curve", "pr_curve", "feature_importance"]) {
    const svg = await Deno.readTextFile(join(out, "plots", `${p}.svg`));
    assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  }
  const imp = (await Deno.readTextFile(join(out, "feature_importance.csv"))).trim().split("\n");
  assert.equal(imp.length, 1 + j.features);

  // Shuffle the column order: prediction matches columns by name.
  const telco = parseCsv(await Deno.readTextFile(TELCO), "telco");
  const order = telco.header.map((_, i) => i).reverse();
  const rows = telco.rows.slice(0, 200);
  const shuffled = [order.map((i) => telco.header[i]), ...rows.map((r) => order.map((i) => r[i]))]
    .map((r) => r.map((c) => /[",]/.test(c) ? `"${c}"` : c).join(",")).join("\n");
  const input = await write("shuffled.csv", shuffled + "\n");
  const predOut = join(tmp, "pred.csv");
  const p = await mlops("predict", "--model", j.model_path, "--data", input, "--out", predOut);
  assert.equal(p.code, 0, p.stderr);
  const pred = parseCsv(await Deno.readTextFile(predOut), "pred");
  assert.deepEqual(pred.header, ["prediction", "proba_No", "proba_Yes"]);
  assert.equal(pred.rows.length, 200);
  for (const row of pred.rows) {
    assert.ok(row[0] === "No" || row[0] === "Yes");
    assert.ok(Math.abs(Number(row[1]) + Number(row[2]) - 1) < 1e-6);
    assert.equal(row[0], Number(row[2]) > Number(row[1]) ? "Yes" : "No");
  }
  // Predictions in the original column order are identical.
  const orig = await write(
    "orig.csv",
    (await Deno.readTextFile(TELCO)).split("\n").slice(0, 201).join("\n"),
  );
  const p2 = await mlops("predict", "--model", j.model_path, "--data", orig);
  assert.equal(p2.code, 0, p2.stderr);
  assert.deepEqual(parseCsv(p2.stdout, "stdout").rows, pred.rows);

  // Unknown categories are counted, not errors.
  const unseen = shuffled.replace(/Month-to-month/g, "Weekly");
  const p3 = await mlops(
    "predict",
    "--model",
    j.model_path,
    "--data",
    await write("u.csv", unseen),
    "--json",
    "--out",
    join(tmp, "u_out.csv"),
  );
  assert.equal(p3.code, 0, p3.stderr);
  assert.ok(JSON.parse(p3.stdout).unknown_categories.Contract > 0);

  // A model column missing at predict time is an error naming it.
  const noTenure = await write("no_tenure.csv", "gender,Partner\nMale,Yes\n");
  const p4 = await mlops("predict", "--model", j.model_path, "--data", noTenure);
  assert.notEqual(p4.code, 0);
  assert.match(p4.stderr, /no_tenure\.csv: missing model columns?: .*tenure/);
  assert.doesNotMatch(p4.stderr, /\n\s+at /);
});

Deno.test("bad input: one clear line, non-zero exit, no stack trace", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["empty file", ["--data", await write("empty.csv", "")], /empty\.csv.*empty/i],
    [
      "header only",
      ["--data", await write("header.csv", "a,b,Churn\n")],
      /header\.csv.*(no data|header only)/i,
    ],
    [
      "target missing",
      ["--data", await write("t.csv", "a,b\n1,2\n3,4\n")],
      /target column 'Churn' not found in .*t\.csv/,
    ],
    [
      "one class only",
      ["--data", await write("one.csv", "a,Churn\n1,No\n2,No\n3,No\n")],
      /one\.csv.*(one class|only one)/i,
    ],
    [
      "ragged row",
      ["--data", await write("ragged.csv", "a,b,Churn\n1,2,No\n1,Yes\n3,4,Yes\n")],
      /ragged\.csv: line 3/,
    ],
    [
      "not a CSV",
      ["--data", await write("bin.csv", "\u0000\u0001\u0002PK\u0003\u0004\n\u0000\u0000")],
      /bin\.csv/,
    ],
    ["missing file", ["--data", join(tmp, "nope.csv")], /nope\.csv.*not found/],
    [
      "many one- and two-row classes",
      [
        "--target",
        "label",
        "--data",
        await write(
          "tiny_classes.csv",
          ["x,label", ...Array.from({ length: 450 }, (_, i) => `${i},c${i % 300}`)].join("\n"),
        ),
      ],
      /at least 3 rows for one test row.*'c150' \(1 row\).*and 295 more/,
    ],
    ["--trees 0", ["--trees", "0"], /--trees.*'0' is invalid/],
    ["--trees -5", ["--trees", "-5"], /--trees.*'-5' is invalid/],
    ["--trees abc", ["--trees", "abc"], /--trees.*'abc' is invalid/],
    ["--max-depth -1", ["--max-depth", "-1"], /--max-depth.*invalid/],
    ["--min-samples-leaf x", ["--min-samples-leaf", "x"], /--min-samples-leaf.*invalid/],
    ["--max-features 2.5", ["--max-features", "2.5"], /--max-features.*invalid/],
    ["--test-size 1.5", ["--test-size", "1.5"], /--test-size.*invalid/],
    ["--criterion bogus", ["--criterion", "bogus"], /--criterion.*bogus/],
    ["unknown flag", ["--bogus"], /unknown option '--bogus'/],
  ];
  // Processes run concurrently; assertions run as sequential steps.
  const results = await Promise.all(
    cases.map(([, args]) => mlops("train", "--no-track", "--out", join(tmp, "bad"), ...args)),
  );
  for (const [i, [name, , pattern]] of cases.entries()) {
    const r = results[i];
    await t.step(name, () => {
      assert.notEqual(r.code, 0, `${name}: exit 0`);
      assert.match(r.stderr, pattern, `${name}: ${r.stderr}`);
      assert.doesNotMatch(
        r.stderr,
        /\n\s+at |Uncaught|Error:/,
        `${name}: stack trace: ${r.stderr}`,
      );
      assert.equal(r.stderr.trim().split("\n").length, 1, `${name}: not one line: ${r.stderr}`);
    });
  }
});

Deno.test("--help works on every command", async () => {
  for (const cmd of [[], ["train"], ["predict"]]) {
    const r = await mlops(...cmd, "--help");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: mlops/);
  }
});

Deno.test("train logs the run to MLflow: params, metrics, dataset input, model artifact", async () => {
  const store = join(tmp, "mlruns");
  const r = await mlops(
    "train",
    "--trees",
    "10",
    "--out",
    join(tmp, "tracked"),
    "--tracking-uri",
    store,
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.match(j.run_id, /^[0-9a-f]{32}$/);
  const runDir = join(store, j.experiment_id, j.run_id);
  assert.equal((await Deno.readTextFile(join(runDir, "params", "n_estimators"))).trim(), "10");
  assert.equal((await Deno.readTextFile(join(runDir, "params", "max_depth"))).trim(), "None");
  const acc = (await Deno.readTextFile(join(runDir, "metrics", "accuracy"))).trim().split(" ");
  assert.equal(Number(acc[1]), j.metrics.accuracy);
  for (const m of ["f1", "roc_auc", "log_loss", "oob_score", "fit_time_ms"]) {
    await Deno.stat(join(runDir, "metrics", m));
  }
  // The model is the run's logged model (MLflow 3): <experiment>/models/<id>/artifacts.
  const [output] = (await new FileStore(store).getRun(j.run_id)).outputs;
  const modelDir = join(store, j.experiment_id, "models", output.modelId, "artifacts");
  await Deno.stat(join(modelDir, "model.mlops.json"));
  assert.match(await Deno.readTextFile(join(modelDir, "MLmodel")), /mlops_forest/);
  await Deno.stat(join(runDir, "artifacts", "plots", "roc_curve.svg"));
  assert.equal(
    (await Deno.readTextFile(join(runDir, "tags", "mlflow.source.type"))).trim(),
    "LOCAL",
  );
  const inputs = [...Deno.readDirSync(join(runDir, "inputs"))];
  assert.equal(inputs.length, 1);
  // Registered as a model version pointing at the run's model artifact.
  assert.deepEqual(j.registered_model, { name: "telco-customer-churn", version: "1" });
  const mv = await Deno.readTextFile(
    join(store, "models", "telco-customer-churn", "version-1", "meta.yaml"),
  );
  assert.match(mv, new RegExp(`run_id: ${j.run_id}`));
  const viaRegistry = await mlops(
    "predict",
    "--model",
    "models:/telco-customer-churn/1",
    "--tracking-uri",
    store,
    "--data",
    TELCO,
    "--json",
    "--out",
    join(tmp, "r.csv"),
  );
  assert.equal(viaRegistry.code, 0, viaRegistry.stderr);
  // Through the registry the model is the registered version, not the run's unnumbered bundle.
  assert.deepEqual(JSON.parse(viaRegistry.stdout).model, {
    name: "telco-customer-churn",
    version: "1",
  });
  // The logged model can be predicted from directly: its folder, or models:/<model id>.
  for (const model of [modelDir, `models:/${output.modelId}`]) {
    const p = await mlops(
      "predict",
      "--model",
      model,
      "--tracking-uri",
      store,
      "--data",
      TELCO,
      "--json",
      "--out",
      join(tmp, "p.csv"),
    );
    assert.equal(p.code, 0, p.stderr);
    assert.equal(JSON.parse(p.stdout).rows, 7043);
    assert.equal(JSON.parse(p.stdout).model.version, null);
  }
});
