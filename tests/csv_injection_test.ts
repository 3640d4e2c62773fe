/**
 * CSV injection: text from the data (labels, categories, column names) or a
 * tracking server that starts with `=`, `+`, `-`, `@`, tab or CR is a
 * formula to a spreadsheet. Every CSV the CLI writes goes through one
 * `csvCell`, which prefixes such cells with `'` (OWASP) and leaves real
 * numbers such as -1.5, +3 or 1e-3 alone.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { csvCell, parseCsv } from "../lib/data/csv.ts";
import { cvResultsCsv, summarize } from "../lib/sweep/mod.ts";
import type { SweepConfig } from "../lib/sweep/mod.ts";
import { DEFAULT_PARAMS } from "../lib/forest/types.ts";
import { mlopsProcess as mlops } from "./support/cli.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-csv-injection-");

/** A cell a spreadsheet would run: a formula lead, and not a plain number. */
function dangerous(cell: string): boolean {
  return /^[=+\-@\t\r]/.test(cell) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell);
}

async function assertSafeCsv(path: string): Promise<string[][]> {
  const t = parseCsv(await Deno.readTextFile(path), path);
  const cells = [t.header, ...t.rows];
  for (const row of cells) {
    for (const c of row) assert.ok(!dangerous(c), `${path}: formula cell ${JSON.stringify(c)}`);
  }
  return cells;
}

// Hostile column names, categories and labels, and a label that is a real number.
const header = ["=HYPERLINK(1)", "-2+3", "@SUM(1)", "label"];
const rows: string[][] = [];
for (let i = 0; i < 60; i++) {
  const pos = i % 2 === 0;
  rows.push([
    String(pos ? i : -i - 0.5),
    String((i * 7) % 11),
    pos ? "+2-1" : (i % 3 ? "-2+3" : "\tcmd"),
    pos ? "=1+1" : "-1.5",
  ]);
}
const csv = join(tmp, "hostile.csv");
await Deno.writeTextFile(
  csv,
  [header, ...rows].map((r) => r.map((c) => /[",\t]/.test(c) ? `"${c}"` : c).join(",")).join(
    "\n",
  ) + "\n",
);

const data = ["--data", csv, "--target", "label"];

Deno.test("csvCell: formula leads get a ', numbers and plain text do not", () => {
  for (const s of ["=1+1", "+2-1", "-2+3", "@SUM(1)", "\tx", "\rx", "-", "+", "=", "-Infinity"]) {
    assert.ok(csvCell(s).replace(/^"/, "").startsWith("'"), `${JSON.stringify(s)}: ${csvCell(s)}`);
  }
  for (const s of ["-1.5", "+3", "1e-3", "-1e-3", "-.5", "-0", "42", "Yes", "a=b", "'x"]) {
    assert.equal(csvCell(s), s);
  }
  assert.equal(csvCell("=1,2"), `"'=1,2"`);
  assert.equal(csvCell('=A1&"x"'), `"'=A1&""x"""`);
  assert.equal(csvCell("\r=1"), `"'\r=1"`);
});

Deno.test("predictions.csv and feature_importance.csv through the CLI", async () => {
  const out = join(tmp, "out");
  const t = await mlops("train", ...data, "--trees", "5", "--out", out, "--no-track", "--json");
  assert.equal(t.code, 0, t.stderr);
  const j = JSON.parse(t.stdout);
  assert.deepEqual([...j.classes].sort(), ["-1.5", "=1+1"]);

  const imp = await assertSafeCsv(join(out, "feature_importance.csv"));
  const names = imp.slice(1).map((r) => r[0]);
  assert.ok(names.includes("'=HYPERLINK(1)"), names.join(" | "));
  assert.ok(names.includes("'-2+3"), names.join(" | "));
  assert.ok(names.some((n) => n.startsWith("'@SUM(1)")), names.join(" | "));
  for (const r of imp.slice(1)) assert.ok(Number.isFinite(Number(r[1])), r[1]);

  const pred = join(tmp, "predictions.csv");
  const p = await mlops("predict", "--model", j.model_path, "--data", csv, "--out", pred);
  assert.equal(p.code, 0, p.stderr);
  const cells = await assertSafeCsv(pred);
  const labels = new Set(cells.slice(1).map((r) => r[0]));
  assert.deepEqual([...labels].sort(), ["'=1+1", "-1.5"]);
  // stdout CSV is the same text.
  const s = await mlops("predict", "--model", j.model_path, "--data", csv);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout, await Deno.readTextFile(pred));
});

Deno.test("cv_results.csv and the sweep's feature_importance.csv through the CLI", async () => {
  const store = join(tmp, "mlruns");
  const r = await mlops(
    "sweep",
    ...data,
    "--grid",
    "trees=3,4",
    "--cv",
    "2",
    "--tracking-uri",
    store,
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const artifacts = join(store, j.experiment_id, j.parent_run_id, "artifacts");
  const cv = await assertSafeCsv(join(artifacts, "cv_results.csv"));
  assert.equal(cv.length, 3);
  for (const row of cv.slice(1)) assert.equal(row[2], ["3", "4"][cv.indexOf(row) - 1]);
  const imp = await assertSafeCsv(join(artifacts, "feature_importance.csv"));
  assert.ok(imp.some((row) => row[0] === "'=HYPERLINK(1)"));
});

Deno.test("cv_results.csv: a run id from a hostile server is not a formula", () => {
  const config: SweepConfig = { id: "abc", params: { ...DEFAULT_PARAMS }, swept: {} };
  const s = summarize(
    { config, folds: [{ metrics: { accuracy: 0.5, log_loss: 0.7 }, fitMs: 3 }] },
    '=HYPERLINK("http://evil")',
  );
  const text = cvResultsCsv([s]);
  const t = parseCsv(text);
  assert.equal(t.rows[0][1], `'=HYPERLINK("http://evil")`);
  for (const c of [...t.header, ...t.rows[0]]) assert.ok(!dangerous(c), c);
});
