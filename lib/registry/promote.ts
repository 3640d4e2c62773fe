/**
 * Gated promotion: choose a run, compare it with the current champion on
 * the holdout metric, and only if it wins by at least `minDelta` register it
 * as a new version, move the alias to it, record who/when/why (and old vs
 * new metrics) as version tags, and export the edge bundle.
 *
 * Nothing is written when the gate refuses or on a dry run; the result says
 * what happened or would happen, and why.
 *
 * @module
 */
import { type ModelVersion, type Run, type TrackingStore } from "../mlflow/mod.ts";
import { modelOfRun, type ModelRef, registerModelVersion } from "../mlflow/registry.ts";
import type { WrittenBundle } from "../model/mod.ts";
import { OptionError, type OptionNamer, UserError } from "../errors.ts";
import { METRIC_NAMES } from "../metrics/mod.ts";
import { metricDirection, namedExperiment, SWEEP_TAGS } from "../sweep/mod.ts";
import { bestRun, latestSweepExperiment, metricOf } from "./candidates.ts";
import { exportEdgeBundle, fetchBundle, fetchVersionBundle } from "./edge_bundle.ts";
import { checkMinDelta, decide } from "./gate.ts";
import { defaultModelName, metricTag, PROMOTE_TAGS } from "./tags.ts";
import {
  actor,
  type AliasOutcome,
  currentVersion,
  exclusive,
  experimentNameOf,
  moveAlias,
  nowIso,
  tagMetric,
  versionMetric,
} from "./_registry.ts";

/** What to promote and how. */
export interface PromoteOptions {
  store: TrackingStore;
  /** Experiment to pick the best run from (default: the most recent sweep's). */
  experiment?: string;
  /** Promote this run instead of picking one. */
  runId?: string;
  /** Registered model name (default: the experiment name). */
  model?: string;
  /** Decides the best run and the gate (default accuracy). */
  metric?: string;
  /** Required improvement over the champion (default 0). */
  minDelta?: number;
  /** Alias to move (default "champion"). */
  alias?: string;
  /** Edge bundle directory. */
  out: string;
  dryRun?: boolean;
  /** Why, in the user's words; recorded on the version. */
  reason?: string;
  /** Skip the gate. */
  force?: boolean;
  /**
   * How the gate's reason (returned and recorded on the version) names
   * options; default as this API does, the CLI passes its flags.
   */
  optionName?: OptionNamer;
  /** Clock (tests). */
  now?: () => Date;
}

/** What every outcome of a promotion tells. */
export interface PromoteOutcome extends AliasOutcome {
  minDelta: number;
}

/**
 * The outcome, keyed on `status`:
 * - `promoted`: the alias moved to `version` and the bundle was exported;
 * - `unchanged`: the alias already pointed at the run's version (the bundle
 *   was exported again);
 * - `rejected`: the gate refused; nothing changed;
 * - `dry-run`: nothing changed; `wouldBe` is what a real run would report
 *   (`version` is null where a real run would register a new version).
 */
export type PromoteResult =
  | PromoteOutcome & { status: "promoted" | "unchanged"; version: string; bundle: WrittenBundle }
  | PromoteOutcome & { status: "rejected" }
  | PromoteOutcome & {
    status: "dry-run";
    wouldBe: "promoted" | "rejected" | "unchanged";
    version: string | null;
  };

/**
 * Promotes the best (or the given) run per the options.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { promote } from "./promote.ts";
 *
 * const r = await promote({ store: openStore(), out: "edge/model", minDelta: 0.002 });
 * if (r.status === "rejected") console.error(r.reason);
 * if (r.status === "promoted") console.log(r.version, r.bundle.checksum);
 * ```
 */
export async function promote(o: PromoteOptions): Promise<PromoteResult> {
  const metric = o.metric ?? "accuracy";
  metricDirection(metric);
  const alias = o.alias ?? "champion";
  const minDelta = o.minDelta ?? 0;
  checkMinDelta(minDelta);

  const { store } = o;
  let run: Run, experimentName: string | null;
  if (o.runId !== undefined) {
    run = await store.getRun(o.runId);
    experimentName = await experimentNameOf(store, run.info.experimentId);
  } else {
    const exp = o.experiment !== undefined
      ? await namedExperiment(store, o.experiment)
      : await latestSweepExperiment(store);
    experimentName = exp.name;
    run = await bestRun(store, exp.experimentId, exp.name, metric);
  }
  const candidate = metricOf(run, metric);
  if (candidate === undefined) {
    throw new OptionError(
      "run",
      (name) => `${name("run")} ${run.info.runId}: the run has no metric ${metric}`,
      { code: "BAD_METRIC" },
    );
  }
  const model = o.model ?? defaultModelName(experimentName ?? run.info.experimentId);
  // One promotion at a time per model reads the champion, gates against it
  // and replaces it; otherwise two could both beat the same old champion.
  return await exclusive(
    store,
    o.dryRun,
    model,
    () => gateAndMove(o, { run, experimentName, candidate, model, metric, alias, minDelta }),
  );
}

/** What {@link gateAndMove} promotes. */
interface Candidate {
  run: Run;
  experimentName: string | null;
  candidate: number;
  model: string;
  metric: string;
  alias: string;
  minDelta: number;
}

/** The gate and the alias move, run while the model is locked (see {@link exclusive}). */
async function gateAndMove(o: PromoteOptions, c: Candidate): Promise<PromoteResult> {
  const { store } = o;
  const { run, experimentName, candidate, model, metric, alias, minDelta } = c;
  const current = await currentVersion(store, model, alias);
  const champion = current ? await versionMetric(store, current, metric) : null;
  const base: Omit<PromoteOutcome, "reason"> = {
    model,
    alias,
    previousVersion: current?.version ?? null,
    runId: run.info.runId,
    experiment: experimentName,
    metric,
    candidate,
    champion,
    minDelta,
  };

  if (current && current.runId === run.info.runId) {
    const reason =
      `run ${run.info.runId} is already ${model}@${alias} (version ${current.version})`;
    if (o.dryRun) {
      return { ...base, status: "dry-run", wouldBe: "unchanged", version: current.version, reason };
    }
    const bundle = await fetchVersionBundle(store, model, current.version);
    const promotedAt = current.tags[PROMOTE_TAGS.at] ?? nowIso(o.now);
    const written = await exportEdgeBundle(bundle, o.out, {
      name: model,
      version: current.version,
      promotedAt,
    });
    return { ...base, status: "unchanged", version: current.version, reason, bundle: written };
  }

  const gate = decide({
    metric,
    candidate,
    champion,
    currentVersion: current?.version ?? null,
    minDelta,
    runId: run.info.runId,
    force: o.force,
  }, o.optionName);
  if (!gate.pass) {
    return o.dryRun
      ? {
        ...base,
        status: "dry-run",
        wouldBe: "rejected",
        version: current?.version ?? null,
        reason: gate.reason,
      }
      : { ...base, status: "rejected", reason: gate.reason };
  }
  if (o.dryRun) {
    return { ...base, status: "dry-run", wouldBe: "promoted", version: null, reason: gate.reason };
  }

  // Read the bundle before touching the registry: a broken model must not become champion.
  const found = await modelOfRun(store, run);
  if (!found) {
    throw new UserError(`run ${run.info.runId} has no model to register`, { code: "NO_MODEL" });
  }
  const bundle = await fetchBundle(store, found.uri);
  const now = nowIso(o.now);
  const tags: Record<string, string> = {
    [PROMOTE_TAGS.by]: actor(),
    [PROMOTE_TAGS.at]: now,
    [PROMOTE_TAGS.reason]: o.reason ? `${o.reason} (${gate.reason})` : gate.reason,
    [PROMOTE_TAGS.gate]: gate.kind,
    [PROMOTE_TAGS.metric]: metric,
    [PROMOTE_TAGS.minDelta]: String(minDelta),
    [PROMOTE_TAGS.previous]: current?.version ?? "none",
    [PROMOTE_TAGS.run]: run.info.runId,
  };
  if (experimentName) tags[PROMOTE_TAGS.experiment] = experimentName;
  const sweepId = run.data.tags[SWEEP_TAGS.sweepId];
  if (sweepId) tags[SWEEP_TAGS.sweepId] = sweepId;
  const oldRun = current?.runId ? await store.getRun(current.runId).catch(() => null) : null;
  for (const key of METRIC_NAMES) {
    const v = metricOf(run, key);
    if (v !== undefined) tags[metricTag("new", key)] = String(v);
    const old = current
      ? (oldRun ? metricOf(oldRun, key) : undefined) ?? tagMetric(current, "new", key)
      : undefined;
    if (old !== undefined) tags[metricTag("old", key)] = String(old);
  }
  const mv = await register(store, model, found, run.info.runId, tags, tags[PROMOTE_TAGS.reason]);
  await moveAlias(store, model, alias, current?.version ?? null, mv.version);
  const written = await exportEdgeBundle(bundle, o.out, {
    name: model,
    version: mv.version,
    promotedAt: now,
  });
  return {
    ...base,
    status: "promoted",
    version: mv.version,
    reason: tags[PROMOTE_TAGS.reason],
    bundle: written,
  };
}

/**
 * The run's registered version, tagged, or a new one. `mlops train`
 * registers each run it logs; promoting that run reuses its version instead
 * of registering the same model twice.
 */
async function register(
  store: TrackingStore,
  name: string,
  model: ModelRef,
  runId: string,
  tags: Record<string, string>,
  description: string,
): Promise<ModelVersion> {
  const existing = (await store.searchModelVersions({ name, runId }))
    .find((v) => v.source === model.source);
  if (existing) {
    for (const [k, v] of Object.entries(tags)) {
      await store.setModelVersionTag(name, existing.version, k, v);
    }
    return existing;
  }
  return await registerModelVersion(store, {
    name,
    source: model.source,
    modelId: model.modelId ?? undefined,
    runId,
    tags,
    description,
  });
}
