/**
 * Gated promotion: choose a run, compare it with the current champion on
 * the holdout metric, and only if it wins by at least `minDelta` register it
 * as a new version, move the alias to it, record who/when/why (and old vs
 * new metrics) as version tags, and export the edge bundle. A rollback
 * (`version`) moves the alias back to an existing version, without a gate.
 *
 * Nothing is written when the gate refuses or on a dry run; the result says
 * what happened or would happen, and why.
 *
 * @module
 */
import type { ModelVersion, Run, TrackingStore } from "../mlflow/types.ts";
import { modelOfRun, type ModelRef } from "../mlflow/log_model.ts";
import { registerModelVersion } from "../mlflow/log_run.ts";
import { UserError } from "../errors.ts";
import { hasErrorCode } from "../mlflow/errors.ts";
import { bestRun, latestSweepExperiment, metricOf } from "./candidates.ts";
import { exportEdgeBundle, fetchBundle, fetchVersionBundle } from "./edge_bundle.ts";
import { improvement, METRIC_DIRECTIONS, metricDirection } from "./metric.ts";
import { SWEEP_TAGS } from "./tracking.ts";
import { actor } from "./_user.ts";

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
  /** Roll the alias back to this existing version. */
  version?: string;
  /** Why, in the user's words; recorded on the version. */
  reason?: string;
  /** Skip the gate. */
  force?: boolean;
  /** Clock (tests). */
  now?: () => Date;
}

/** The outcome. */
export interface PromoteResult {
  /**
   * "promoted" (alias moved), "rejected" (gate refused), "unchanged" (the
   * alias already points there), or "dry-run".
   */
  status: "promoted" | "rejected" | "unchanged" | "dry-run";
  /** On a dry run: whether a real run would have moved the alias. */
  wouldPromote: boolean;
  /** The gate refused (on a dry run: would refuse). */
  rejected: boolean;
  rollback: boolean;
  model: string;
  alias: string;
  /** The version the alias points to afterwards (or would: "next" on a dry run). */
  version: string | null;
  previousVersion: string | null;
  runId: string;
  experiment: string | null;
  metric: string;
  candidate: number | null;
  champion: number | null;
  minDelta: number;
  reason: string;
  bundleFile: string | null;
  checksum: string | null;
}

/** Version tag keys written by promote and rollback. */
export const PROMOTE_TAGS = {
  by: "mlops.promoted_by",
  at: "mlops.promoted_at",
  reason: "mlops.promotion_reason",
  gate: "mlops.gate",
  metric: "mlops.metric",
  minDelta: "mlops.min_delta",
  previous: "mlops.previous_version",
  run: "mlops.source_run_id",
  experiment: "mlops.source_experiment",
  rollbackBy: "mlops.rolled_back_by",
  rollbackAt: "mlops.rolled_back_at",
  rollbackFrom: "mlops.rolled_back_from",
  rollbackReason: "mlops.rollback_reason",
} as const;

/** Tag key of a metric's value on the new (`new`) or replaced (`old`) model. */
export function metricTag(which: "new" | "old", metric: string): string {
  return `mlops.${which}.${metric}`;
}

/**
 * Promotes (or rolls back) per the options.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/open.ts";
 * import { promote } from "./promote.ts";
 *
 * const r = await promote({ store: openStore(), out: "edge/model", minDelta: 0.002 });
 * if (r.status === "rejected") console.error(r.reason);
 * ```
 */
export async function promote(o: PromoteOptions): Promise<PromoteResult> {
  const metric = o.metric ?? "accuracy";
  metricDirection(metric);
  const alias = o.alias ?? "champion";
  const minDelta = o.minDelta ?? 0;
  if (!(Number.isFinite(minDelta) && minDelta >= 0)) {
    throw new UserError(`--min-delta ${minDelta}: expected a number >= 0`, { code: "BAD_INPUT" });
  }
  if (o.version !== undefined) {
    if (o.runId !== undefined) {
      throw new UserError(
        `--version and --run cannot be combined: --version rolls back to an existing version`,
      );
    }
    return await rollback(o, metric, alias);
  }

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
    throw new UserError(`--run ${run.info.runId}: the run has no metric ${metric}`, {
      code: "BAD_METRIC",
    });
  }
  const model = o.model ?? defaultModelName(experimentName ?? run.info.experimentId);
  // One promotion at a time per model reads the champion, gates against it
  // and replaces it; otherwise two could both beat the same old champion.
  return await exclusive(
    o,
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
  const base = {
    rejected: false,
    rollback: false,
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
      return {
        ...base,
        status: "dry-run",
        wouldPromote: false,
        version: current.version,
        reason,
        bundleFile: null,
        checksum: null,
      };
    }
    const bundle = await fetchVersionBundle(store, model, current.version);
    const promotedAt = current.tags[PROMOTE_TAGS.at] ??
      nowIso(o);
    const out = await exportEdgeBundle(bundle, o.out, {
      name: model,
      version: current.version,
      promotedAt,
    });
    return {
      ...base,
      status: "unchanged",
      wouldPromote: false,
      version: current.version,
      reason,
      bundleFile: out.file,
      checksum: out.checksum,
    };
  }

  const gate = decide(o, { metric, candidate, champion, current, minDelta, runId: run.info.runId });
  if (!gate.pass) {
    return {
      ...base,
      rejected: true,
      status: o.dryRun ? "dry-run" : "rejected",
      wouldPromote: false,
      version: current?.version ?? null,
      reason: gate.reason,
      bundleFile: null,
      checksum: null,
    };
  }
  if (o.dryRun) {
    return {
      ...base,
      status: "dry-run",
      wouldPromote: true,
      version: "next",
      reason: gate.reason,
      bundleFile: null,
      checksum: null,
    };
  }

  // Read the bundle before touching the registry: a broken model must not become champion.
  const found = await modelOfRun(store, run);
  if (!found) {
    throw new UserError(`run ${run.info.runId} has no model to register`, { code: "NO_MODEL" });
  }
  const bundle = await fetchBundle(store, found.uri);
  const now = nowIso(o);
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
  for (const key of Object.keys(METRIC_DIRECTIONS)) {
    const v = metricOf(run, key);
    if (v !== undefined) tags[metricTag("new", key)] = String(v);
    const old = current
      ? (oldRun ? metricOf(oldRun, key) : undefined) ?? tagMetric(current, "new", key)
      : undefined;
    if (old !== undefined) tags[metricTag("old", key)] = String(old);
  }
  const mv = await register(
    store,
    model,
    found,
    run.info.runId,
    tags,
    tags[PROMOTE_TAGS.reason],
  );
  await moveAlias(store, model, alias, current?.version ?? null, mv.version);
  const out = await exportEdgeBundle(bundle, o.out, {
    name: model,
    version: mv.version,
    promotedAt: now,
  });
  return {
    ...base,
    status: "promoted",
    wouldPromote: true,
    version: mv.version,
    reason: tags[PROMOTE_TAGS.reason],
    bundleFile: out.file,
    checksum: out.checksum,
  };
}

async function rollback(o: PromoteOptions, metric: string, alias: string): Promise<PromoteResult> {
  const { store } = o;
  const version = o.version!.trim();
  if (!/^[1-9]\d*$/.test(version)) {
    throw new UserError(`--version ${o.version}: expected a version number like 3`);
  }
  let experimentName: string | null = null;
  if (o.model === undefined) {
    experimentName = (o.experiment !== undefined
      ? await namedExperiment(store, o.experiment)
      : await latestSweepExperiment(store)).name;
  }
  const model = o.model ?? defaultModelName(experimentName!);
  if (!await store.getRegisteredModel(model)) {
    throw new UserError(`--version ${version}: no registered model '${model}' in ${store.uri}`, {
      code: "NO_MODEL",
    });
  }
  return await exclusive(
    o,
    model,
    () => moveBack(o, metric, alias, model, version, experimentName),
  );
}

/** The rollback's alias move, run while the model is locked (see {@link exclusive}). */
async function moveBack(
  o: PromoteOptions,
  metric: string,
  alias: string,
  model: string,
  version: string,
  experimentName: string | null,
): Promise<PromoteResult> {
  const { store } = o;
  const target = await store.getModelVersion(model, version);
  const current = await currentVersion(store, model, alias);
  const candidate = await versionMetric(store, target, metric);
  const champion = current ? await versionMetric(store, current, metric) : null;
  const base = {
    rejected: false,
    rollback: true,
    model,
    alias,
    version,
    previousVersion: current?.version ?? null,
    runId: target.runId ?? "",
    experiment: experimentName,
    metric,
    candidate,
    champion,
    minDelta: 0,
  };
  if (o.dryRun) {
    const reason = current?.version === version
      ? `version ${version} is already ${model}@${alias}`
      : `would move ${model}@${alias} from ${
        current ? `version ${current.version}` : "nowhere"
      } back to version ${version}`;
    return {
      ...base,
      status: "dry-run",
      wouldPromote: current?.version !== version,
      reason,
      bundleFile: null,
      checksum: null,
    };
  }
  const bundle = await fetchVersionBundle(store, model, version);
  const now = nowIso(o);
  let status: PromoteResult["status"] = "unchanged";
  let reason = `version ${version} is already ${model}@${alias}`;
  if (current?.version !== version) {
    status = "promoted";
    reason =
      `rolled back ${model}@${alias} from ${
        current ? `version ${current.version}` : "nowhere"
      } to version ${version}` +
      (o.reason ? `: ${o.reason}` : "");
    await moveAlias(store, model, alias, current?.version ?? null, version);
    const tags: Record<string, string> = {
      [PROMOTE_TAGS.rollbackBy]: actor(),
      [PROMOTE_TAGS.rollbackAt]: now,
      [PROMOTE_TAGS.rollbackFrom]: current?.version ?? "none",
      [PROMOTE_TAGS.rollbackReason]: reason,
    };
    for (const [k, v] of Object.entries(tags)) await store.setModelVersionTag(model, version, k, v);
  }
  const out = await exportEdgeBundle(bundle, o.out, { name: model, version, promotedAt: now });
  return {
    ...base,
    status,
    wouldPromote: status === "promoted",
    reason,
    bundleFile: out.file,
    checksum: out.checksum,
  };
}

/**
 * Runs `fn` holding the store's lock on `model` where the store has one
 * (the file store). A dry run writes nothing, so it takes no lock (taking
 * it would create the lock file).
 */
async function exclusive<T>(o: PromoteOptions, model: string, fn: () => Promise<T>): Promise<T> {
  const { store } = o;
  if (o.dryRun || !store.lockRegisteredModel) return await fn();
  return await store.lockRegisteredModel(model, fn);
}

/**
 * Points `alias` at `to`, provided it still points at `from` (what the gate
 * compared against), and confirms it points at `to` afterwards. Under the
 * file store's lock both checks hold by construction; over REST, where
 * nothing stops another client between our reads and writes, they turn a
 * lost race into a conflict error instead of a false "promoted".
 */
async function moveAlias(
  store: TrackingStore,
  model: string,
  alias: string,
  from: string | null,
  to: string,
): Promise<void> {
  const before = (await currentVersion(store, model, alias))?.version ?? null;
  if (before !== from) throw conflict(model, alias, before, to, `version ${from ?? "none"}`);
  await store.setAlias(model, alias, to);
  const after = (await currentVersion(store, model, alias))?.version ?? null;
  if (after !== to) throw conflict(model, alias, after, to, `version ${to}, set just before`);
}

/** Exit code when another promotion moved the alias during this one. */
export const CONFLICT_EXIT_CODE = 4;

function conflict(
  model: string,
  alias: string,
  now: string | null,
  ours: string,
  expected: string,
): UserError {
  return new UserError(
    `conflict: ${model}@${alias} was moved by another client during this promotion ` +
      `(it is ${now === null ? "unset" : `version ${now}`}, expected ${expected}); ` +
      `version ${ours} is registered but is not ${alias}: run mlops promote again`,
    { code: "PROMOTE_CONFLICT", exitCode: CONFLICT_EXIT_CODE },
  );
}

function nowIso(o: PromoteOptions): string {
  return (o.now ?? (() => new Date()))().toISOString();
}

interface Gate {
  pass: boolean;
  /** Recorded on the version as `mlops.gate`. */
  kind: "first" | "passed" | "forced" | "rejected";
  reason: string;
}

function decide(
  o: PromoteOptions,
  g: {
    metric: string;
    candidate: number;
    champion: number | null;
    current: ModelVersion | null;
    minDelta: number;
    runId: string;
  },
): Gate {
  const fmt = (v: number) => Number(v.toFixed(6)).toString();
  const cand = `${g.metric} ${fmt(g.candidate)} of run ${g.runId}`;
  if (!g.current) return { pass: true, kind: "first", reason: `${cand}; no current champion` };
  const champ = `version ${g.current.version}'s ${
    g.champion === null ? "(unknown)" : fmt(g.champion)
  }`;
  if (o.force) {
    return { pass: true, kind: "forced", reason: `${cand} vs ${champ}; gate skipped (--force)` };
  }
  if (g.champion === null) {
    return {
      pass: false,
      kind: "rejected",
      reason:
        `cannot compare: version ${g.current.version} has no ${g.metric} on record (pass --force to promote anyway)`,
    };
  }
  const delta = improvement(g.candidate, g.champion, metricDirection(g.metric));
  const verdict = `${cand} vs ${champ}: ${delta >= 0 ? "+" : ""}${fmt(delta)}`;
  // "Beats": strictly better, so a tie never churns the champion; and by at
  // least minDelta. The tolerance absorbs metrics round-tripped through text.
  const eps = 1e-12;
  if (delta > eps && delta + eps >= g.minDelta) {
    return {
      pass: true,
      kind: "passed",
      reason: `${verdict}, beats it by at least --min-delta ${g.minDelta}`,
    };
  }
  const why = delta <= eps ? "not better" : `less than --min-delta ${g.minDelta}`;
  return { pass: false, kind: "rejected", reason: `not promoted: ${verdict}, ${why}` };
}

async function register(
  store: TrackingStore,
  name: string,
  model: ModelRef,
  runId: string,
  tags: Record<string, string>,
  description: string,
): Promise<ModelVersion> {
  // `mlops train` registers each run it logs; promoting that run reuses its version
  // instead of registering the same model twice.
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

async function currentVersion(
  store: TrackingStore,
  model: string,
  alias: string,
): Promise<ModelVersion | null> {
  try {
    return await store.getModelVersionByAlias(model, alias);
  } catch (e) {
    if (hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) return null;
    throw e;
  }
}

/** A version's metric: as recorded at its promotion, else from its run. */
async function versionMetric(
  store: TrackingStore,
  mv: ModelVersion,
  metric: string,
): Promise<number | null> {
  const tagged = tagMetric(mv, "new", metric);
  if (tagged !== undefined) return tagged;
  if (!mv.runId) return null;
  const run = await store.getRun(mv.runId).catch(() => null);
  return run ? metricOf(run, metric) ?? null : null;
}

function tagMetric(mv: ModelVersion, which: "new" | "old", metric: string): number | undefined {
  const t = mv.tags[metricTag(which, metric)];
  const v = t === undefined ? NaN : Number(t);
  return Number.isFinite(v) ? v : undefined;
}

async function namedExperiment(store: TrackingStore, name: string) {
  const e = await store.getExperimentByName(name);
  if (!e) {
    throw new UserError(`--experiment ${name}: no such experiment in ${store.uri}`, {
      code: "NO_RUNS",
    });
  }
  return { experimentId: e.experimentId, name: e.name };
}

async function experimentNameOf(store: TrackingStore, id: string): Promise<string | null> {
  return (await store.listExperiments()).find((e) => e.experimentId === id)?.name ?? null;
}

/**
 * A registered model name from an experiment name: MLflow forbids `/`, `\`,
 * `%` and a leading dot in names (they become folder names).
 *
 * @example
 * ```ts
 * defaultModelName("telco-customer-churn"); // "telco-customer-churn"
 * ```
 */
export function defaultModelName(experiment: string): string {
  return experiment.replace(/[/\\%]/g, "-").replace(/^\.+/, "") || "model";
}
