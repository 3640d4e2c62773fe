/**
 * MLflow 3 logged models in the file store, in the layout MLflow's own
 * `FileStore` writes:
 *
 * ```text
 * <experiment>/models/<model id>/meta.yaml, params/<key>, tags/<key>,
 *                                metrics/<key>   (lines: timestamp value step run_id)
 *                                artifacts/...   (the model's files)
 * <experiment>/<run id>/outputs/<model id>/meta.yaml   (the run produced the model)
 * ```
 *
 * A new model is assembled in a hidden folder of its experiment and renamed
 * into `models/` complete, so readers (and MLflow, which reads every folder
 * there) never see one without its `meta.yaml`.
 *
 * @module
 */
import { join } from "node:path";
import {
  atomicWrite,
  exists,
  field,
  listDir,
  millis,
  readYaml,
  tmpPath,
  toYaml,
  walkFiles,
} from "./_fs.ts";
import { newModelId } from "./_ids.ts";
import { formatMetricValue, parseMetricInt, parseMetricValue } from "./_metric_values.ts";
import { localPathOf } from "./_local_artifacts.ts";
import { checkKey } from "./_names.ts";
import { MlflowError } from "./errors.ts";
import {
  type CreateLoggedModelOptions,
  type Experiment,
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelStatus,
  type Metric,
  type ModelOutput,
} from "./types.ts";

/** The experiment sub-folder holding logged models. */
export const LOGGED_MODELS_DIR = "models";
const META = "meta.yaml";

/** Creates a logged model (status PENDING) under `expDir` and returns it. */
export async function createLoggedModelDir(
  expDir: string,
  experiment: Experiment,
  o: CreateLoggedModelOptions,
): Promise<LoggedModel> {
  const modelId = newModelId();
  const now = Date.now();
  const model: LoggedModel = {
    modelId,
    experimentId: experiment.experimentId,
    name: o.name,
    artifactLocation: `${
      experiment.artifactLocation.replace(/\/+$/, "")
    }/${LOGGED_MODELS_DIR}/${modelId}/artifacts`,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    status: "PENDING",
    sourceRunId: o.sourceRunId ?? null,
    modelType: o.modelType ?? null,
    params: { ...o.params },
    tags: { ...o.tags },
  };
  const staging = await tmpPath(expDir, modelId);
  try {
    for (const sub of ["metrics", "params", "tags"]) {
      await Deno.mkdir(join(staging, sub), { recursive: true });
    }
    await writeValues(staging, "params", model.params);
    await writeValues(staging, "tags", model.tags);
    // MLflow writes lifecycle_stage only when it creates the model.
    await atomicWrite(
      join(staging, META),
      modelYaml(model, { lifecycle_stage: "active" }),
      staging,
    );
    await Deno.mkdir(join(expDir, LOGGED_MODELS_DIR), { recursive: true });
    await Deno.rename(staging, join(expDir, LOGGED_MODELS_DIR, modelId));
  } catch (e) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw e;
  }
  return model;
}

/** The folder of `modelId` under `expDir`, when it holds a logged model. */
export async function loggedModelDirIn(expDir: string, modelId: string): Promise<string | null> {
  if (!/^m-[\w-]+$/.test(modelId)) return null;
  const dir = join(expDir, LOGGED_MODELS_DIR, modelId);
  return await exists(join(dir, META)) ? dir : null;
}

/** Folders of the logged models under `expDir`. */
export async function loggedModelDirs(expDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listDir(join(expDir, LOGGED_MODELS_DIR))) {
    const dir = join(expDir, LOGGED_MODELS_DIR, e.name);
    if (e.isDirectory && await exists(join(dir, META))) out.push(dir);
  }
  return out;
}

/** Reads a logged model; null when MLflow marked it deleted. */
export async function readLoggedModel(dir: string): Promise<LoggedModel | null> {
  const path = join(dir, META);
  const meta = await readYaml(path);
  if (meta.lifecycle_stage === "deleted") return null;
  const status = LOGGED_MODEL_STATUSES[Number(meta.status ?? 1) - 1] ?? "PENDING";
  return {
    modelId: String(field(meta, "model_id", path)),
    experimentId: String(field(meta, "experiment_id", path)),
    name: String(meta.name ?? ""),
    artifactLocation: String(meta.artifact_location ?? ""),
    creationTimestamp: millis(meta.creation_timestamp) ?? 0,
    lastUpdatedTimestamp: millis(meta.last_updated_timestamp) ?? 0,
    status,
    sourceRunId: meta.source_run_id ? String(meta.source_run_id) : null,
    modelType: meta.model_type == null ? null : String(meta.model_type),
    params: await readValues(join(dir, "params")),
    tags: await readValues(join(dir, "tags")),
  };
}

/** Sets tags (each a file, atomically). */
export async function writeLoggedModelTags(
  dir: string,
  tags: Record<string, string>,
): Promise<void> {
  await writeValues(dir, "tags", tags);
}

/** Rewrites `meta.yaml` with a final status, as MLflow's `finalize_logged_model`. */
export async function finalizeLoggedModelDir(
  dir: string,
  status: LoggedModelStatus,
): Promise<void> {
  const model = await readLoggedModel(dir);
  if (!model) throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `logged model in ${dir} is deleted`);
  const next = { ...model, status, lastUpdatedTimestamp: Date.now() };
  await atomicWrite(join(dir, META), modelYaml(next), dir);
}

/**
 * Where a logged model's files are on disk: its recorded location, or, for
 * a store copied from elsewhere (a location that is not here), the folder
 * beside its `meta.yaml`.
 */
export async function loggedModelFiles(dir: string, model: LoggedModel): Promise<string> {
  const recorded = localPathOf(model.artifactLocation);
  if (recorded && await exists(recorded)) return recorded;
  return join(dir, "artifacts");
}

/** Appends metric points to the model's metric files (`timestamp value step run_id`). */
export async function appendModelMetrics(
  dir: string,
  runId: string,
  metrics: Metric[],
): Promise<void> {
  const byKey = new Map<string, Metric[]>();
  for (const m of metrics) byKey.set(m.key, [...byKey.get(m.key) ?? [], m]);
  for (const [key, ms] of byKey) {
    checkKey("metric", key);
    const path = join(dir, "metrics", key);
    const old = await Deno.readTextFile(path).catch(() => "");
    const lines = ms.map((m) =>
      `${m.timestamp} ${formatMetricValue(m.value)} ${m.step} ${runId}\n`
    );
    await atomicWrite(path, old + lines.join(""), dir);
  }
}

/** A metric point of a logged model, with the run that logged it. */
export interface ModelMetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  runId: string;
}

/**
 * The metric points of a logged model: lines `timestamp value step run_id`,
 * as MLflow writes them (plus a dataset name and digest, which mlops does not
 * use). Lines it cannot read are skipped.
 */
export async function readModelMetrics(dir: string): Promise<ModelMetricPoint[]> {
  const out: ModelMetricPoint[] = [];
  for (const key of await walkFiles(join(dir, "metrics"))) {
    const text = await Deno.readTextFile(join(dir, "metrics", key));
    for (const line of text.split("\n")) {
      const [ts, value, step, runId] = line.trim().split(" ");
      if (runId === undefined) continue;
      const v = parseMetricValue(value);
      const timestamp = parseMetricInt(ts);
      const at = parseMetricInt(step);
      if (v === null || timestamp === null || at === null) continue;
      out.push({ key, value: v, timestamp, step: at, runId });
    }
  }
  return out;
}

/** Records the outputs of a run (`<run>/outputs/<model id>/meta.yaml`), as MLflow's `log_outputs`. */
export async function writeRunOutputs(runDir: string, outputs: ModelOutput[]): Promise<void> {
  for (const o of outputs) {
    if (!/^m-[\w-]+$/.test(o.modelId)) {
      throw new MlflowError("INVALID_PARAMETER_VALUE", `invalid logged model id '${o.modelId}'`);
    }
    const path = join(runDir, "outputs", o.modelId, META);
    if (await exists(path)) continue;
    await atomicWrite(
      path,
      toYaml({
        destination_id: o.modelId,
        destination_type: "MODEL_OUTPUT",
        source_id: o.modelId,
        source_type: "RUN_OUTPUT",
        step: o.step,
        tags: {},
      }),
      runDir,
    );
  }
}

/** The outputs a run recorded. */
export async function readRunOutputs(runDir: string): Promise<ModelOutput[]> {
  const out: ModelOutput[] = [];
  for (const e of await listDir(join(runDir, "outputs"))) {
    const path = join(runDir, "outputs", e.name, META);
    if (!e.isDirectory || !await exists(path)) continue;
    const meta = await readYaml(path);
    if (meta.destination_type !== "MODEL_OUTPUT") continue;
    out.push({ modelId: String(meta.destination_id ?? e.name), step: Number(meta.step ?? 0) });
  }
  return out;
}

function modelYaml(m: LoggedModel, extra: Record<string, unknown> = {}): string {
  return toYaml({
    artifact_location: m.artifactLocation,
    creation_timestamp: m.creationTimestamp,
    experiment_id: m.experimentId,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    model_id: m.modelId,
    model_type: m.modelType,
    name: m.name,
    source_run_id: m.sourceRunId,
    status: LOGGED_MODEL_STATUSES.indexOf(m.status) + 1,
    status_message: null,
    ...extra,
  });
}

async function writeValues(dir: string, sub: string, values: Record<string, string>) {
  for (const [k, v] of Object.entries(values)) {
    checkKey(sub === "params" ? "param" : "tag", k);
    await atomicWrite(join(dir, sub, k), v, dir);
  }
}

async function readValues(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await walkFiles(dir)) out[key] = await Deno.readTextFile(join(dir, key));
  return out;
}
