/**
 * The route table of the test MLflow server (`mlflow_server.ts`): one entry
 * per REST endpoint, "METHOD /api/2.0/path" → request schema and handler.
 * A handler is a function of the server state and the checked request
 * message; it answers a message or throws an {@link ApiError}.
 *
 * @module
 */
import {
  ApiError,
  exists,
  invalid,
  missing,
  type Msg,
  type Schema,
  SCHEMAS,
} from "./_mlflow_schema.ts";
import {
  type MlflowState,
  type ModelState,
  type RunState,
  type VersionState,
} from "./_mlflow_state.ts";

/** One endpoint. */
export interface Route {
  schema: Schema;
  handler: (s: MlflowState, msg: Msg) => Msg;
}

/** Every endpoint, keyed by "METHOD /api/2.0/path". */
export const ROUTES = new Map<string, Route>();
const route = (methods: string[], path: string, schema: Schema, handler: Route["handler"]) => {
  for (const m of methods) ROUTES.set(`${m} /api/2.0/${path}`, { schema, handler });
};

const now = () => Date.now();
const newRunId = () => crypto.randomUUID().replaceAll("-", "");
const pageToken = (offset: number) => btoa(JSON.stringify({ offset }));
function pageOffset(token: string | undefined): number {
  if (!token) return 0;
  try {
    const offset = JSON.parse(atob(token)).offset;
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch { /* fall through */ }
  throw invalid(`Invalid page token '${token}'`);
}
function paginate<T>(items: T[], max: number, token: string | undefined) {
  const start = pageOffset(token);
  const page = items.slice(start, start + max);
  const next = start + max < items.length ? pageToken(start + max) : undefined;
  return { page, next };
}

/** Parses `a = 'x' and b = 'y'` clauses: identifiers may be quoted with `` ` `` or `"`. */
function parseClauses(filter: string | undefined): { key: string; value: string }[] {
  if (!filter?.trim()) return [];
  const out: { key: string; value: string }[] = [];
  const re =
    /\s*((?:[\w.]+\.)?(?:`[^`]+`|"[^"]+"|[\w.]+))\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:and\s+|$)/iy;
  let m: RegExpExecArray | null;
  let pos = 0;
  re.lastIndex = 0;
  while (pos < filter.length && (m = re.exec(filter))) {
    const key = m[1].replace(/[`"]/g, "");
    out.push({ key, value: m[2].replace(/\\(.)/g, "$1") });
    pos = re.lastIndex;
  }
  if (pos < filter.length) throw invalid(`Unsupported filter '${filter}'`);
  return out;
}

function randomName(): string {
  const [a, b] = crypto.getRandomValues(new Uint16Array(2));
  return `test-run-${a % 1000}-${b % 1000}`;
}

route(["GET"], "mlflow/experiments/get-by-name", SCHEMAS.getExperimentByName, (s, msg) => {
  const e = [...s.experiments.values()].find((e) => e.name === msg.experiment_name);
  if (!e) throw missing(`Could not find experiment with name '${msg.experiment_name}'`);
  return { experiment: s.experimentJson(e) };
});

route(["POST"], "mlflow/experiments/create", SCHEMAS.createExperiment, (s, msg) => {
  if ([...s.experiments.values()].some((e) => e.name === msg.name)) {
    throw exists(`Experiment(name=${msg.name}) already exists.`);
  }
  const id = s.createExperiment(msg.name);
  for (const t of msg.tags ?? []) s.experiments.get(id)!.tags.set(t.key, t.value);
  return { experiment_id: id };
});

route(["GET", "POST"], "mlflow/experiments/search", SCHEMAS.searchExperiments, (s, msg) => {
  const view = msg.view_type ?? "ACTIVE_ONLY";
  let list = [...s.experiments.values()].filter((e) =>
    view === "ALL" || (view === "ACTIVE_ONLY") === (e.lifecycle_stage === "active")
  );
  for (const c of parseClauses(msg.filter)) {
    if (c.key !== "name" && c.key !== "attributes.name") {
      throw invalid(`Unsupported filter key '${c.key}'`);
    }
    list = list.filter((e) => e.name === c.value);
  }
  list.sort((a, b) =>
    b.creation_time - a.creation_time || a.experiment_id.localeCompare(b.experiment_id)
  );
  const max = msg.max_results ?? 1000;
  if (max < 1 || max > 50000) throw invalid(`Invalid value for max_results: ${max}`);
  const { page, next } = paginate(list, max, msg.page_token);
  return { experiments: page.map(s.experimentJson), ...(next ? { next_page_token: next } : {}) };
});

route(["POST"], "mlflow/experiments/set-experiment-tag", SCHEMAS.setExperimentTag, (s, msg) => {
  const e = s.experiments.get(msg.experiment_id);
  if (!e) throw missing(`No Experiment with id=${msg.experiment_id} exists`);
  e.tags.set(msg.key, msg.value);
  return {};
});

route(["GET"], "mlflow/experiments/get", SCHEMAS.getExperiment, (s, msg) => {
  const e = s.experiments.get(msg.experiment_id);
  if (!e) throw missing(`No Experiment with id=${msg.experiment_id} exists`);
  return { experiment: s.experimentJson(e) };
});

route(["POST"], "mlflow/runs/create", SCHEMAS.createRun, (s, msg) => {
  const expId = msg.experiment_id ?? "0";
  const exp = s.experiments.get(expId);
  if (!exp) throw missing(`No Experiment with id=${expId} exists`);
  if (exp.lifecycle_stage !== "active") {
    throw new ApiError("INVALID_STATE", `Experiment ${expId} is deleted`, 400);
  }
  const tags = new Map<string, string>((msg.tags ?? []).map((t: Msg) => [t.key, t.value]));
  const tagName = tags.get("mlflow.runName");
  if (msg.run_name && tagName && msg.run_name !== tagName) {
    throw invalid("Both 'run_name' argument and 'mlflow.runName' tag are specified, but differ");
  }
  const runName = msg.run_name || tagName || randomName();
  tags.set("mlflow.runName", runName);
  const runId = newRunId();
  const run: RunState = {
    info: {
      run_id: runId,
      run_uuid: runId,
      run_name: runName,
      experiment_id: expId,
      user_id: msg.user_id ?? "",
      status: "RUNNING",
      start_time: msg.start_time ?? now(),
      artifact_uri: `${exp.artifact_location}/${runId}/artifacts`,
      lifecycle_stage: "active",
    },
    metrics: [],
    params: new Map(),
    tags,
    inputs: [],
  };
  s.runs.set(runId, run);
  return { run: s.runJson(run) };
});

route(["POST"], "mlflow/runs/update", SCHEMAS.updateRun, (s, msg) => {
  const run = s.activeRun(msg);
  if (msg.status) run.info.status = msg.status;
  if (msg.end_time !== undefined) run.info.end_time = msg.end_time;
  if (msg.run_name) {
    run.info.run_name = msg.run_name;
    run.tags.set("mlflow.runName", msg.run_name);
  }
  return { run_info: { ...run.info } };
});

route(["POST"], "mlflow/runs/log-batch", SCHEMAS.logBatch, (s, msg) => {
  const metrics: Msg[] = msg.metrics ?? [];
  const params: Msg[] = msg.params ?? [];
  const tags: Msg[] = msg.tags ?? [];
  const limit = (n: number, max: number, what: string) => {
    if (n > max) {
      throw invalid(
        `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. ` +
          `Please split up ${what} across multiple requests and try again.`,
      );
    }
  };
  limit(metrics.length, 1000, "metrics");
  limit(params.length, 100, "params");
  limit(tags.length, 100, "tags");
  limit(metrics.length + params.length + tags.length, 1000, "metrics, params, and tags");
  const run = s.activeRun(msg);
  for (const m of metrics) {
    if (!m.key || m.value === undefined || m.timestamp === undefined) {
      throw invalid("Metric key, value and timestamp are required");
    }
  }
  const seen = new Map<string, string>();
  for (const p of params) {
    if (!p.key) throw invalid("Param key is required");
    const value = p.value ?? "";
    if (seen.has(p.key) && seen.get(p.key) !== value) {
      throw invalid(`Duplicate parameter keys have been submitted: ['${p.key}']`);
    }
    seen.set(p.key, value);
    const old = run.params.get(p.key);
    if (old !== undefined && old !== value) {
      throw invalid(
        `Changing param values is not allowed. Param with key='${p.key}' was already logged ` +
          `with value='${old}' for run ID='${run.info.run_id}'. Attempted logging new value '${value}'.`,
      );
    }
  }
  for (const [k, v] of seen) run.params.set(k, v);
  // As MLflow's SQL store (the server's default): an identical point is stored once.
  const same = (a: Msg, b: Msg) =>
    a.key === b.key && a.timestamp === b.timestamp && a.step === b.step &&
    Object.is(a.value, b.value);
  for (const m of metrics) {
    const point = { ...m, step: m.step ?? 0 };
    if (!run.metrics.some((old) => same(old, point))) run.metrics.push(point);
  }
  for (const t of tags) {
    if (!t.key) throw invalid("Tag key is required");
    run.tags.set(t.key, t.value ?? "");
    if (t.key === "mlflow.runName") run.info.run_name = t.value;
  }
  return {};
});

route(["POST"], "mlflow/runs/log-inputs", SCHEMAS.logInputs, (s, msg) => {
  const run = s.activeRun(msg);
  for (const d of msg.datasets ?? []) {
    const dup = run.inputs.some((i) =>
      i.dataset.name === d.dataset.name && i.dataset.digest === d.dataset.digest
    );
    if (!dup) {
      run.inputs.push({ ...(d.tags?.length ? { tags: d.tags } : {}), dataset: d.dataset });
    }
  }
  return {};
});

route(
  ["GET"],
  "mlflow/runs/get",
  SCHEMAS.getRun,
  (s, msg) => ({ run: s.runJson(s.getRun(msg)) }),
);

route(["POST"], "mlflow/runs/search", SCHEMAS.searchRuns, (s, msg) => {
  const ids: string[] = msg.experiment_ids ?? [];
  const view = msg.run_view_type ?? "ACTIVE_ONLY";
  let list = [...s.runs.values()].filter((r) =>
    ids.includes(r.info.experiment_id) &&
    (view === "ALL" || (view === "ACTIVE_ONLY") === (r.info.lifecycle_stage === "active"))
  );
  for (const c of parseClauses(msg.filter)) {
    const [kind, ...rest] = c.key.split(".");
    const key = rest.join(".");
    if (kind === "tags" || kind === "tag") list = list.filter((r) => r.tags.get(key) === c.value);
    else if (kind === "params" || kind === "param") {
      list = list.filter((r) => r.params.get(key) === c.value);
    } else if ((kind === "attributes" || kind === "attribute") && key === "run_name") {
      list = list.filter((r) => r.info.run_name === c.value);
    } else throw invalid(`Unsupported filter key '${c.key}'`);
  }
  list.sort((a, b) =>
    b.info.start_time - a.info.start_time || a.info.run_id.localeCompare(b.info.run_id)
  );
  const max = msg.max_results ?? 1000;
  if (max < 1 || max > 50000) throw invalid(`Invalid value for max_results: ${max}`);
  const { page, next } = paginate(list, max, msg.page_token);
  return {
    ...(page.length ? { runs: page.map(s.runJson) } : {}),
    ...(next ? { next_page_token: next } : {}),
  };
});

route(["GET"], "mlflow/metrics/get-history", SCHEMAS.getMetricHistory, (s, msg) => {
  const run = s.getRun(msg);
  const all = run.metrics.filter((m) => m.key === msg.metric_key);
  const { page, next } = paginate(all, msg.max_results ?? 25000, msg.page_token);
  return { metrics: page.map(s.metricJson), ...(next ? { next_page_token: next } : {}) };
});

route(["POST"], "mlflow/registered-models/create", SCHEMAS.createRegisteredModel, (s, msg) => {
  if (s.models.has(msg.name)) throw exists(`Registered Model (name=${msg.name}) already exists.`);
  const t = now();
  const m: ModelState = {
    name: msg.name,
    creation_timestamp: t,
    last_updated_timestamp: t,
    description: msg.description,
    tags: new Map((msg.tags ?? []).map((kv: Msg) => [kv.key, kv.value])),
    aliases: new Map(),
    versions: [],
  };
  s.models.set(m.name, m);
  return { registered_model: s.modelJson(m) };
});

route(["GET"], "mlflow/registered-models/get", SCHEMAS.getRegisteredModel, (s, msg) => ({
  registered_model: s.modelJson(s.getModel(msg.name)),
}));

route(["POST"], "mlflow/model-versions/create", SCHEMAS.createModelVersion, (s, msg) => {
  const m = s.getModel(msg.name);
  const t = now();
  const v: VersionState = {
    name: m.name,
    version: String(m.versions.length + 1),
    creation_timestamp: t,
    last_updated_timestamp: t,
    current_stage: "None",
    description: msg.description,
    source: msg.source,
    run_id: msg.run_id,
    status: "READY",
    tags: new Map((msg.tags ?? []).map((kv: Msg) => [kv.key, kv.value])),
  };
  m.versions.push(v);
  m.last_updated_timestamp = t;
  return { model_version: s.versionJson(v) };
});

route(["GET"], "mlflow/model-versions/get", SCHEMAS.getModelVersion, (s, msg) => ({
  model_version: s.versionJson(s.getVersion(msg.name, msg.version)),
}));

route(["GET"], "mlflow/model-versions/get-download-uri", SCHEMAS.getDownloadUri, (s, msg) => ({
  artifact_uri: s.getVersion(msg.name, msg.version).source,
}));

route(["GET"], "mlflow/model-versions/search", SCHEMAS.searchModelVersions, (s, msg) => {
  let list = [...s.models.values()].flatMap((m) => m.versions);
  for (const c of parseClauses(msg.filter)) {
    if (c.key === "name") list = list.filter((v) => v.name === c.value);
    else if (c.key === "run_id") list = list.filter((v) => v.run_id === c.value);
    else throw invalid(`Unsupported filter key '${c.key}'`);
  }
  const { page, next } = paginate(list, msg.max_results ?? 200000, msg.page_token);
  return { model_versions: page.map(s.versionJson), ...(next ? { next_page_token: next } : {}) };
});

route(["POST"], "mlflow/model-versions/set-tag", SCHEMAS.setModelVersionTag, (s, msg) => {
  s.getVersion(msg.name, msg.version).tags.set(msg.key, msg.value);
  return {};
});

route(["POST"], "mlflow/registered-models/alias", SCHEMAS.alias, (s, msg) => {
  s.getVersion(msg.name, msg.version);
  s.getModel(msg.name).aliases.set(msg.alias, msg.version);
  return {};
});
route(["DELETE"], "mlflow/registered-models/alias", SCHEMAS.aliasRef, (s, msg) => {
  s.getModel(msg.name).aliases.delete(msg.alias);
  return {};
});
route(["GET"], "mlflow/registered-models/alias", SCHEMAS.aliasRef, (s, msg) => {
  const version = s.getModel(msg.name).aliases.get(msg.alias);
  // MLflow's stores answer INVALID_PARAMETER_VALUE for a missing alias.
  if (version === undefined) throw invalid(`Registered model alias ${msg.alias} not found.`);
  return { model_version: s.versionJson(s.getVersion(msg.name, version)) };
});
