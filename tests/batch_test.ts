/**
 * Batch inference: drift of a table against training (lib/data/drift.ts),
 * the summary and its notification (lib/batch), and `mlops batch` end to
 * end on the bundled Telco data — predictions, summary.json, the MLflow run,
 * one notification on success and one on failure.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readCsvFile } from "../lib/data/csv.ts";
import { tableDrift } from "../lib/data/drift.ts";
import type { RawTable } from "../lib/data/types.ts";
import { batchNotification, summarizeBatch } from "../lib/batch/mod.ts";
import { openStore } from "../lib/mlflow/open.ts";
import { readBundle } from "../lib/model/io.ts";
import { mlopsProcessWith } from "./support/cli.ts";
import { NO_CHANNELS, startReceivers } from "./support/notify_receivers.ts";
import { trainedModel } from "./support/trained_model.ts";

const NO_CHANNELS_OR_MLFLOW = { ...NO_CHANNELS, MLFLOW_TRACKING_URI: "" };

Deno.test("tableDrift: the training data does not drift from itself; a shifted column does", async () => {
  const { modelDir, csv } = await trainedModel();
  const bundle = await readBundle(modelDir);
  const table = await readCsvFile(csv);
  const same = tableDrift(bundle.schema, bundle.featureStats, table);
  assert.equal(same.length, bundle.schema.features.length);
  for (const d of same) assert.ok(d.psi !== null && d.psi < 0.01, `${d.name}: ${d.psi}`);

  const col = table.header.indexOf("tenure");
  const contract = table.header.indexOf("Contract");
  const shifted: RawTable = {
    ...table,
    rows: table.rows.map((r) => {
      const row = [...r];
      row[col] = "0"; // everyone is new
      row[contract] = "Decade-long"; // unseen: counted as unknown, not as a known category
      return row;
    }),
  };
  const drift = tableDrift(bundle.schema, bundle.featureStats, shifted);
  const tenure = drift.find((d) => d.name === "tenure")!;
  assert.ok(tenure.psi! > 1, String(tenure.psi));
  const c = drift.find((d) => d.name === "Contract")!;
  assert.deepEqual([c.n, c.psi], [0, null]);
  // A column the batch lacks is left out rather than reported as drifted.
  const without: RawTable = {
    ...table,
    header: table.header.map((h) => (h === "tenure" ? "x" : h)),
  };
  assert.ok(
    !tableDrift(bundle.schema, bundle.featureStats, without).some((d) => d.name === "tenure"),
  );
});

Deno.test("batchNotification: counts, class mix, drift, and a warning when features drifted", () => {
  const base = {
    model: { name: "churn", version: "3", uri: "models:/churn@champion" },
    data: { source: "data/x.csv", rows: 7043, digest: "d" },
    labels: [...Array(3).fill("No"), "Yes"],
    classes: ["No", "Yes"],
    unknownCategories: { PaymentMethod: 12 },
  };
  const calm = summarizeBatch({
    ...base,
    drift: [{ name: "tenure", kind: "numeric", psi: 0.05, n: 4 }],
  });
  const n = batchNotification(calm, { runId: "abc", experiment: "churn-batch-inference" });
  assert.equal(n.title, "Batch inference: 7,043 rows scored with churn v3");
  assert.equal(n.severity, "info");
  assert.match(n.text, /Predictions: No 3 \(75\.0%\), Yes 1 \(25\.0%\)/);
  assert.match(n.text, /Unknown categories: PaymentMethod ×12/);
  assert.match(n.text, /max 0\.050 \(tenure\); none over 0\.2/);
  assert.match(n.text, /MLflow run: abc \(churn-batch-inference\)/);
  const drifted = summarizeBatch({
    ...base,
    drift: [{ name: "tenure", kind: "numeric", psi: 0.9, n: 4 }],
  });
  assert.equal(batchNotification(drifted).severity, "warning");
  assert.deepEqual(drifted.drift.drifted, ["tenure"]);
});

/** A loopback server for one CSV, behind a signed URL. */
function csvServer(text: string) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    if (u.pathname !== "/export.csv" || u.searchParams.get("sig") !== "s3cr3t-signature") {
      return new Response("forbidden", { status: 403 });
    }
    return new Response(text, { headers: { "content-type": "text/csv" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/export.csv`, server };
}

Deno.test("mlops batch: bundled data → predictions, summary, an MLflow run, one message", async () => {
  const { modelDir, csv } = await trainedModel();
  const tmp = await Deno.makeTempDir({ prefix: "mlops-batch-" });
  try {
    await using r = await startReceivers();
    const mlruns = join(tmp, "mlruns");
    const out = join(tmp, "out");
    const res = await mlopsProcessWith(
      { ...NO_CHANNELS_OR_MLFLOW, ...r.env("telegram") },
      "batch",
      "--model",
      modelDir,
      "--data",
      csv,
      "--out",
      out,
      "--tracking-uri",
      mlruns,
      "--notify",
      "--url",
      "https://ci.example.com/runs/7",
      "--json",
    );
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout);
    assert.equal(report.status, "ok");
    assert.equal(report.data.rows, 7043);
    const counts = Object.values(report.predictions_by_class) as number[];
    assert.equal(counts.reduce((a, b) => a + b, 0), 7043);
    assert.equal(report.notified, true);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "summary.json"))), report);
    const predictions = (await Deno.readTextFile(join(out, "predictions.csv"))).trim().split("\n");
    assert.equal(predictions.length, 7044);

    // Exactly one message, with the row count people read.
    assert.equal(r.delivered.length, 1);
    assert.equal(r.delivered[0].kind, "telegram");
    assert.match(
      r.delivered[0].text,
      /^ℹ️ Batch inference: 7,043 rows scored with telco-customer-churn/,
    );
    assert.match(r.delivered[0].text, /\(7,043 rows\)/);
    assert.match(r.delivered[0].text, new RegExp(`MLflow run: ${report.run_id}`));

    // The MLflow run: what was scored, with which model, what came out.
    const store = openStore(mlruns);
    const run = await store.getRun(report.run_id);
    const metric = (k: string) => run.data.metrics.find((m) => m.key === k)?.value;
    assert.equal(metric("rows"), 7043);
    assert.equal(metric("pred_count_No")! + metric("pred_count_Yes")!, 7043);
    assert.ok(metric("psi_max")! < 0.01);
    assert.equal(metric("unknown_categories"), 0);
    assert.equal(run.data.params.model_name, "telco-customer-churn");
    assert.equal(run.data.params.model_version, "unregistered");
    assert.equal(run.data.tags["mlops.kind"], "batch-inference");
    assert.equal(run.inputs[0].dataset.digest, report.data.digest);
    const artifacts = await store.listArtifacts(report.run_id);
    assert.ok(artifacts.some((a) => a.path === "summary.json"), JSON.stringify(artifacts));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("mlops batch: a failure sends one critical message and records it in summary.json", async () => {
  const { modelDir } = await trainedModel();
  const tmp = await Deno.makeTempDir({ prefix: "mlops-batch-fail-" });
  try {
    await using r = await startReceivers();
    const out = join(tmp, "out");
    const res = await mlopsProcessWith(
      { ...NO_CHANNELS_OR_MLFLOW, ...r.env("bot") },
      "batch",
      "--model",
      modelDir,
      "--data",
      join(tmp, "missing.csv"),
      "--out",
      out,
      "--no-track",
      "--notify",
    );
    assert.equal(res.code, 2);
    assert.equal(
      res.stderr.trim().split("\n").at(-1),
      `mlops: ${join(tmp, "missing.csv")}: file not found`,
    );
    assert.equal(r.delivered.length, 1);
    assert.equal(r.delivered[0].body.severity, "critical");
    assert.equal(r.delivered[0].body.title, "Batch inference failed");
    assert.match(String(r.delivered[0].body.text), /missing\.csv: file not found/);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    assert.equal(summary.status, "failed");
    assert.equal(summary.notified, true);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("mlops batch: data from a signed URL; the signature is never printed or stored", async () => {
  const { modelDir, csv } = await trainedModel();
  const tmp = await Deno.makeTempDir({ prefix: "mlops-batch-url-" });
  const { url, server } = csvServer(await Deno.readTextFile(csv));
  try {
    const ok = await mlopsProcessWith(
      NO_CHANNELS_OR_MLFLOW,
      "batch",
      "--model",
      modelDir,
      "--data",
      `${url}?sig=s3cr3t-signature`,
      "--out",
      join(tmp, "out"),
      "--tracking-uri",
      join(tmp, "mlruns"),
      "--json",
    );
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.data.rows, 7043);
    assert.equal(report.data.source, `${url}?…`);
    const run = await openStore(join(tmp, "mlruns")).getRun(report.run_id);
    const everything = JSON.stringify(run) + ok.stdout + ok.stderr +
      await Deno.readTextFile(join(tmp, "out/summary.json"));
    assert.ok(!everything.includes("s3cr3t"), "the signature leaked");

    const denied = await mlopsProcessWith(
      NO_CHANNELS_OR_MLFLOW,
      "batch",
      "--model",
      modelDir,
      "--data",
      `${url}?sig=wrong-signature`,
      "--out",
      join(tmp, "out2"),
      "--no-track",
    );
    assert.equal(denied.code, 2);
    assert.equal(denied.stderr.trim(), `mlops: --data ${url}?…: the server answered 403`);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});
