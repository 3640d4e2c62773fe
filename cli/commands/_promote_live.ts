/**
 * `mlops promote --live`: the champion/challenger comparison on live
 * feedback, read from Prometheus, as a table (or JSON), and the promotion
 * it allows.
 *
 * @module
 */
import type { LiveModel, LiveResult } from "../../lib/registry/mod.ts";
import { fmtConfidence } from "../../lib/registry/mod.ts";

/** The comparison and outcome as one JSON object (full precision). */
export function liveJson(r: LiveResult) {
  const c = r.comparison;
  const side = (m: LiveModel) => ({
    version: m.version,
    feedback: m.feedback,
    correct: m.correct,
    incorrect: m.incorrect,
    accuracy: m.accuracy?.estimate ?? null,
    lower: m.accuracy?.lower ?? null,
    upper: m.accuracy?.upper ?? null,
  });
  const done = r.status === "promoted";
  return {
    promoted: done,
    status: r.status,
    dry_run: r.status === "dry-run",
    rejected: r.status === "rejected" || (r.status === "dry-run" && r.wouldBe === "rejected"),
    would_promote: done || (r.status === "dry-run" && r.wouldBe === "promoted"),
    live: true,
    model: r.model,
    alias: "champion",
    version: done ? r.version : r.previousVersion,
    previous_version: r.previousVersion,
    challenger_version: r.challengerVersion,
    prometheus_url: r.prometheusUrl,
    window: r.window,
    confidence: c.confidence,
    min_feedback: c.minFeedback,
    min_delta: c.minDelta,
    champion: side(c.champion),
    challenger: side(c.challenger),
    difference: c.difference,
    reason: r.reason,
    bundle_file: done ? r.bundle.file : null,
    checksum: done ? r.bundle.checksum : null,
  };
}

/** The comparison as a table, then what happened and why. */
export function liveText(r: LiveResult): string {
  const c = r.comparison;
  const ci = `${fmtConfidence(c.confidence)} CI`;
  const num = (v: number) => v.toFixed(4);
  const rows = [
    ["", "version", "feedback", "correct", "accuracy", ci],
    ...[c.champion, c.challenger].map((m) => [
      m.role,
      m.version,
      String(m.feedback),
      String(m.correct),
      m.accuracy ? num(m.accuracy.estimate) : "-",
      m.accuracy ? `[${num(m.accuracy.lower)}, ${num(m.accuracy.upper)}]` : "-",
    ]),
  ];
  if (c.difference) {
    const d = c.difference;
    const s = (v: number) => (v >= 0 ? "+" : "") + num(v);
    rows.push(["difference", "", "", "", s(d.estimate), `[${s(d.lower)}, ${s(d.upper)}]`]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) =>
    row.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ")
      .trimEnd()
  );
  const ref = `${r.model}@champion`;
  const head = r.status === "promoted"
    ? `promoted  ${ref} → version ${r.version} (was ${r.previousVersion})`
    : r.status === "rejected"
    ? `rejected  ${ref} stays at version ${r.previousVersion}`
    : `dry run   ${
      r.wouldBe === "promoted"
        ? `would move ${ref} to version ${r.challengerVersion}`
        : `would leave ${ref} as is`
    }`;
  const lines = [
    `live      feedback of the last ${r.window} from ${r.prometheusUrl}; ` +
    `difference: challenger − champion (Newcombe), need ≥ ${c.minFeedback} per model`,
    ...table,
    head,
    `why       ${r.reason}`,
  ];
  if (r.status === "promoted") lines.push(`bundle    ${r.bundle.file} (${r.bundle.checksum})`);
  return lines.join("\n");
}
