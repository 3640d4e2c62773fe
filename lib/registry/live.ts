/**
 * Promotion from live traffic: the edge serves the registry's `champion`
 * and `challenger` side by side (shadow or split), users send feedback, and
 * Prometheus counts each model version's correct and incorrect answers
 * (`mlops_feedback_total`). This reads those counts for the two versions
 * the aliases point to, and moves `champion` to the challenger's version
 * only when both have enough feedback and the lower confidence bound of
 * (challenger − champion) accuracy clears `minDelta` — a bound, not a point
 * estimate, so a lucky hundred requests do not replace a model.
 *
 * @module
 */
import type { ModelVersion, TrackingStore } from "../mlflow/mod.ts";
import type { WrittenBundle } from "../model/mod.ts";
import { type Interval, newcombeInterval, wilsonInterval } from "../metrics/mod.ts";
import { BackendError } from "../backend_http.ts";
import { instantQuery } from "../prometheus.ts";
import { OptionError, type OptionNamer, UserError } from "../errors.ts";
import { redactUri } from "../redact.ts";
import { exportEdgeBundle, fetchVersionBundle } from "./edge_bundle.ts";
import { checkMinDelta } from "./gate.ts";
import { PROMOTE_TAGS } from "./tags.ts";
import { actor, currentVersion, exclusive, modelNameFor, moveAlias, nowIso } from "./_registry.ts";

/** The Prometheus the CLI reads when no URL is given. */
export const DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090";

/** Defaults of the live gate. */
export const LIVE_DEFAULTS = {
  /** How far back feedback counts (a PromQL range). */
  window: "7d",
  /** Labelled predictions each model needs before the gate decides. */
  minFeedback: 200,
  /** Two-sided confidence of the intervals. */
  confidence: 0.95,
  /** Required lower bound of (challenger − champion) accuracy. */
  minDelta: 0,
} as const;

/** One model's feedback over the window. */
export interface FeedbackCount {
  version: string;
  correct: number;
  incorrect: number;
}

/** One model's side of the comparison. */
export interface LiveModel extends FeedbackCount {
  role: "champion" | "challenger";
  /** correct + incorrect. */
  feedback: number;
  /** Live accuracy with its Wilson interval; null without feedback. */
  accuracy: Interval | null;
}

/** What the live gate saw and decided. */
export interface LiveComparison {
  champion: LiveModel;
  challenger: LiveModel;
  /** Challenger − champion accuracy, Newcombe's interval; null without feedback on either. */
  difference: Interval | null;
  confidence: number;
  minFeedback: number;
  minDelta: number;
}

/** The live gate's verdict. */
export interface LiveGate {
  pass: boolean;
  /** Why; names `minDelta` as {@link decideLive}'s `name` spells it. */
  reason: string;
  comparison: LiveComparison;
}

/** How the live gate decides. */
export interface LiveGateOptions {
  minFeedback: number;
  minDelta: number;
  confidence: number;
}

/**
 * The live gate, pure: enough feedback on both models, then the lower bound
 * of the accuracy difference strictly above `minDelta`. The reason names
 * the options it mentions `name(option)`, as an `OptionError` does (default:
 * as they are called here; the CLI passes its flags).
 *
 * @example
 * ```ts
 * import { decideLive } from "./live.ts";
 *
 * const g = decideLive(
 *   { version: "3", correct: 960, incorrect: 240 },
 *   { version: "4", correct: 340, incorrect: 60 },
 *   { minFeedback: 200, minDelta: 0, confidence: 0.95 },
 * );
 * g.pass; // true: +0.05, 95% CI [+0.006, +0.089]
 * ```
 */
export function decideLive(
  champion: FeedbackCount,
  challenger: FeedbackCount,
  o: LiveGateOptions,
  name: OptionNamer = (option) => option,
): LiveGate {
  checkLiveOptions(o);
  const side = (c: FeedbackCount, role: LiveModel["role"]): LiveModel => {
    const feedback = c.correct + c.incorrect;
    return {
      ...c,
      role,
      feedback,
      accuracy: feedback > 0 ? wilsonInterval(c.correct, feedback, o.confidence) : null,
    };
  };
  const a = side(champion, "champion");
  const b = side(challenger, "challenger");
  const difference = a.feedback > 0 && b.feedback > 0
    ? newcombeInterval(a.correct, a.feedback, b.correct, b.feedback, o.confidence)
    : null;
  const comparison = { champion: a, challenger: b, difference, ...o };
  const few = [b, a].find((m) => m.feedback < o.minFeedback);
  if (few) {
    return {
      pass: false,
      comparison,
      reason: `not promoted: need ≥ ${o.minFeedback} labelled predictions per model, ` +
        `${few.role} has ${few.feedback}`,
    };
  }
  const d = difference!;
  const pct = `${fmtConfidence(o.confidence)} CI`;
  const verdict = `challenger version ${b.version} vs champion version ${a.version}: ` +
    `accuracy ${signed(d.estimate)}, ${pct} [${signed(d.lower)}, ${signed(d.upper)}]`;
  if (d.lower > o.minDelta) {
    return {
      pass: true,
      comparison,
      reason: `${verdict}; the lower bound is above ${name("minDelta")} ${o.minDelta}`,
    };
  }
  return {
    pass: false,
    comparison,
    reason: `not promoted: ${verdict}; the lower bound is not above ${
      name("minDelta")
    } ${o.minDelta}`,
  };
}

function checkLiveOptions(o: LiveGateOptions): void {
  if (!(Number.isInteger(o.minFeedback) && o.minFeedback >= 1)) {
    throw new OptionError(
      "minFeedback",
      (name) => `${name("minFeedback")} ${o.minFeedback}: expected a whole number >= 1`,
    );
  }
  checkMinDelta(o.minDelta, 1);
  if (!(o.confidence > 0 && o.confidence < 1)) {
    throw new OptionError(
      "confidence",
      (name) =>
        `${name("confidence")} ${o.confidence}: expected a number between 0 and 1, e.g. 0.95`,
    );
  }
}

/** "95%" for 0.95. */
export function fmtConfidence(c: number): string {
  return `${Number((c * 100).toFixed(4))}%`;
}

function signed(v: number): string {
  const t = v.toFixed(4);
  return v >= 0 ? `+${t}` : t;
}

/**
 * The PromQL of the comparison: feedback over `window`, summed over edge
 * instances and roles, per version and outcome, for one model.
 *
 * @example
 * ```ts
 * import { feedbackQuery } from "./live.ts";
 *
 * feedbackQuery("churn", "7d");
 * // 'sum by (model_version, outcome) (increase(mlops_feedback_total{model_name="churn"}[7d]))'
 * ```
 */
export function feedbackQuery(model: string, window: string): string {
  checkWindow(window);
  const name = model.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `sum by (model_version, outcome) (increase(mlops_feedback_total{model_name="${name}"}[${window}]))`;
}

function checkWindow(window: string): void {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(window)) {
    throw new OptionError(
      "window",
      (name) => `${name("window")} ${window}: expected a Prometheus duration like 7d, 24h or 1h30m`,
    );
  }
}

/**
 * Feedback counts per version of `model` over `window`, from Prometheus.
 * `increase()` extrapolates to the window's edges, so counts are rounded;
 * what the edge counted before Prometheus first scraped it is not seen.
 */
export async function readFeedback(
  prometheusUrl: string,
  model: string,
  window: string,
): Promise<Map<string, FeedbackCount>> {
  let samples;
  try {
    samples = await instantQuery(prometheusUrl, feedbackQuery(model, window));
  } catch (e) {
    if (e instanceof BackendError) {
      throw new UserError(`cannot read live feedback: ${e.message}`, { code: "PROMETHEUS" });
    }
    throw e;
  }
  const out = new Map<string, FeedbackCount>();
  for (const s of samples) {
    const version = s.labels.model_version;
    const outcome = s.labels.outcome;
    if (!version || (outcome !== "correct" && outcome !== "incorrect")) continue;
    const c = out.get(version) ?? { version, correct: 0, incorrect: 0 };
    c[outcome] += Number.isFinite(s.value) && s.value > 0 ? Math.round(s.value) : 0;
    out.set(version, c);
  }
  return out;
}

/** What to compare and how. */
export interface LiveOptions extends Partial<LiveGateOptions> {
  store: TrackingStore;
  /** Registered model name (default: the most recent sweep's experiment name). */
  model?: string;
  /** Prometheus base URL. */
  prometheusUrl: string;
  /** Feedback range, a PromQL duration (default 7d). */
  window?: string;
  /** The champion's edge bundle directory. */
  out: string;
  dryRun?: boolean;
  /** Why, in the user's words; recorded on the version. */
  reason?: string;
  /**
   * How the gate's reason (returned and recorded on the version) names
   * options; default as this API does, the CLI passes its flags.
   */
  optionName?: OptionNamer;
  /** Clock (tests). */
  now?: () => Date;
}

/** What every outcome of a live promotion tells. */
export interface LiveOutcome {
  model: string;
  /** The champion's version before. */
  previousVersion: string;
  /** The challenger's version. */
  challengerVersion: string;
  window: string;
  prometheusUrl: string;
  comparison: LiveComparison;
  reason: string;
}

/**
 * The outcome, keyed on `status`: `promoted` (champion moved to the
 * challenger's version, bundle exported), `rejected` (the gate refused,
 * nothing changed) or `dry-run` (`wouldBe` tells which).
 */
export type LiveResult =
  | LiveOutcome & { status: "promoted"; version: string; bundle: WrittenBundle }
  | LiveOutcome & { status: "rejected" }
  | LiveOutcome & { status: "dry-run"; wouldBe: "promoted" | "rejected" };

/**
 * Compares champion and challenger on live feedback and promotes the
 * challenger when the gate passes.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { promoteLive } from "./live.ts";
 *
 * const r = await promoteLive({
 *   store: openStore(),
 *   model: "churn",
 *   prometheusUrl: "http://127.0.0.1:9090",
 *   out: "edge/model",
 *   minFeedback: 500,
 * });
 * console.log(r.status, r.comparison.difference);
 * ```
 */
export async function promoteLive(o: LiveOptions): Promise<LiveResult> {
  const { store } = o;
  const gate: LiveGateOptions = {
    minFeedback: o.minFeedback ?? LIVE_DEFAULTS.minFeedback,
    minDelta: o.minDelta ?? LIVE_DEFAULTS.minDelta,
    confidence: o.confidence ?? LIVE_DEFAULTS.confidence,
  };
  checkLiveOptions(gate);
  const window = o.window ?? LIVE_DEFAULTS.window;
  checkWindow(window);
  const prometheusUrl = checkPrometheusUrl(o.prometheusUrl);
  const { model } = await modelNameFor(store, o.model, undefined);
  if (!await store.getRegisteredModel(model)) {
    throw new OptionError(
      "live",
      (name) => `${name("live")}: no registered model '${model}' in ${store.uri}`,
      { code: "NO_MODEL" },
    );
  }
  const champion = await aliased(store, model, "champion", "promote a model first (mlops promote)");
  const challenger = await aliased(
    store,
    model,
    "challenger",
    "export one for the edge first (mlops promote --alias challenger)",
  );
  if (champion.version === challenger.version) {
    throw new UserError(
      `${model}@challenger is version ${challenger.version}, which is already the champion`,
      { code: "BAD_INPUT" },
    );
  }
  const counts = await readFeedback(prometheusUrl, model, window);
  for (const [mv, role] of [[champion, "champion"], [challenger, "challenger"]] as const) {
    if (!counts.has(mv.version)) {
      throw new UserError(
        `no mlops_feedback_total series for ${model} version ${mv.version} (${role}) in the last ` +
          `${window} at ${redactUri(prometheusUrl)}: is the edge serving it, ` +
          `with feedback, and scraped?`,
        { code: "NO_SERIES" },
      );
    }
  }
  const g = decideLive(
    counts.get(champion.version)!,
    counts.get(challenger.version)!,
    gate,
    o.optionName,
  );
  const base: Omit<LiveOutcome, "reason"> = {
    model,
    previousVersion: champion.version,
    challengerVersion: challenger.version,
    window,
    prometheusUrl: redactUri(prometheusUrl),
    comparison: g.comparison,
  };
  if (o.dryRun) {
    return {
      ...base,
      status: "dry-run",
      wouldBe: g.pass ? "promoted" : "rejected",
      reason: g.reason,
    };
  }
  if (!g.pass) return { ...base, status: "rejected", reason: g.reason };

  // Read the bundle before touching the registry: a broken model must not become champion.
  const bundle = await fetchVersionBundle(store, model, challenger.version);
  return await exclusive(store, false, model, async () => {
    const now = nowIso(o.now);
    const reason = o.reason ? `${o.reason} (${g.reason})` : g.reason;
    await moveAlias(store, model, "champion", champion.version, challenger.version);
    const c = g.comparison;
    const tags: Record<string, string> = {
      [PROMOTE_TAGS.by]: actor(),
      [PROMOTE_TAGS.at]: now,
      [PROMOTE_TAGS.reason]: reason,
      [PROMOTE_TAGS.gate]: "live",
      [PROMOTE_TAGS.metric]: "live_accuracy",
      [PROMOTE_TAGS.minDelta]: String(gate.minDelta),
      [PROMOTE_TAGS.previous]: champion.version,
      "mlops.live.window": window,
      "mlops.live.confidence": String(gate.confidence),
      "mlops.live.feedback": String(c.challenger.feedback),
      "mlops.live.accuracy": String(c.challenger.accuracy!.estimate),
      "mlops.live.champion_feedback": String(c.champion.feedback),
      "mlops.live.champion_accuracy": String(c.champion.accuracy!.estimate),
      "mlops.live.difference_lower": String(c.difference!.lower),
      "mlops.live.difference_upper": String(c.difference!.upper),
    };
    for (const [k, v] of Object.entries(tags)) {
      await store.setModelVersionTag(model, challenger.version, k, v);
    }
    const written = await exportEdgeBundle(bundle, o.out, {
      name: model,
      version: challenger.version,
      promotedAt: now,
    });
    return { ...base, status: "promoted", version: challenger.version, reason, bundle: written };
  });
}

async function aliased(
  store: TrackingStore,
  model: string,
  alias: "champion" | "challenger",
  hint: string,
): Promise<ModelVersion> {
  const mv = await currentVersion(store, model, alias);
  if (!mv) {
    throw new OptionError(
      "live",
      (name) => `${name("live")}: ${model} has no ${alias} alias: ${hint}`,
      { code: "NO_MODEL" },
    );
  }
  return mv;
}

/** An http(s) URL with no query or fragment, as given; else a one-line error. */
function checkPrometheusUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OptionError(
      "prometheusUrl",
      (name) =>
        `${name("prometheusUrl")} ${
          redactUri(url)
        }: not a URL (expected e.g. http://127.0.0.1:9090)`,
    );
  }
  if (!/^https?:$/.test(u.protocol) || u.search || u.hash) {
    throw new OptionError(
      "prometheusUrl",
      (name) =>
        `${name("prometheusUrl")} ${
          redactUri(url)
        }: expected an http(s) URL without query, e.g. http://127.0.0.1:9090`,
    );
  }
  return url;
}
