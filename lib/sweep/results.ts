/**
 * From fold scores to decisions: mean and standard deviation per metric,
 * ranks, the winning configuration, and `cv_results.csv` laid out like
 * scikit-learn's `cv_results_`.
 *
 * @module
 */
import { csvCell } from "../data/mod.ts";
import { OptionError } from "../errors.ts";
import type { ConfigScores, FoldScore } from "./cv.ts";
import type { SweepConfig } from "./grid.ts";
import { HYPERPARAMS } from "./hyperparams.ts";
import { type Direction, METRIC_DIRECTIONS, METRIC_NAMES } from "../metrics/mod.ts";
import { metricDirection, rank } from "./metric.ts";

/** A configuration's cross-validation summary. */
export interface ConfigSummary {
  config: SweepConfig;
  /** The MLflow child run holding it, once logged. */
  runId: string | null;
  folds: FoldScore[];
  /** Mean over folds, per metric present in every fold. */
  mean: Record<string, number>;
  /** Population standard deviation over folds (as scikit-learn). */
  std: Record<string, number>;
  fitMs: { mean: number; std: number };
}

/**
 * Mean and standard deviation of each metric and of fit time.
 *
 * @example
 * ```ts
 * import type { ConfigScores } from "./cv.ts";
 *
 * declare const scores: ConfigScores; // one configuration's fold scores
 * const s = summarize(scores, "0a1b2c3d");
 * s.mean.accuracy; s.std.accuracy;
 * ```
 */
export function summarize(scores: ConfigScores, runId: string | null = null): ConfigSummary {
  const { folds } = scores;
  const keys = Object.keys(folds[0]?.metrics ?? {}).filter((k) =>
    folds.every((f) => Number.isFinite(f.metrics[k]))
  );
  const mean: Record<string, number> = {}, std: Record<string, number> = {};
  for (const k of keys) [mean[k], std[k]] = meanStd(folds.map((f) => f.metrics[k]));
  const [fm, fs] = meanStd(folds.map((f) => f.fitMs));
  return { config: scores.config, runId, folds, mean, std, fitMs: { mean: fm, std: fs } };
}

function meanStd(xs: number[]): [number, number] {
  if (xs.length === 0) return [NaN, NaN];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
  return [m, Math.sqrt(v)];
}

/**
 * The best configuration by mean CV `metric` (ties: the earlier one, as
 * scikit-learn). Errors when no configuration has the metric.
 *
 * @example
 * ```ts
 * declare const summaries: ConfigSummary[];
 * pickBest(summaries, "log_loss").config.id;
 * ```
 */
export function pickBest(summaries: readonly ConfigSummary[], metric: string): ConfigSummary {
  const dir = metricDirection(metric);
  let best: ConfigSummary | null = null;
  for (const s of summaries) {
    const v = s.mean[metric];
    if (v === undefined || Number.isNaN(v)) continue;
    if (!best || better(v, best.mean[metric], dir)) best = s;
  }
  if (!best) {
    const have = [...new Set(summaries.flatMap((s) => Object.keys(s.mean)))];
    throw new OptionError(
      "metric",
      (name) =>
        `${name("metric")} ${metric}: no configuration has this metric (they have: ${
          have.join(", ") || "none"
        })`,
      { code: "BAD_METRIC" },
    );
  }
  return best;
}

function better(a: number, b: number, dir: Direction): boolean {
  return dir === "max" ? a > b : a < b;
}

/**
 * `cv_results.csv`: one row per configuration with `param_<sklearn name>`,
 * `mean_fit_time`/`std_fit_time` (seconds), and per metric
 * `split<k>_test_<m>`, `mean_test_<m>`, `std_test_<m>`, `rank_test_<m>`.
 *
 * @example
 * ```ts
 * declare const summaries: ConfigSummary[];
 * await Deno.writeTextFile("cv_results.csv", cvResultsCsv(summaries));
 * ```
 */
export function cvResultsCsv(summaries: readonly ConfigSummary[]): string {
  const metrics = METRIC_NAMES.filter((m) => summaries.some((s) => s.mean[m] !== undefined));
  const k = Math.max(0, ...summaries.map((s) => s.folds.length));
  const header = [
    "config_id",
    "run_id",
    ...HYPERPARAMS.map((h) => `param_${h.sklearn}`),
    "mean_fit_time",
    "std_fit_time",
  ];
  const ranks: Record<string, number[]> = {};
  for (const m of metrics) {
    for (let f = 0; f < k; f++) header.push(`split${f}_test_${m}`);
    header.push(`mean_test_${m}`, `std_test_${m}`, `rank_test_${m}`);
    ranks[m] = rank(summaries.map((s) => s.mean[m] ?? NaN), METRIC_DIRECTIONS[m]);
  }
  const num = (v: number | undefined) => v === undefined || Number.isNaN(v) ? "" : String(v);
  const rows = summaries.map((s, i) => {
    const cells = [
      s.config.id,
      s.runId ?? "",
      ...HYPERPARAMS.map((h) => {
        const v = s.config.params[h.key];
        return v === null ? "None" : h.format(v);
      }),
      num(s.fitMs.mean / 1000),
      num(s.fitMs.std / 1000),
    ];
    for (const m of metrics) {
      for (let f = 0; f < k; f++) cells.push(num(s.folds[f]?.metrics[m]));
      cells.push(num(s.mean[m]), num(s.std[m]), s.mean[m] === undefined ? "" : String(ranks[m][i]));
    }
    return cells.map(csvCell).join(",");
  });
  return [header.map(csvCell).join(","), ...rows].join("\n") + "\n";
}
