/**
 * Uploading runs that were logged locally while the server was down.
 *
 * Safe to rerun after a failure at any request. The remote run is created
 * with `mlops.sync_source_run_id=<local id>` (atomically, in `runs/create`),
 * and its id is recorded on the local run (`mlops.sync_progress.<server>`)
 * before anything else is uploaded; a rerun finds that run and resumes it:
 * params and tags are set again (same values), only metric points the
 * server lacks are sent, artifacts are overwritten, a logged model the
 * interrupted sync finished is reused (found by `mlops.sync_source_model_id`),
 * and the model version is looked up by run id before one is registered.
 * The run's status is the last write, so a remote run in a terminal status
 * is complete. The local run is then marked as uploaded to that server
 * (`mlops.synced_to.<server>`), and later syncs to the same server skip it
 * without asking; a sync to another server uploads it again.
 *
 * What is uploaded points at where it now is: `MLmodel` names the remote run
 * (and logged model), the remote logged model names the remote run, and the
 * run's outputs name the remote logged model. A server without logged models
 * (MLflow 2) gets the model in the run's `model/` folder instead.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { md5Hex } from "./_ids.ts";
import { stripCredentials } from "../redact.ts";
import { exists, walkFiles } from "./_fs.ts";
import { hasErrorCode, isUnsupported } from "./errors.ts";
import { ensureExperiment, registerModelVersion, SYNC_TAGS } from "./log_run.ts";
import { relinkMlmodel } from "./mlmodel.ts";
import { openStore } from "./open.ts";
import {
  isActiveStatus,
  type LoggedModel,
  type Metric,
  type ModelOutput,
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
/** Prefix of the local tag that records a finished upload, one per destination. */
const DONE_TAG = "mlops.synced_to.";
/** On an uploaded logged model: the id of the local model it came from. */
const SOURCE_MODEL_TAG = "mlops.sync_source_model_id";
/** Logged-model tags that describe the local registry, not the model. */
const LOCAL_MODEL_TAGS = ["mlflow.modelVersions"];

/** A short, credential-free key for a destination, for tag names. */
function destinationKey(target: TrackingStore): string {
  return md5Hex(stripCredentials(target.uri)).slice(0, 12);
}

/** The local tag recording which remote run on `target` a local run is being uploaded to. */
function progressTag(target: TrackingStore): string {
  return PROGRESS_TAG + destinationKey(target);
}

/**
 * The remote run id a finished upload of `run` to `target` recorded, if
 * any. Before uploads were recorded per destination, `mlops.synced_run_id`
 * alone marked them; it still counts for the server the run was waiting for.
 */
function uploadedTo(run: Run, target: TrackingStore): string | undefined {
  const tags = run.data.tags;
  const done = tags[DONE_TAG + destinationKey(target)];
  if (done) return done;
  const legacy = tags[SYNC_TAGS.synced];
  const waitedFor = tags[SYNC_TAGS.pending];
  if (legacy && waitedFor && waitedFor === stripCredentials(target.uri)) return legacy;
  return undefined;
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
    const already = uploadedTo(run, target);
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
    await source.logBatch(localRunId, {
      tags: { [SYNC_TAGS.synced]: remoteRunId, [DONE_TAG + destinationKey(target)]: remoteRunId },
    });
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
    if (LOCAL_ONLY_TAGS.includes(k) || k.startsWith(PROGRESS_TAG) || k.startsWith(DONE_TAG)) {
      delete tags[k];
    }
  }
  const parent = tags["mlflow.parentRunId"];
  if (parent && remoteIdOf.has(parent)) tags["mlflow.parentRunId"] = remoteIdOf.get(parent)!;

  const tmp = await Deno.makeTempDir({ prefix: "mlops-sync-" });
  try {
    // The logged models first: the metrics name them, as they did locally.
    const models = await uploadModels(ctx, run, info, tmp);
    const modelOf = models.find((m) => m.remote)?.remote?.modelId;
    const metrics: Metric[] = [];
    for (const m of run.data.metrics) {
      const history = await source.getMetricHistory(localId, m.key);
      // Resuming: send only the points the server does not have yet.
      const there = resume ? await target.getMetricHistory(info.runId, m.key) : [];
      metrics.push(
        ...history.filter((p) => !there.some((q) => samePoint(p, q)))
          .map((p) => modelOf ? { ...p, modelId: modelOf } : p),
      );
    }
    await target.logBatch(info.runId, { params: run.data.params, metrics, tags });
    if (run.inputs.length) await target.logInputs(info.runId, run.inputs);

    if ((await source.listArtifacts(localId)).length) {
      // A copy, never the local files: a local store serves them in place.
      const dir = await copyTree(
        await source.downloadArtifacts(`runs:/${localId}`, join(tmp, "artifacts")),
        join(tmp, "upload"),
      );
      if (await exists(join(dir, "model", "MLmodel"))) {
        await relinkMlmodel(join(dir, "model", "MLmodel"), { runId: info.runId });
      }
      await target.logArtifact(info.runId, dir, "");
    }
    // Resuming: outputs the run already has are not logged twice (a SQL store refuses that).
    const had = resume ? (await target.getRun(info.runId)).outputs.map((o) => o.modelId) : [];
    const outputs: ModelOutput[] = models.flatMap((m) =>
      m.remote && !had.includes(m.remote.modelId)
        ? [{ modelId: m.remote.modelId, step: m.step }]
        : []
    );
    if (outputs.length) await target.logOutputs(info.runId, outputs);
    for (const m of models) {
      if (m.remote) await target.finalizeLoggedModel(m.remote.modelId, "READY");
    }

    const register = run.data.tags[SYNC_TAGS.pendingRegister];
    if (register) await registerUploaded(target, register, info, models, !!resume);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  // Last: from now on the run counts as uploaded.
  await target.updateRun(info.runId, run.info.status, run.info.endTime ?? undefined);
  return info.runId;
}

/** A local logged model and where it went: a remote logged model, or the run's `model/`. */
interface UploadedModel {
  step: number;
  remote: LoggedModel | null;
}

/**
 * Uploads the logged models `run` produced, each into a logged model of the
 * remote run (reusing one an interrupted sync finished), with `MLmodel`
 * pointing at the remote run and model. A server without logged models gets
 * the files in the run's `model/` folder.
 */
async function uploadModels(
  ctx: UploadContext,
  run: Run,
  info: RunInfo,
  tmp: string,
): Promise<UploadedModel[]> {
  const { source, target } = ctx;
  const out: UploadedModel[] = [];
  for (const output of run.outputs) {
    const local = await source.getLoggedModel(output.modelId).catch((e) => {
      if (hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) return null;
      throw e;
    });
    if (!local || local.status !== "READY") continue;
    // One an interrupted sync made: finished (reused as is), or still PENDING (filled again).
    const earlier =
      (await target.searchLoggedModels([ctx.experimentId], { sourceRunId: info.runId })
        .catch((e) => {
          if (isUnsupported(e)) return [];
          throw e;
        }))
        .filter((m) => m.tags[SOURCE_MODEL_TAG] === local.modelId && m.status !== "FAILED")
        .sort((a, b) => Number(b.status === "READY") - Number(a.status === "READY"))[0];
    if (earlier?.status === "READY") {
      out.push({ step: output.step, remote: earlier });
      continue;
    }
    const files = await copyTree(
      await source.downloadArtifacts(`models:/${local.modelId}`, join(tmp, local.modelId)),
      join(tmp, `${local.modelId}-upload`),
    );
    const tags: Record<string, string> = { ...local.tags, [SOURCE_MODEL_TAG]: local.modelId };
    for (const k of LOCAL_MODEL_TAGS) delete tags[k];
    let remote: LoggedModel | null = earlier ?? null;
    try {
      remote ??= await target.createLoggedModel({
        experimentId: ctx.experimentId,
        name: local.name,
        sourceRunId: info.runId,
        modelType: local.modelType ?? undefined,
        params: local.params,
        tags,
      });
    } catch (e) {
      if (!isUnsupported(e)) throw e;
      remote = null;
    }
    const mlmodel = join(files, "MLmodel");
    if (remote) {
      if (await exists(mlmodel)) {
        await relinkMlmodel(mlmodel, {
          runId: info.runId,
          modelId: remote.modelId,
          artifactPath: remote.artifactLocation,
        });
      }
      await target.logLoggedModelArtifacts(remote.modelId, files);
    } else {
      // MLflow 2: the model lives in the run's artifacts, as it did before logged models.
      if (await exists(mlmodel)) {
        await relinkMlmodel(mlmodel, { runId: info.runId, artifactPath: "model" });
      }
      await target.logArtifact(info.runId, files, "model");
    }
    out.push({ step: output.step, remote });
  }
  return out;
}

/** Performs the registration a fallback run was waiting for (`name` or `name@alias`). */
async function registerUploaded(
  target: TrackingStore,
  register: string,
  info: RunInfo,
  models: UploadedModel[],
  resuming: boolean,
): Promise<void> {
  const [name, alias] = register.split("@");
  const model = models.find((m) => m.remote)?.remote ?? null;
  try {
    // A version an interrupted sync registered is reused, never registered twice.
    const [done] = resuming
      ? (await target.searchModelVersions({ name, runId: info.runId }))
        .sort((a, b) => Number(a.version) - Number(b.version))
      : [];
    if (done) {
      if (alias) await target.setAlias(name, alias, done.version);
    } else {
      await registerModelVersion(target, {
        name,
        alias,
        source: model ? `models:/${model.modelId}` : `${info.artifactUri}/model`,
        modelId: model?.modelId,
        runId: info.runId,
      });
    }
  } catch (e) {
    if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
  }
}

/** Copies a file, or a folder's files, into the folder `dest`; returns `dest`. */
async function copyTree(from: string, dest: string): Promise<string> {
  const folder = (await Deno.stat(from)).isDirectory;
  const root = folder ? from : dirname(from);
  for (const rel of folder ? await walkFiles(from) : [basename(from)]) {
    await Deno.mkdir(dirname(join(dest, rel)), { recursive: true });
    await Deno.copyFile(join(root, rel), join(dest, rel));
  }
  await Deno.mkdir(dest, { recursive: true });
  return dest;
}

function samePoint(a: Metric, b: Metric): boolean {
  return a.timestamp === b.timestamp && a.step === b.step && Object.is(a.value, b.value);
}
