/**
 * FeatureDrift's threshold and sample guard against the training data
 * itself: windows drawn from the Telco training distribution must (almost)
 * never cross PSI 0.2 at the sample count the alert requires, while the
 * unguarded 30-row case the guard exists for crosses it nearly always.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { DRIFT_MIN_SAMPLES, DRIFT_MIN_SAMPLES_PER_BIN } from "../edge/telemetry/drift.ts";
import { featureStats, inferSchema, psi, readCsvFile } from "../lib/data/mod.ts";
import { minSamples, simulateFalseAlarms } from "../monitoring/drift_false_alarms.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const table = await readCsvFile(`${ROOT}data/telco-customer-churn.csv`);
const stats = featureStats(inferSchema(table, { target: "Churn" }), table);

Deno.test("drift false alarms: undrifted windows at the guard's sample count stay below 0.2", () => {
  const report = simulateFalseAlarms(stats, { trials: 3000, seed: 7 });
  assert.equal(report.features.length, 19);
  for (const f of report.features) {
    assert.equal(f.samples, minSamples(f.bins));
    assert.ok(f.samples >= 300 && f.samples >= 30 * f.bins, f.feature);
    // PSI of undrifted traffic is ~ (bins - 1) / samples: far below 0.1.
    assert.ok(f.meanPsi < 0.05, `${f.feature} mean PSI ${f.meanPsi}`);
  }
  assert.ok(report.anyFeature[0] < 0.002, `P(any feature > 0.2) = ${report.anyFeature[0]}`);
  assert.ok(report.anyFeature[1] <= report.anyFeature[0]);
});

Deno.test("drift false alarms: 30 rows of training data (no guard) page nearly every time", () => {
  const report = simulateFalseAlarms(stats, { trials: 500, seed: 7, samples: 30 });
  assert.ok(report.anyFeature[1] > 0.5, `P(any feature > 0.3) = ${report.anyFeature[1]}`);
  const tenure = report.features.find((f) => f.feature === "tenure")!;
  assert.ok(tenure.meanPsi > 0.3, `tenure at 30 rows: mean PSI ${tenure.meanPsi}`);
});

Deno.test("drift false alarms: the rule's guard and PSI are the edge's and lib's", async () => {
  const rules = parse(await Deno.readTextFile(`${ROOT}monitoring/rules/mlops.rules.yml`)) as {
    groups: { rules: { record?: string; expr: string }[] }[];
  };
  const byName = new Map(
    rules.groups.flatMap((g) => g.rules).map((r) => [r.record ?? "", r.expr.replace(/\s+/g, " ")]),
  );
  assert.equal(
    byName.get("job_feature:mlops_drift_min_samples:count"),
    `clamp_min(${DRIFT_MIN_SAMPLES_PER_BIN} * count by (job, model_name, model_version, model_role, feature) ` +
      `(job_feature_bin:mlops_feature_bin_expected:ratio), ${DRIFT_MIN_SAMPLES})`,
  );
  // The floor the rule applies to empty bins is lib's PSI_EPSILON: the
  // promtool case (90/10 against 50/50 → 0.879) is lib's value too.
  assert.match(byName.get("job_feature_bin:mlops_feature_bin:ratio_1h")!, /, 0\.0001 \)/);
  assert.equal(Math.round(psi([0.5, 0.5], [0.9, 0.1]) * 1000) / 1000, 0.879);
});
