/**
 * Uploading runs that were logged locally while the server was down.
 *
 * Safe to rerun after a failure at any request. The remote run is created
 * with `mlops.sync_source_run_id=<local id>` (atomically, in `runs/create`),
 * and its id is recorded on the local run (`mlops.sync_progress.<server>`)
 * before anything else is uploaded; a rerun finds that run and resumes it:
 * params and tags are set again (same values), only metric points the
 * server lacks are sent, artifacts are overwritten, and the model version is
 * looked up by run id before one is registered. The run's status is the
 * last write, so a remote run in a terminal status is complete. The local
 * run is then marked `mlops.synced_run_id` and later syncs skip it without
 * asking the server.
 *
 * @module
 */
import { md5Hex } from "./_ids.ts";
import { stripCredentials } from "../redact.ts";
import { hasErrorCode } from "./errors.ts";
import { ensureExperiment, registerModelVersion, SYNC_TAGS } from "./log-run.ts";
import { openStore } from "./open.ts";
import {
  isActiveStatus,
  type Metric,
  type Run,
  type RunInfo,
  type TrackingStore,
} from "./types.ts";

/** One run's outcome. */
export interface SyncedRun {
  localRunId: string;
  remoteRunId: string;
  experiment: string;
}

/** What a sync did. */
export interface SyncReport {
  /** Runs uploaded by this call. */
  uploaded: SyncedRun[];
  /** Pending runs that were already on the server. */
  skipped: SyncedRun[];
}

/** Tags that describe the local copy, not the run, and are not uploaded. */
const LOCAL_ONLY_TAGS: string[] = [SYNC_TAGS.pending, SYNC_TAGS.pendingRegister, SYNC_TAGS.synced];
/** Prefix of the local tag that records the remote run id, one per destination. */
const PROGRESS_TAG = "mlops.sync_progress.";

/** The local tag recording which remote run on `target` a local run is being uploaded to. */
function progressTag(target: TrackingStore): string {
  return PROGRESS_TAG + md5Hex(stripCredentials(target.uri)).slice(0, 12);
}

/**
 * Uploads every run of `from` tagged `mlops.pending_sync` to `to`, with its
 * params, full metric history, tags, dataset inputs and artifacts, and
 * performs the registration it was waiting for.
 *
 * @example
 * ```ts
 * import { syncStore } from "./sync.ts";
 *
 * const report = await syncStore("./mlruns", "http://127.0.0.1:5000");
 * console.log(`${report.uploaded.length} uploaded, ${report.skipped.length} already there`);
 * ```
 */
export async function syncStore(
  from: TrackingStore | string,
  to: TrackingStore | string,
): Promise<SyncReport> {
  const source = typeof from === "string" ? openStore(from) : from;
  const target = typeof to === "string" ? openStore(to) : to;
  const report: SyncReport = { uploaded: [], skipped: [] };

  const pending: { run: Run; experiment: string }[] = [];
  for (const exp of await source.listExperiments()) {
    for (const run of await source.searchRuns([exp.experimentId])) {
      if (SYNC_TAGS.pending in run.data.tags) pending.push({ run, experiment: exp.name });
    }
  }
  // Parents first, so children can point at their parent's new id.
  const ids = new Set(pending.map((p) => p.run.info.runId));
  const parentOf = (r: Run) => r.data.tags["mlflow.parentRunId"];
  pending.sort((a, b) => Number(ids.has(parentOf(a.run))) - Number(ids.has(parentOf(b.run))));

  const progress = progressTag(target);
  const remoteIdOf = new Map<string, string>();
  const remoteExp = new Map<string, string>();
  for (const { run, experiment } of pending) {
    const localRunId = run.info.runId;
    const already = run.data.tags[SYNC_TAGS.synced];
    if (already) {
      remoteIdOf.set(localRunId, already);
      report.skipped.push({ localRunId, remoteRunId: already, experiment });
      continue;
    }
    let experimentId = remoteExp.get(experiment);
    if (!experimentId) {
      experimentId = await ensureExperiment(target, experiment);
      remoteExp.set(experiment, experimentId);
    }
    const existing = await findRemote(target, experimentId, run, progress);
    let remoteRunId: string;
    if (existing && !isActiveStatus(existing.info.status)) {
      remoteRunId = existing.info.runId;
      report.skipped.push({ localRunId, remoteRunId, experiment });
    } else {
      const ctx = { source, target, experimentId, remoteIdOf, progress };
      remoteRunId = await upload(ctx, run, existing);
      report.uploaded.push({ localRunId, remoteRunId, experiment });
    }
    remoteIdOf.set(localRunId, remoteRunId);
    await source.logBatch(localRunId, { tags: { [SYNC_TAGS.synced]: remoteRunId } });
  }
  return report;
}

/**
 * The remote run an earlier sync made for `run`, if any: a finished one
 * first, else the one the local progress tag names, else the oldest.
 */
async function findRemote(
  target: TrackingStore,
  experimentId: string,
  run: Run,
  progress: string,
): Promise<Run | null> {
  const found = await target.searchRuns([experimentId], {
    tags: { [SYNC_TAGS.source]: run.info.runId },
  });
  if (!found.length) return null;
  const recorded = run.data.tags[progress];
  const rank = (r: Run) =>
    (isActiveStatus(r.info.status) ? 2 : 0) + (r.info.runId === recorded ? 0 : 1);
  return found.sort((a, b) =>
    rank(a) - rank(b) || a.info.startTime - b.info.startTime ||
    a.info.runId.localeCompare(b.info.runId)
  )[0];
}

interface UploadContext {
  source: TrackingStore;
  target: TrackingStore;
  experimentId: string;
  remoteIdOf: Map<string, string>;
  progress: string;
}

/** Uploads `run`, into `resume` (a remote run an interrupted sync left) when given. */
async function upload(ctx: UploadContext, run: Run, resume: Run | null): Promise<string> {
  const { source, target, remoteIdOf } = ctx;
  const localId = run.info.runId;
  const info: RunInfo = resume?.info ?? await target.createRun({
    experimentId: ctx.experimentId,
    runName: run.info.runName || undefined,
    startTime: run.info.startTime,
    userId: run.info.userId || undefined,
    // Set atomically with the run, so a rerun finds it even if this answer is lost.
    tags: { [SYNC_TAGS.source]: localId },
  });
  await source.logBatch(localId, { tags: { [ctx.progress]: info.runId } });
  const tags = { ...run.data.tags };
  for (const k of Object.keys(tags)) {
    if (LOCAL_ONLY_TAGS.includes(k) || k.startsWith(PROGRESS_TAG)) delete tags[k];
  }
  const parent = tags["mlflow.parentRunId"];
  if (parent && remoteIdOf.has(parent)) tags["mlflow.parentRunId"] = remoteIdOf.get(parent)!;

  const metrics: Metric[] = [];
  for (const m of run.data.metrics) {
    const history = await source.getMetricHistory(localId, m.key);
    // Resuming: send only the points the server does not have yet.
    const there = resume ? await target.getMetricHistory(info.runId, m.key) : [];
    metrics.push(...history.filter((p) => !there.some((q) => samePoint(p, q))));
  }
  await target.logBatch(info.runId, { params: run.data.params, metrics, tags });
  if (run.inputs.length) await target.logInputs(info.runId, run.inputs);

  if ((await source.listArtifacts(localId)).length) {
    const tmp = await Deno.makeTempDir({ prefix: "mlops-sync-" });
    try {
      const dir = await source.downloadArtifacts(`runs:/${localId}`, `${tmp}/artifacts`);
      await target.logArtifact(info.runId, dir, "");
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  }

  const register = run.data.tags[SYNC_TAGS.pendingRegister];
  if (register) {
    const [name, alias] = register.split("@");
    try {
      // A version an interrupted sync registered is reused, never registered twice.
      const [done] = resume
        ? (await target.searchModelVersions({ name, runId: info.runId }))
          .sort((a, b) => Number(a.version) - Number(b.version))
        : [];
      if (done) {
        if (alias) await target.setAlias(name, alias, done.version);
      } else {
        await registerModelVersion(target, {
          name,
          alias,
          source: `${info.artifactUri}/model`,
          runId: info.runId,
        });
      }
    } catch (e) {
      if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
    }
  }
  // Last: from now on the run counts as uploaded.
  await target.updateRun(info.runId, run.info.status, run.info.endTime ?? undefined);
  return info.runId;
}

function samePoint(a: Metric, b: Metric): boolean {
  return a.timestamp === b.timestamp && a.step === b.step && Object.is(a.value, b.value);
}
