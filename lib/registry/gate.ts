/**
 * The promotion gate: does a candidate's holdout metric beat the current
 * champion's by enough? Pure, so every edge of the rule (ties, text
 * round-trips, `minDelta`, metrics where lower wins) is tested as a table.
 *
 * @module
 */
import { OptionError, type OptionNamer } from "../errors.ts";
import { improvement, metricDirection } from "../sweep/mod.ts";

/** What the gate compares. */
export interface GateInput {
  metric: string;
  /** The candidate's value of `metric`. */
  candidate: number;
  /** The current champion's value, null when it has none on record. */
  champion: number | null;
  /** The version the alias points to now, null when it points nowhere. */
  currentVersion: string | null;
  /** Required improvement, in the metric's own units (>= 0). */
  minDelta: number;
  /** The candidate's run, named in the reason. */
  runId: string;
  /** Skip the comparison. */
  force?: boolean;
}

/**
 * The gate's verdict. Its `reason` names options (`minDelta`, `force`) as
 * {@link decide}'s `name` spells them: as this API does by default, as flags
 * in the CLI.
 */
export type Gate =
  | { pass: true; kind: "first" | "passed" | "forced"; reason: string }
  | { pass: false; kind: "rejected"; reason: string };

/**
 * Tolerance of the comparison: metrics that went through text (MLflow
 * stores them as strings in places) must not lose or win by rounding.
 */
export const GATE_EPSILON = 1e-12;

/**
 * Checks a required improvement (`minDelta`): a finite number >= 0, and below
 * `limit` when there is one (a live comparison's accuracy difference stays
 * below 1). The one check of it: the CLI only turns `--min-delta` into a number.
 *
 * @example
 * ```ts
 * import { checkMinDelta } from "./gate.ts";
 *
 * checkMinDelta(0.01); // ok
 * checkMinDelta(1, 1); // throws: minDelta 1: expected a number >= 0 and < 1
 * ```
 */
export function checkMinDelta(minDelta: number, limit = Infinity): void {
  if (!(Number.isFinite(minDelta) && minDelta >= 0 && minDelta < limit)) {
    const range = limit === Infinity ? ">= 0" : `>= 0 and < ${limit}`;
    throw new OptionError(
      "minDelta",
      (name) => `${name("minDelta")} ${minDelta}: expected a number ${range}`,
    );
  }
}

/**
 * Decides a promotion. "Beats" means strictly better — a tie never churns
 * the champion — and by at least `minDelta`, both within
 * {@link GATE_EPSILON}. The first model of an alias always passes; a
 * champion with no value of the metric cannot be beaten without `force`.
 * The reason names the options it mentions `name(option)`, as an
 * `OptionError` does (default: as they are called here).
 *
 * @example
 * ```ts
 * import { decide } from "./gate.ts";
 *
 * const g = decide({
 *   metric: "log_loss",
 *   candidate: 0.40,
 *   champion: 0.45,
 *   currentVersion: "3",
 *   minDelta: 0.01,
 *   runId: "abc",
 * });
 * g.pass; // true: 0.05 lower is 0.05 better
 * g.reason; // "log_loss 0.4 of run abc vs version 3's 0.45: +0.05, beats it by at least minDelta 0.01"
 * ```
 */
export function decide(g: GateInput, name: OptionNamer = (o) => o): Gate {
  const fmt = (v: number) => Number(v.toFixed(6)).toString();
  const cand = `${g.metric} ${fmt(g.candidate)} of run ${g.runId}`;
  if (g.currentVersion === null) {
    return { pass: true, kind: "first", reason: `${cand}; no current champion` };
  }
  const champ = `version ${g.currentVersion}'s ${
    g.champion === null ? "(unknown)" : fmt(g.champion)
  }`;
  if (g.force) {
    return {
      pass: true,
      kind: "forced",
      reason: `${cand} vs ${champ}; gate skipped (${name("force")})`,
    };
  }
  if (g.champion === null) {
    return {
      pass: false,
      kind: "rejected",
      reason: `cannot compare: version ${g.currentVersion} has no ${g.metric} on record (pass ${
        name("force")
      } to promote anyway)`,
    };
  }
  const delta = improvement(g.candidate, g.champion, metricDirection(g.metric));
  const verdict = `${cand} vs ${champ}: ${delta >= 0 ? "+" : ""}${fmt(delta)}`;
  if (delta > GATE_EPSILON && delta + GATE_EPSILON >= g.minDelta) {
    return {
      pass: true,
      kind: "passed",
      reason: `${verdict}, beats it by at least ${name("minDelta")} ${g.minDelta}`,
    };
  }
  const why = delta <= GATE_EPSILON ? "not better" : `less than ${name("minDelta")} ${g.minDelta}`;
  return { pass: false, kind: "rejected", reason: `not promoted: ${verdict}, ${why}` };
}
