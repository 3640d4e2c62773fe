/**
 * State of the test MLflow server (`mlflow_server.ts`): experiments, runs,
 * registered models and proxied artifacts in memory, the lookups handlers
 * share (with MLflow's not-found errors) and the JSON each answers with.
 *
 * @module
 */
import { ApiError, invalid, missing, type Msg } from "./_mlflow_schema.ts";

export interface ExperimentState {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  tags: Map<string, string>;
}

export interface RunState {
  info: Msg;
  metrics: Msg[];
  params: Map<string, string>;
  tags: Map<string, string>;
  inputs: Msg[];
}

export interface VersionState {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description?: string;
  source: string;
  run_id?: string;
  status: string;
  tags: Map<string, string>;
}

export interface ModelState {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  tags: Map<string, string>;
  aliases: Map<string, string>;
  versions: VersionState[];
}

/** The server's data and what handlers do with it. */
export type MlflowState = ReturnType<typeof createState>;

const now = () => Date.now();
/** `[{key, value}]`, as MLflow lists tags and params. */
const kvList = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));

/** An empty server: the Default experiment "0" and nothing else. */
export function createState() {
  const experiments = new Map<string, ExperimentState>();
  const runs = new Map<string, RunState>();
  const models = new Map<string, ModelState>();
  const artifacts = new Map<string, Uint8Array>();
  let nextExperimentId = 1;

  const addExperiment = (id: string, name: string) => {
    const t = now();
    experiments.set(id, {
      experiment_id: id,
      name,
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: "active",
      creation_time: t,
      last_update_time: t,
      tags: new Map(),
    });
  };
  addExperiment("0", "Default");

  const experimentJson = (e: ExperimentState) => ({
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    last_update_time: e.last_update_time,
    creation_time: e.creation_time,
    ...(e.tags.size ? { tags: kvList(e.tags) } : {}),
  });

  const latestMetrics = (r: RunState) => {
    const best = new Map<string, Msg>();
    for (const m of r.metrics) {
      const b = best.get(m.key);
      if (!b || m.step > b.step || (m.step === b.step && m.timestamp >= b.timestamp)) {
        best.set(m.key, m);
      }
    }
    return [...best.values()].map(metricJson);
  };
  const metricJson = (m: Msg) => ({
    key: m.key,
    // proto JSON spells non-finite doubles "NaN", "Infinity", "-Infinity".
    value: Number.isFinite(m.value) ? m.value : String(m.value),
    timestamp: m.timestamp,
    step: m.step,
  });

  const runJson = (r: RunState) => {
    const data: Msg = {};
    const metrics = latestMetrics(r);
    if (metrics.length) data.metrics = metrics;
    if (r.params.size) data.params = kvList(r.params);
    if (r.tags.size) data.tags = kvList(r.tags);
    return {
      info: { ...r.info },
      data,
      inputs: r.inputs.length ? { dataset_inputs: r.inputs } : {},
    };
  };

  const getRun = (msg: Msg): RunState => {
    const id = msg.run_id || msg.run_uuid;
    if (!id) throw invalid("Missing value for required parameter 'run_id'.");
    const run = runs.get(id);
    if (!run) throw missing(`Run with id=${id} not found`);
    return run;
  };
  const activeRun = (msg: Msg) => {
    const run = getRun(msg);
    if (run.info.lifecycle_stage !== "active") {
      throw new ApiError(
        "INVALID_STATE",
        `The run ${run.info.run_id} must be in the 'active' state.`,
        400,
      );
    }
    return run;
  };
  const getModel = (name: string) => {
    const m = models.get(name);
    if (!m) throw missing(`Registered Model with name=${name} not found`);
    return m;
  };
  const getVersion = (name: string, version: string) => {
    const v = getModel(name).versions.find((v) => v.version === version);
    if (!v) throw missing(`Model Version (name=${name}, version=${version}) not found`);
    return v;
  };
  const versionJson = (v: VersionState) => {
    const aliases = [...getModel(v.name).aliases].filter(([, ver]) => ver === v.version);
    return {
      name: v.name,
      version: v.version,
      creation_timestamp: v.creation_timestamp,
      last_updated_timestamp: v.last_updated_timestamp,
      current_stage: v.current_stage,
      ...(v.description ? { description: v.description } : {}),
      source: v.source,
      ...(v.run_id ? { run_id: v.run_id } : {}),
      status: v.status,
      ...(v.tags.size ? { tags: kvList(v.tags) } : {}),
      ...(aliases.length ? { aliases: aliases.map(([a]) => a) } : {}),
    };
  };
  const modelJson = (m: ModelState) => ({
    name: m.name,
    creation_timestamp: m.creation_timestamp,
    last_updated_timestamp: m.last_updated_timestamp,
    ...(m.description ? { description: m.description } : {}),
    ...(m.tags.size ? { tags: kvList(m.tags) } : {}),
    ...(m.aliases.size
      ? { aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })) }
      : {}),
  });

  return {
    experiments,
    runs,
    models,
    /** Proxied artifacts by path. */
    artifacts,
    /** Adds an experiment under the next free id; returns the id. */
    createExperiment(name: string): string {
      const id = String(nextExperimentId++);
      addExperiment(id, name);
      return id;
    },
    experimentJson,
    metricJson,
    runJson,
    getRun,
    activeRun,
    getModel,
    getVersion,
    versionJson,
    modelJson,
  };
}
