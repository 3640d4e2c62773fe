/**
 * How often FeatureDrift would fire on traffic that has not drifted at all:
 * windows of live instances drawn from the training distribution itself
 * (each feature's training bin shares, stored in the model bundle), scored
 * with the same PSI the recording rule computes (shares floored at 1e-4),
 * at the sample count the alert requires.
 *
 * `deno task drift:false-alarms [--model DIR] [--samples N] [--trials 20000]`
 * prints the table for a bundle (default: the Telco data in `data/`);
 * monitoring/README.md quotes the result.
 *
 * Windows are treated as independent draws per feature. The alert also needs
 * PSI above the threshold for 15 minutes running over an hour's sliding
 * window, so these per-window rates bound the real rate from above.
 *
 * @module
 */
import { type FeatureStats, psi } from "../lib/data/mod.ts";
import { type Rng, rng } from "../lib/rng.ts";
import { DRIFT_MIN_SAMPLES, DRIFT_MIN_SAMPLES_PER_BIN } from "../edge/mod.ts";

/** Thresholds the alert uses (warning, critical). */
export const PSI_THRESHOLDS = [0.2, 0.3] as const;

/** Options for {@link simulateFalseAlarms}. */
export interface FalseAlarmOptions {
  /** Windows simulated per feature. */
  trials: number;
  seed?: number;
  /**
   * Samples per window; default the alert's guard, max(30 × bins, 300).
   * (30 gives the unguarded low-traffic case.)
   */
  samples?: number;
}

/** The sample count FeatureDrift requires of a feature with `bins` bins. */
export function minSamples(bins: number): number {
  return Math.max(DRIFT_MIN_SAMPLES_PER_BIN * bins, DRIFT_MIN_SAMPLES);
}

/** One feature's PSI under no drift. */
export interface FeatureFalseAlarms {
  feature: string;
  bins: number;
  samples: number;
  meanPsi: number;
  p99Psi: number;
  /** Share of windows above each threshold of {@link PSI_THRESHOLDS}. */
  rates: number[];
}

/** Per feature, and for "any feature" (what pages someone). */
export interface FalseAlarmReport {
  features: FeatureFalseAlarms[];
  /** Share of trials in which at least one feature was above each threshold. */
  anyFeature: number[];
  trials: number;
}

/** Draws `n` bin indexes from `cumulative` shares into `counts`. */
function draw(cumulative: Float64Array, n: number, rand: Rng, counts: Float64Array): void {
  counts.fill(0);
  const last = cumulative.length - 1;
  for (let i = 0; i < n; i++) {
    const u = rand() * cumulative[last];
    let lo = 0, hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u < cumulative[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
}

/**
 * Simulates `trials` no-drift windows per feature.
 *
 * @example
 * ```ts
 * import { readBundle } from "../lib/model/mod.ts";
 *
 * const bundle = await readBundle("edge/model/");
 * const report = simulateFalseAlarms(bundle.featureStats, { trials: 2000 });
 * report.anyFeature[0]; // share of windows where some feature's PSI > 0.2
 * ```
 */
export function simulateFalseAlarms(
  stats: readonly FeatureStats[],
  options: FalseAlarmOptions,
): FalseAlarmReport {
  const rand = rng(options.seed ?? 1);
  const usable = stats.filter((s) => s.count > 0 && s.proportions.length > 0);
  const exceeded = PSI_THRESHOLDS.map(() => new Uint8Array(options.trials));
  const features = usable.map((s) => {
    const bins = s.proportions.length;
    const samples = options.samples ?? minSamples(bins);
    const cumulative = new Float64Array(bins);
    s.proportions.reduce((acc, p, i) => (cumulative[i] = acc + p), 0);
    const counts = new Float64Array(bins);
    const values = new Float64Array(options.trials);
    const above = PSI_THRESHOLDS.map(() => 0);
    for (let t = 0; t < options.trials; t++) {
      draw(cumulative, samples, rand, counts);
      const v = psi(s.proportions, counts);
      values[t] = v;
      PSI_THRESHOLDS.forEach((th, i) => {
        if (v > th) {
          above[i]++;
          exceeded[i][t] = 1;
        }
      });
    }
    values.sort();
    return {
      feature: s.name,
      bins,
      samples,
      meanPsi: values.reduce((a, b) => a + b, 0) / values.length,
      p99Psi: values[Math.min(values.length - 1, Math.floor(0.99 * values.length))],
      rates: above.map((a) => a / options.trials),
    };
  });
  return {
    features,
    anyFeature: exceeded.map((e) => e.reduce((a, b) => a + b, 0) / options.trials),
    trials: options.trials,
  };
}

/** The report as a text table. */
export function formatReport(r: FalseAlarmReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 2)}%`;
  const lines = [
    `feature                 bins  samples  mean PSI  p99 PSI  P(>0.2)  P(>0.3)`,
    ...r.features.map((f) =>
      [
        f.feature.padEnd(22).slice(0, 22),
        String(f.bins).padStart(5),
        String(f.samples).padStart(8),
        f.meanPsi.toFixed(4).padStart(9),
        f.p99Psi.toFixed(4).padStart(8),
        pct(f.rates[0]).padStart(8),
        pct(f.rates[1]).padStart(8),
      ].join(" ")
    ),
    `any feature (${r.trials} windows)${" ".repeat(21)}${pct(r.anyFeature[0]).padStart(8)} ${
      pct(r.anyFeature[1]).padStart(8)
    }`,
  ];
  return lines.join("\n");
}

async function main(args: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const trials = Number(flag("--trials") ?? 20000);
  const samples = flag("--samples");
  let stats: FeatureStats[];
  const model = flag("--model");
  if (model) {
    const { readBundle } = await import("../lib/model/mod.ts");
    stats = (await readBundle(model)).featureStats;
  } else {
    const { featureStats, inferSchema, readCsvFile } = await import("../lib/data/mod.ts");
    const table = await readCsvFile(
      decodeURIComponent(new URL("../data/telco-customer-churn.csv", import.meta.url).pathname),
    );
    stats = featureStats(inferSchema(table, { target: "Churn" }), table);
  }
  const report = simulateFalseAlarms(stats, {
    trials,
    ...(samples ? { samples: Number(samples) } : {}),
  });
  console.log(formatReport(report));
}

if (import.meta.main) await main(Deno.args);
