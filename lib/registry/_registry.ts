/**
 * The registry moves promote, rollback and the live promotion share: reading
 * and moving an alias safely, taking the model's lock, and reading what a
 * version scored.
 *
 * @module
 */
import { hasErrorCode, type ModelVersion, type TrackingStore } from "../mlflow/mod.ts";
import { currentUser } from "../mlflow/logging.ts";
import { UserError } from "../errors.ts";
import { namedExperiment } from "../sweep/mod.ts";
import { latestSweepExperiment, metricOf } from "./candidates.ts";
import { defaultModelName, metricTag } from "./tags.ts";

/** What every outcome of moving an alias (promotion, rollback) tells. */
export interface AliasOutcome {
  model: string;
  alias: string;
  /** The version the alias pointed to before, null for none. */
  previousVersion: string | null;
  /** The candidate's source run ("" when the registry does not know it). */
  runId: string;
  experiment: string | null;
  metric: string;
  /** The candidate's value of `metric`. */
  candidate: number | null;
  /** The current version's value of `metric`, null for none on record. */
  champion: number | null;
  /** Why, in one line. */
  reason: string;
}

/** Exit code when another promotion moved the alias during this one. */
export const CONFLICT_EXIT_CODE = 4;

/** Who acted: the GitHub user behind a workflow run, else the OS user. */
export function actor(): string {
  const gh = Deno.env.get("GITHUB_ACTOR");
  return gh ? `${gh} (github actions)` : currentUser();
}

/** The clock's time as ISO text. */
export function nowIso(now?: () => Date): string {
  return (now ?? (() => new Date()))().toISOString();
}

/** The version `alias` points to, or null when it points nowhere. */
export async function currentVersion(
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

/**
 * Runs `fn` holding the store's lock on `model` where the store has one
 * (the file store). A dry run writes nothing, so it takes no lock (taking
 * it would create the lock file).
 */
export async function exclusive<T>(
  store: TrackingStore,
  dryRun: boolean | undefined,
  model: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (dryRun || !store.lockRegisteredModel) return await fn();
  return await store.lockRegisteredModel(model, fn);
}

/**
 * Points `alias` at `to`, provided it still points at `from` (what the gate
 * compared against), and confirms it points at `to` afterwards. Under the
 * file store's lock both checks hold by construction; over REST, where
 * nothing stops another client between our reads and writes, they turn a
 * lost race into a conflict error instead of a false "promoted".
 */
export async function moveAlias(
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

/** A version's metric: as recorded at its promotion, else from its run. */
export async function versionMetric(
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

/** A metric recorded as a version tag at promotion, or undefined. */
export function tagMetric(
  mv: ModelVersion,
  which: "new" | "old",
  metric: string,
): number | undefined {
  const t = mv.tags[metricTag(which, metric)];
  const v = t === undefined ? NaN : Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** The name of experiment `id`, or null. */
export async function experimentNameOf(store: TrackingStore, id: string): Promise<string | null> {
  return (await store.listExperiments()).find((e) => e.experimentId === id)?.name ?? null;
}

/**
 * The registered model a command acts on: `model` when given, else the name
 * derived from the experiment (`experiment`, or the most recent sweep's).
 */
export async function modelNameFor(
  store: TrackingStore,
  model: string | undefined,
  experiment: string | undefined,
): Promise<{ model: string; experiment: string | null }> {
  if (model !== undefined) return { model, experiment: null };
  const name =
    (experiment !== undefined
      ? await namedExperiment(store, experiment)
      : await latestSweepExperiment(store)).name;
  return { model: defaultModelName(name), experiment: name };
}
