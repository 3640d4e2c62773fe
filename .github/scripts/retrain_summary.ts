/**
 * The retrain job's summary (Markdown for `$GITHUB_STEP_SUMMARY`): the sweep's
 * best candidates, the champion before and after, and the gate's decision,
 * from what `mlops sweep --collect --json` and `mlops promote --json` print.
 *
 * Usage: `deno run --allow-read .github/scripts/retrain_summary.ts out/sweep-summary.json out/promote.json`
 *
 * @module
 */

/** The parts of `mlops sweep --collect --json` used here. */
export interface SweepJson {
  sweep_id: string;
  metric: string;
  run_id: string | null;
  candidates?: {
    config_id: string;
    params: Record<string, string>;
    cv_mean: number;
    cv_std: number;
  }[];
  metrics: Record<string, number | null> | null;
  n_test: number | null;
}

/** The parts of `mlops promote --json` used here. */
export interface PromoteJson {
  promoted: boolean;
  status: string;
  model: string;
  alias: string;
  version: string | null;
  previous_version: string | null;
  metric: string;
  candidate: number | null;
  champion: number | null;
  min_delta: number;
  reason: string;
}

/** A table cell: no pipes or line breaks can break the table. */
function cell(v: unknown): string {
  return String(v ?? "—").replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");
}

function num(v: number | null | undefined): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(4) : "—";
}

/**
 * The Markdown summary.
 *
 * @example
 * ```ts
 * import { retrainSummary } from "./retrain_summary.ts";
 *
 * retrainSummary(
 *   { sweep_id: "42", metric: "accuracy", run_id: "r", candidates: [], metrics: null, n_test: null },
 *   {
 *     promoted: false, status: "rejected", model: "churn", alias: "champion", version: "3",
 *     previous_version: "3", metric: "accuracy", candidate: 0.79, champion: 0.8, min_delta: 0,
 *     reason: "0.7900 does not beat 0.8000",
 *   },
 * ).includes("rejected"); // true
 * ```
 */
export function retrainSummary(sweep: SweepJson, promote: PromoteJson): string {
  const lines = [`### Retrain: sweep ${cell(sweep.sweep_id)}`, ""];
  const candidates = sweep.candidates ?? [];
  if (candidates.length) {
    lines.push(
      `| rank | configuration | cv ${cell(sweep.metric)} (mean ± std) |`,
      "| ---: | --- | --- |",
    );
    candidates.forEach((c, i) => {
      const config = Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(" ") ||
        c.config_id;
      lines.push(`| ${i + 1} | ${cell(config)} | ${num(c.cv_mean)} ± ${num(c.cv_std)} |`);
    });
    lines.push("");
  }
  if (sweep.metrics) {
    const m = sweep.metrics;
    lines.push(
      `Best configuration refit and evaluated on the holdout (${cell(sweep.n_test)} rows): ` +
        `accuracy ${num(m.accuracy)}, f1 ${num(m.f1)}, roc_auc ${num(m.roc_auc)}, ` +
        `log_loss ${num(m.log_loss)}.`,
      "",
    );
  }
  const before = promote.previous_version;
  const after = promote.promoted ? promote.version : before;
  lines.push(
    `| ${cell(promote.model)}@${cell(promote.alias)} | version | holdout ${cell(promote.metric)} |`,
    "| --- | --- | --- |",
    `| before | ${cell(before ?? "none")} | ${num(promote.champion)} |`,
    `| candidate | ${promote.promoted ? cell(promote.version) : "not registered"} | ${
      num(promote.candidate)
    } |`,
    `| after | ${cell(after ?? "none")} | ${
      num(promote.promoted ? promote.candidate : promote.champion)
    } |`,
    "",
    `**Gate (min delta ${promote.min_delta}): ${
      promote.promoted ? "promoted" : cell(promote.status)
    }**: ${cell(promote.reason)}`,
  );
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  const [sweepFile, promoteFile] = Deno.args;
  if (!sweepFile || !promoteFile) {
    console.error("usage: retrain_summary.ts <sweep-summary.json> <promote.json>");
    Deno.exit(2);
  }
  const sweep = JSON.parse(await Deno.readTextFile(sweepFile)) as SweepJson;
  const promote = JSON.parse(await Deno.readTextFile(promoteFile)) as PromoteJson;
  console.log(retrainSummary(sweep, promote));
}
