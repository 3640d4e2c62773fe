/**
 * Rollback: point an alias back at an existing version, without a gate —
 * the version already served once — record who, when and why on it, and
 * export its edge bundle.
 *
 * @module
 */
import type { TrackingStore } from "../mlflow/mod.ts";
import type { WrittenBundle } from "../model/mod.ts";
import { OptionError } from "../errors.ts";
import { metricDirection } from "../sweep/mod.ts";
import { exportEdgeBundle, fetchVersionBundle } from "./edge_bundle.ts";
import { PROMOTE_TAGS } from "./tags.ts";
import {
  actor,
  type AliasOutcome,
  currentVersion,
  exclusive,
  modelNameFor,
  moveAlias,
  nowIso,
  versionMetric,
} from "./_registry.ts";

/** What to roll back to. */
export interface RollbackOptions {
  store: TrackingStore;
  /** The existing version to point the alias at, e.g. "3". */
  version: string;
  /** Registered model name (default: the experiment's name). */
  model?: string;
  /** Experiment whose name is the model's (default: the most recent sweep's). */
  experiment?: string;
  /** Alias to move (default "champion"). */
  alias?: string;
  /** Metric shown beside the versions (default accuracy); it gates nothing. */
  metric?: string;
  /** Edge bundle directory. */
  out: string;
  dryRun?: boolean;
  /** Why, in the user's words; recorded on the version. */
  reason?: string;
  /** Clock (tests). */
  now?: () => Date;
}

/** What every outcome of a rollback tells (`candidate`: the target version's metric). */
export interface RollbackOutcome extends AliasOutcome {
  /** The version the alias points to afterwards (on a dry run: would). */
  version: string;
}

/**
 * The outcome, keyed on `status`: `rolled-back` (the alias moved),
 * `unchanged` (it already pointed there; the bundle was exported again), or
 * `dry-run` with what a real run would report.
 */
export type RollbackResult =
  | RollbackOutcome & { status: "rolled-back" | "unchanged"; bundle: WrittenBundle }
  | RollbackOutcome & { status: "dry-run"; wouldBe: "rolled-back" | "unchanged" };

/**
 * Rolls the alias back per the options.
 *
 * @example
 * ```ts
 * import { openStore } from "../mlflow/mod.ts";
 * import { rollback } from "./rollback.ts";
 *
 * const r = await rollback({ store: openStore(), model: "churn", version: "3", out: "edge/model" });
 * console.log(r.status, r.previousVersion);
 * ```
 */
export async function rollback(o: RollbackOptions): Promise<RollbackResult> {
  const { store } = o;
  const metric = o.metric ?? "accuracy";
  metricDirection(metric);
  const alias = o.alias ?? "champion";
  const version = o.version.trim();
  if (!/^[1-9]\d*$/.test(version)) {
    throw new OptionError(
      "version",
      (name) => `${name("version")} ${o.version}: expected a version number like 3`,
    );
  }
  const { model, experiment: experimentName } = await modelNameFor(store, o.model, o.experiment);
  if (!await store.getRegisteredModel(model)) {
    throw new OptionError(
      "version",
      (name) => `${name("version")} ${version}: no registered model '${model}' in ${store.uri}`,
      { code: "NO_MODEL" },
    );
  }
  return await exclusive(
    store,
    o.dryRun,
    model,
    () => moveBack(o, { metric, alias, model, version, experimentName }),
  );
}

/** The rollback's alias move, run while the model is locked (see {@link exclusive}). */
async function moveBack(
  o: RollbackOptions,
  t: {
    metric: string;
    alias: string;
    model: string;
    version: string;
    experimentName: string | null;
  },
): Promise<RollbackResult> {
  const { store } = o;
  const { metric, alias, model, version } = t;
  const target = await store.getModelVersion(model, version);
  const current = await currentVersion(store, model, alias);
  const base = {
    model,
    alias,
    version,
    previousVersion: current?.version ?? null,
    runId: target.runId ?? "",
    experiment: t.experimentName,
    metric,
    candidate: await versionMetric(store, target, metric),
    champion: current ? await versionMetric(store, current, metric) : null,
  };
  const already = current?.version === version;
  const from = current ? `version ${current.version}` : "nowhere";
  if (o.dryRun) {
    return {
      ...base,
      status: "dry-run",
      wouldBe: already ? "unchanged" : "rolled-back",
      reason: already
        ? `version ${version} is already ${model}@${alias}`
        : `would move ${model}@${alias} from ${from} back to version ${version}`,
    };
  }
  const bundle = await fetchVersionBundle(store, model, version);
  const now = nowIso(o.now);
  if (already) {
    const written = await exportEdgeBundle(bundle, o.out, {
      name: model,
      version,
      promotedAt: now,
    });
    return {
      ...base,
      status: "unchanged",
      reason: `version ${version} is already ${model}@${alias}`,
      bundle: written,
    };
  }
  const reason = `rolled back ${model}@${alias} from ${from} to version ${version}` +
    (o.reason ? `: ${o.reason}` : "");
  await moveAlias(store, model, alias, current?.version ?? null, version);
  const tags: Record<string, string> = {
    [PROMOTE_TAGS.rollbackBy]: actor(),
    [PROMOTE_TAGS.rollbackAt]: now,
    [PROMOTE_TAGS.rollbackFrom]: current?.version ?? "none",
    [PROMOTE_TAGS.rollbackReason]: reason,
  };
  for (const [k, v] of Object.entries(tags)) await store.setModelVersionTag(model, version, k, v);
  const written = await exportEdgeBundle(bundle, o.out, { name: model, version, promotedAt: now });
  return { ...base, status: "rolled-back", reason, bundle: written };
}
