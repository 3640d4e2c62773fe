/**
 * A run's model, the MLflow 3 way: a logged model (`m-<id>`) created for the
 * run, holding the bundle and its `MLmodel`, recorded as the run's output,
 * and registered as `models:/<model id>`. Where the store has no logged
 * models (an MLflow 2 server, DagsHub), the model goes into the run's
 * artifacts under `model/` and is registered from there, as before MLflow 3.
 *
 * Logging is two steps so that the run's metrics can name the model while
 * they are logged (MLflow shows them on the model's page):
 * {@link startModel} before the metrics, {@link finishModel} after.
 *
 * @module
 */
import { join } from "node:path";
import { BUNDLE_FILE } from "../model/mod.ts";
import { hasErrorCode, isUnsupported } from "./errors.ts";
import { type ModelSignature, writeMlmodel } from "./mlmodel.ts";
import type { LoggedModel, Run, TrackingStore } from "./types.ts";

/** Tag on logged models mlops wrote: their files are an mlops bundle and its `MLmodel`. */
export const MODEL_FLAVOR_TAG = "mlops.flavor";
/** The flavor, as in `MLmodel`'s `flavors:` section. */
export const MODEL_FLAVOR = "mlops_forest";
/** Run tags MLflow also puts on the logged models a run creates. */
const CONTEXT_TAGS = [
  "mlflow.user",
  "mlflow.source.name",
  "mlflow.source.type",
  "mlflow.source.git.commit",
];

/** A model being logged for a run. */
export interface ModelLogging {
  runId: string;
  /** The run's artifact URI (where an MLflow 2-style model goes). */
  artifactUri: string;
  /** The logged model, or null where the store keeps models as run artifacts. */
  model: LoggedModel | null;
}

/** Where a logged model can be found and registered from. */
export interface ModelRef {
  /** The logged model's id; null for a model in the run's artifacts. */
  modelId: string | null;
  /** What a model version registers: `models:/<id>`, or `<run artifact URI>/model`. */
  source: string;
}

/**
 * Creates the run's logged model (PENDING), with the run's params and its
 * source tags; falls back to run artifacts when the store has no logged
 * models.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "./types.ts";
 *
 * declare const store: TrackingStore;
 * const run = await store.getRun("0a1b2c3d");
 * const { experimentId, runId, artifactUri } = run.info;
 * const logging = await startModel(store, { experimentId, runId, artifactUri, runTags: run.data.tags });
 * ```
 */
export async function startModel(
  store: TrackingStore,
  o: {
    experimentId: string;
    runId: string;
    artifactUri: string;
    /** Model name; default "model" (what MLflow's `log_model(name="model")` writes). */
    name?: string;
    params?: Record<string, string>;
    /** The run's tags; its source tags are copied. */
    runTags?: Record<string, string>;
  },
): Promise<ModelLogging> {
  const tags: Record<string, string> = { [MODEL_FLAVOR_TAG]: MODEL_FLAVOR };
  for (const k of CONTEXT_TAGS) if (o.runTags?.[k]) tags[k] = o.runTags[k];
  try {
    const model = await store.createLoggedModel({
      experimentId: o.experimentId,
      name: o.name ?? "model",
      sourceRunId: o.runId,
      params: o.params,
      tags,
    });
    return { runId: o.runId, artifactUri: o.artifactUri, model };
  } catch (e) {
    if (!isUnsupported(e)) throw e;
    return { runId: o.runId, artifactUri: o.artifactUri, model: null };
  }
}

/**
 * Uploads the bundle with its `MLmodel`, records the model as the run's
 * output and marks it READY; returns what to register.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "./types.ts";
 *
 * declare const store: TrackingStore;
 * declare const logging: ModelLogging; // from startModel
 * const bundlePath = "out/model/model.mlops.json";
 * const { source, modelId } = await finishModel(store, logging, { bundlePath, signature: null });
 * ```
 */
export async function finishModel(
  store: TrackingStore,
  logging: ModelLogging,
  files: { bundlePath: string; signature?: ModelSignature | null },
): Promise<ModelRef> {
  const { model, runId } = logging;
  const dir = await Deno.makeTempDir({ prefix: "mlops-model-" });
  try {
    await Deno.copyFile(files.bundlePath, join(dir, BUNDLE_FILE));
    await writeMlmodel(dir, {
      runId,
      signature: files.signature ?? null,
      // MLflow 3 writes the logged model's id as model_uuid, and its location as artifact_path.
      ...(model
        ? { modelId: model.modelId, modelUuid: model.modelId, artifactPath: model.artifactLocation }
        : {}),
    });
    if (!model) {
      await store.logArtifact(runId, dir, "model");
      return { modelId: null, source: `${logging.artifactUri}/model` };
    }
    await store.logLoggedModelArtifacts(model.modelId, dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  await store.logOutputs(runId, [{ modelId: model.modelId, step: 0 }]);
  await store.finalizeLoggedModel(model.modelId, "READY");
  return { modelId: model.modelId, source: `models:/${model.modelId}` };
}

/** Marks a logged model FAILED, ignoring errors (used while another error propagates). */
export async function failModel(store: TrackingStore, logging: ModelLogging | null) {
  if (!logging?.model) return;
  await store.finalizeLoggedModel(logging.model.modelId, "FAILED").catch(() => {});
}

/**
 * The mlops model a run produced, or null: its newest READY logged model
 * written by mlops, else a `model/` folder with a bundle in its artifacts
 * (runs logged before MLflow 3, or on a server without logged models).
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "./types.ts";
 *
 * declare const store: TrackingStore;
 * const run = await store.getRun("0a1b2c3d");
 * const found = await modelOfRun(store, run); // { uri: "models:/m-…", ... } or null
 * ```
 */
export async function modelOfRun(
  store: TrackingStore,
  run: Run,
): Promise<(ModelRef & { uri: string }) | null> {
  // Search results may leave outputs out (MLflow's runs/search does): ask for the run.
  const known = run.outputs.length ? run.outputs : (await store.getRun(run.info.runId)).outputs;
  const outputs = [...known].sort((a, b) => b.step - a.step);
  for (const o of outputs) {
    const m = await store.getLoggedModel(o.modelId).catch((e) => {
      if (hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) return null;
      throw e;
    });
    if (m?.status === "READY" && m.tags[MODEL_FLAVOR_TAG] === MODEL_FLAVOR) {
      return { modelId: m.modelId, source: `models:/${m.modelId}`, uri: `models:/${m.modelId}` };
    }
  }
  const files = await store.listArtifacts(run.info.runId, "model").catch(() => []);
  if (files.some((f) => f.path === `model/${BUNDLE_FILE}`)) {
    return {
      modelId: null,
      source: `${run.info.artifactUri}/model`,
      uri: `runs:/${run.info.runId}/model`,
    };
  }
  return null;
}
