/**
 * Targets with hundreds or thousands of classes train through the CLI: no
 * structure on the class axis may be built by spreading it into a call
 * (stack overflow past ~350 classes) or squared (a 10,000-class confusion
 * matrix is 10^8 cells). Plots and the confusion matrix summarise the
 * classes with the most support plus one "other" row and column.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parseCsv } from "../lib/data/csv.ts";
import { mlopsProcess as mlops, runCommand } from "./support/cli.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const tmp = await Deno.makeTempDir({ prefix: "mlops-many-classes-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** A CSV where class k (of `k`) has `perClass` rows around x1 = k. */
async function manyClassCsv(name: string, k: number, perClass: number): Promise<string> {
  const lines = ["x1,x2,colour,label"];
  let s = 7;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let r = 0; r < k * perClass; r++) {
    const c = r % k;
    lines.push(`${(c + rand() / 2).toFixed(3)},${rand().toFixed(3)},c${c % 7},class_${c}`);
  }
  const p = join(tmp, name);
  await Deno.writeTextFile(p, lines.join("\n") + "\n");
  return p;
}

/** `train` on `csv` with a target column `label`, writing under `out`. */
const trainArgs = (csv: string, out: string, trees: number) => [
  "train",
  "--data",
  csv,
  "--target",
  "label",
  "--trees",
  String(trees),
  "--out",
  out,
  "--no-track",
  "--json",
];

Deno.test("train and predict with 400 classes: summarised confusion matrix and plot", async () => {
  const csv = await manyClassCsv("k400.csv", 400, 5);
  const out = join(tmp, "k400");
  const r = await mlops(...trainArgs(csv, out, 5));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const j = JSON.parse(r.stdout);
  assert.equal(j.classes.length, 400);
  // 50 classes by support, then one row and column for the 350 others.
  const labels: string[] = j.confusion_labels;
  assert.equal(labels.length, 51);
  assert.equal(labels[50], "(350 other classes)");
  assert.equal(j.confusion_matrix.length, 51);
  for (const row of j.confusion_matrix) assert.equal(row.length, 51);
  const total = (j.confusion_matrix as number[][]).flat().reduce((a, b) => a + b, 0);
  assert.equal(total, j.n_test, "every holdout row is counted once");
  for (const l of labels.slice(0, 50)) assert.ok(j.classes.includes(l), l);
  const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
  assert.deepEqual(metrics.confusion, j.confusion_matrix);
  assert.deepEqual(metrics.confusion_labels, labels);
  const svg = await Deno.readTextFile(join(out, "plots", "confusion_matrix.svg"));
  assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  assert.ok(svg.includes("350 other classes"));
  assert.ok(svg.length < 2_000_000, `confusion plot is ${svg.length} bytes`);
  assert.ok(j.metrics.accuracy > 0.5, `accuracy ${j.metrics.accuracy}`);

  const pred = join(tmp, "k400_pred.csv");
  const p = await mlops("predict", "--model", j.model_path, "--data", csv, "--out", pred);
  assert.equal(p.code, 0, p.stderr);
  const table = parseCsv(await Deno.readTextFile(pred), "pred");
  assert.equal(table.header.length, 401);
  assert.equal(table.rows.length, 2000);
});

Deno.test("2,000 classes train in bounded memory", async () => {
  const k = 2000, perClass = 5, trees = 4;
  const csv = await manyClassCsv("k2000.csv", k, perClass);
  const out = join(tmp, "k2000");
  // The child reports its own peak resident set (Linux); elsewhere only the exit code counts.
  const probe = join(tmp, "peak.ts");
  await Deno.writeTextFile(
    probe,
    `import { run } from ${JSON.stringify(join(ROOT, "cli/main.ts"))};
const code = await run(Deno.args);
let peak = -1;
try {
  peak = Number(/VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) * 1024;
} catch { /* not Linux */ }
console.error("peak_rss=" + peak);
Deno.exit(code);
`,
  );
  const cmd = await runCommand(Deno.execPath(), [
    "run",
    "-A",
    "--no-check",
    "--config",
    join(ROOT, "deno.json"),
    probe,
    ...trainArgs(csv, out, trees),
  ]);
  const stderr = cmd.stderr;
  assert.equal(cmd.code, 0, stderr);
  const j = JSON.parse(cmd.stdout);
  assert.equal(j.classes.length, k);
  const peak = Number(/peak_rss=(-?\d+)/.exec(stderr)![1]);
  if (peak < 0) return;
  // What is built, each linear in the classes: the forest (its bundle), the
  // out-of-bag votes (n_train × K int32) and the holdout probabilities (n_test × K
  // float64). The budget is the runtime's own footprint (about 100 MiB with two
  // workers) plus twice those; dense leaves (leaves × K, quadratic when every class
  // has its own leaves) took this run to 774 MiB.
  const bundle = (await Deno.stat(j.bundle_file)).size;
  const built = bundle + j.n_train * k * 4 + j.n_test * k * 8;
  const budget = 160 * 2 ** 20 + 2 * built;
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(
    `2,000 classes: peak RSS ${mib(peak)} MiB; built ${mib(built)} MiB (bundle ${
      mib(bundle)
    }); budget ${mib(budget)} MiB`,
  );
  assert.ok(peak < budget, `peak RSS ${peak} > budget ${budget}`);
});
