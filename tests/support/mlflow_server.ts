/**
 * A loopback MLflow tracking server for tests, written from MLflow's
 * published API (`service.proto`, `model_registry.proto`,
 * `mlflow_artifacts.proto` and the REST API reference), not from our client.
 *
 * Like MLflow it answers errors as `{"error_code", "message"}` with MLflow's
 * HTTP statuses (404 RESOURCE_DOES_NOT_EXIST, 400 INVALID_PARAMETER_VALUE /
 * RESOURCE_ALREADY_EXISTS), uses 32-hex run ids and numeric experiment ids,
 * enforces the log-batch limits and param immutability, and serves proxied
 * artifacts (kept in memory). It is stricter than MLflow in one way, on
 * purpose: unknown fields and wrongly typed values are rejected with 400
 * (MLflow drops unknown fields silently), so a client typo cannot go unseen.
 *
 * Test controls: optional basic/bearer auth, `failNext(n)` (next n requests
 * answer 503), `setDown(true)` (every request answers 503), `afterEach(fn)`
 * (runs after each API request is handled, to act as a concurrent client),
 * and a log of requests.
 *
 * @module
 */

// ---- request schemas (from the proto definitions) ---------------------------

type Scalar = "string" | "int64" | "int32" | "double" | "bool";
interface Field {
  type: Scalar | { enum: readonly string[] } | Schema;
  repeated?: boolean;
  required?: boolean;
}
interface Schema {
  [name: string]: Field;
}

const str = (required = false): Field => ({ type: "string", required });
const i64: Field = { type: "int64" };
const list = (type: Field["type"]): Field => ({ type, repeated: true });
const KV: Schema = { key: str(), value: str() };
const KV_REQUIRED: Schema = { key: str(true), value: str(true) };
const RUN_STATUS = { enum: ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"] } as const;
const VIEW_TYPE = { enum: ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"] } as const;
const METRIC: Schema = {
  key: str(),
  value: { type: "double" },
  timestamp: i64,
  step: i64,
  dataset_name: str(),
  dataset_digest: str(),
  model_id: str(),
  run_id: str(),
};
const DATASET: Schema = {
  name: str(true),
  digest: str(true),
  source_type: str(true),
  source: str(true),
  schema: str(),
  profile: str(),
};
const DATASET_INPUT: Schema = {
  tags: list(KV_REQUIRED),
  dataset: { type: DATASET, required: true },
};

const SCHEMAS = {
  getExperimentByName: { experiment_name: str(true) },
  createExperiment: { name: str(true), artifact_location: str(), tags: list(KV) },
  searchExperiments: {
    max_results: i64,
    page_token: str(),
    filter: str(),
    order_by: list("string"),
    view_type: { type: VIEW_TYPE },
  },
  getExperiment: { experiment_id: str(true) },
  setExperimentTag: { experiment_id: str(true), key: str(true), value: str(true) },
  createRun: {
    experiment_id: str(),
    user_id: str(),
    run_name: str(),
    start_time: i64,
    tags: list(KV),
  },
  updateRun: {
    run_id: str(),
    run_uuid: str(),
    status: { type: RUN_STATUS },
    end_time: i64,
    run_name: str(),
  },
  logBatch: { run_id: str(), metrics: list(METRIC), params: list(KV), tags: list(KV) },
  logInputs: {
    run_id: str(true),
    datasets: list(DATASET_INPUT),
    models: list({ model_id: str(true) }),
  },
  getRun: { run_id: str(), run_uuid: str() },
  searchRuns: {
    experiment_ids: list("string"),
    filter: str(),
    run_view_type: { type: VIEW_TYPE },
    max_results: { type: "int32" },
    order_by: list("string"),
    page_token: str(),
  },
  getMetricHistory: {
    run_id: str(),
    run_uuid: str(),
    metric_key: str(true),
    page_token: str(),
    max_results: { type: "int32" },
  },
  createRegisteredModel: { name: str(true), tags: list(KV), description: str() },
  getRegisteredModel: { name: str(true) },
  createModelVersion: {
    name: str(true),
    source: str(true),
    run_id: str(),
    tags: list(KV),
    run_link: str(),
    description: str(),
  },
  getModelVersion: { name: str(true), version: str(true) },
  searchModelVersions: {
    filter: str(),
    max_results: i64,
    order_by: list("string"),
    page_token: str(),
  },
  getDownloadUri: { name: str(true), version: str(true) },
  setModelVersionTag: { name: str(true), version: str(true), key: str(true), value: str(true) },
  alias: { name: str(true), alias: str(true), version: str(true) },
  aliasRef: { name: str(true), alias: str(true) },
  listArtifacts: { path: str() },
} satisfies Record<string, Schema>;

// ---- errors ------------------------------------------------------------------

class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}
const invalid = (m: string) => new ApiError("INVALID_PARAMETER_VALUE", m, 400);
const missing = (m: string) => new ApiError("RESOURCE_DOES_NOT_EXIST", m, 404);
const exists = (m: string) => new ApiError("RESOURCE_ALREADY_EXISTS", m, 400);

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

/** Checks and normalizes a JSON value against a field (int64 strings become numbers). */
function checkValue(value: unknown, field: Field, path: string): unknown {
  const bad = () =>
    invalid(
      `Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied. ` +
        `See the API docs for more information about request parameters.`,
    );
  const t = field.type;
  if (t === "string") {
    if (typeof value !== "string") throw bad();
    return value;
  }
  if (t === "int64" || t === "int32") {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
    throw bad();
  }
  if (t === "double") {
    if (typeof value === "number") return value;
    if (value === "NaN") return NaN;
    if (value === "Infinity") return Infinity;
    if (value === "-Infinity") return -Infinity;
    throw bad();
  }
  if (t === "bool") {
    if (typeof value !== "boolean") throw bad();
    return value;
  }
  if ("enum" in t && Array.isArray(t.enum)) {
    if (typeof value !== "string" || !t.enum.includes(value)) throw bad();
    return value;
  }
  return checkMessage(value, t as Schema, path);
}

function checkMessage(value: unknown, schema: Schema, path = ""): Msg {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(`Invalid value for '${path || "request"}': expected a JSON object`);
  }
  const out: Msg = {};
  for (const [k, v] of Object.entries(value)) {
    const field = schema[k];
    const p = path ? `${path}.${k}` : k;
    if (!field) throw invalid(`Request has an unknown field '${p}'`);
    if (v === null) continue;
    if (field.repeated) {
      if (!Array.isArray(v)) {
        throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${p}': expected a list`);
      }
      out[k] = v.map((item, i) => checkValue(item, field, `${p}[${i}]`));
    } else {
      out[k] = checkValue(v, field, p);
    }
  }
  for (const [k, f] of Object.entries(schema)) {
    if (f.required && (out[k] === undefined || out[k] === "")) {
      throw invalid(`Missing value for required parameter '${path ? `${path}.` : ""}${k}'.`);
    }
  }
  return out;
}

/** A GET query string as a message: repeated fields from repeated keys. */
function queryMessage(q: URLSearchParams, schema: Schema): Msg {
  const raw: Msg = {};
  for (const key of new Set(q.keys())) {
    const field = schema[key];
    if (!field) throw invalid(`Request has an unknown field '${key}'`);
    const values = q.getAll(key);
    const typed = (s: string) =>
      field.type === "int64" || field.type === "int32"
        ? (/^-?\d+$/.test(s) ? Number(s) : s)
        : field.type === "bool"
        ? (s === "true" ? true : s === "false" ? false : s)
        : s;
    raw[key] = field.repeated ? values.map(typed) : typed(values[values.length - 1]);
  }
  return checkMessage(raw, schema);
}

// ---- state ---------------------------------------------------------------------

interface ExperimentState {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  tags: Map<string, string>;
}

interface RunState {
  info: Msg;
  metrics: Msg[];
  params: Map<string, string>;
  tags: Map<string, string>;
  inputs: Msg[];
}

interface VersionState {
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

interface ModelState {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  tags: Map<string, string>;
  aliases: Map<string, string>;
  versions: VersionState[];
}

/** A request as the server saw it. */
export interface LoggedRequest {
  method: string;
  /** Path after the base path, e.g. "/api/2.0/mlflow/runs/log-batch". */
  path: string;
  query: string;
  /** Parsed JSON body, or the byte count for artifact uploads. */
  body: unknown;
}

/** Options of {@link startMlflowServer}. */
export interface MlflowServerOptions {
  /** Path prefix of the tracking URI, like DagsHub's "/<user>/<repo>.mlflow". */
  basePath?: string;
  /** Require these credentials on every request. */
  auth?: { username: string; password: string } | { token: string };
  /** Accept the credentials but deny access (403), like a user without permission. */
  forbidden?: boolean;
  /**
   * false: no model registry, like DagsHub's hosted MLflow: every registry
   * endpoint answers 404 with a web server's page.
   */
  registry?: boolean;
  /**
   * Answers a request instead of the server when it returns a response (a
   * hostile or broken server); `path` is as in {@link LoggedRequest}.
   */
  intercept?: (req: Request, path: string, query: URLSearchParams) => Response | undefined;
}

/** A running test server. */
export interface MlflowTestServer {
  /** Tracking URI: `http://127.0.0.1:<port><basePath>`. */
  url: string;
  port: number;
  requests: LoggedRequest[];
  experiments: Map<string, ExperimentState>;
  runs: Map<string, RunState>;
  models: Map<string, ModelState>;
  artifacts: Map<string, Uint8Array>;
  /** The next `n` requests answer `status` (default 503). */
  failNext(n: number, status?: number): void;
  /** While down, every request answers 503. */
  setDown(down: boolean): void;
  /**
   * Runs `fn` after each API request is handled, before it is answered:
   * state it changes is what a concurrent client would have changed.
   */
  afterEach(fn: ((req: LoggedRequest) => void) | null): void;
  close(): Promise<void>;
}

const now = () => Date.now();
const newRunId = () => crypto.randomUUID().replaceAll("-", "");
const kvList = (m: Map<string, string>) => [...m].map(([key, value]) => ({ key, value }));
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

/**
 * Starts the server on 127.0.0.1 with an ephemeral port.
 *
 * @example
 * ```ts
 * import { startMlflowServer } from "./mlflow_server.ts";
 *
 * const server = startMlflowServer({ auth: { token: "t0ken" } });
 * // ... use server.url as the tracking URI ...
 * await server.close();
 * ```
 */
export function startMlflowServer(options: MlflowServerOptions = {}): MlflowTestServer {
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const experiments = new Map<string, ExperimentState>();
  const runs = new Map<string, RunState>();
  const models = new Map<string, ModelState>();
  const artifacts = new Map<string, Uint8Array>();
  const requests: LoggedRequest[] = [];
  let failures = 0;
  let failStatus = 503;
  let down = false;
  let after: ((req: LoggedRequest) => void) | null = null;
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

  // ---- handlers, keyed by "METHOD /path" ---------------------------------------

  type Handler = (msg: Msg) => Msg;
  const routes = new Map<string, { schema: Schema; handler: Handler }>();
  const route = (methods: string[], path: string, schema: Schema, handler: Handler) => {
    for (const m of methods) routes.set(`${m} /api/2.0/${path}`, { schema, handler });
  };

  route(["GET"], "mlflow/experiments/get-by-name", SCHEMAS.getExperimentByName, (msg) => {
    const e = [...experiments.values()].find((e) => e.name === msg.experiment_name);
    if (!e) throw missing(`Could not find experiment with name '${msg.experiment_name}'`);
    return { experiment: experimentJson(e) };
  });

  route(["POST"], "mlflow/experiments/create", SCHEMAS.createExperiment, (msg) => {
    if ([...experiments.values()].some((e) => e.name === msg.name)) {
      throw exists(`Experiment(name=${msg.name}) already exists.`);
    }
    const id = String(nextExperimentId++);
    addExperiment(id, msg.name);
    for (const t of msg.tags ?? []) experiments.get(id)!.tags.set(t.key, t.value);
    return { experiment_id: id };
  });

  route(["GET", "POST"], "mlflow/experiments/search", SCHEMAS.searchExperiments, (msg) => {
    const view = msg.view_type ?? "ACTIVE_ONLY";
    let list = [...experiments.values()].filter((e) =>
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
    return { experiments: page.map(experimentJson), ...(next ? { next_page_token: next } : {}) };
  });

  route(["POST"], "mlflow/experiments/set-experiment-tag", SCHEMAS.setExperimentTag, (msg) => {
    const e = experiments.get(msg.experiment_id);
    if (!e) throw missing(`No Experiment with id=${msg.experiment_id} exists`);
    e.tags.set(msg.key, msg.value);
    return {};
  });

  route(["GET"], "mlflow/experiments/get", SCHEMAS.getExperiment, (msg) => {
    const e = experiments.get(msg.experiment_id);
    if (!e) throw missing(`No Experiment with id=${msg.experiment_id} exists`);
    return { experiment: experimentJson(e) };
  });

  route(["POST"], "mlflow/runs/create", SCHEMAS.createRun, (msg) => {
    const expId = msg.experiment_id ?? "0";
    const exp = experiments.get(expId);
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
    runs.set(runId, run);
    return { run: runJson(run) };
  });

  route(["POST"], "mlflow/runs/update", SCHEMAS.updateRun, (msg) => {
    const run = activeRun(msg);
    if (msg.status) run.info.status = msg.status;
    if (msg.end_time !== undefined) run.info.end_time = msg.end_time;
    if (msg.run_name) {
      run.info.run_name = msg.run_name;
      run.tags.set("mlflow.runName", msg.run_name);
    }
    return { run_info: { ...run.info } };
  });

  route(["POST"], "mlflow/runs/log-batch", SCHEMAS.logBatch, (msg) => {
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
    const run = activeRun(msg);
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

  route(["POST"], "mlflow/runs/log-inputs", SCHEMAS.logInputs, (msg) => {
    const run = activeRun(msg);
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

  route(["GET"], "mlflow/runs/get", SCHEMAS.getRun, (msg) => ({ run: runJson(getRun(msg)) }));

  route(["POST"], "mlflow/runs/search", SCHEMAS.searchRuns, (msg) => {
    const ids: string[] = msg.experiment_ids ?? [];
    const view = msg.run_view_type ?? "ACTIVE_ONLY";
    let list = [...runs.values()].filter((r) =>
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
      ...(page.length ? { runs: page.map(runJson) } : {}),
      ...(next ? { next_page_token: next } : {}),
    };
  });

  route(["GET"], "mlflow/metrics/get-history", SCHEMAS.getMetricHistory, (msg) => {
    const run = getRun(msg);
    const all = run.metrics.filter((m) => m.key === msg.metric_key);
    const { page, next } = paginate(all, msg.max_results ?? 25000, msg.page_token);
    return { metrics: page.map(metricJson), ...(next ? { next_page_token: next } : {}) };
  });

  route(["POST"], "mlflow/registered-models/create", SCHEMAS.createRegisteredModel, (msg) => {
    if (models.has(msg.name)) throw exists(`Registered Model (name=${msg.name}) already exists.`);
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
    models.set(m.name, m);
    return { registered_model: modelJson(m) };
  });

  route(["GET"], "mlflow/registered-models/get", SCHEMAS.getRegisteredModel, (msg) => ({
    registered_model: modelJson(getModel(msg.name)),
  }));

  route(["POST"], "mlflow/model-versions/create", SCHEMAS.createModelVersion, (msg) => {
    const m = getModel(msg.name);
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
    return { model_version: versionJson(v) };
  });

  route(["GET"], "mlflow/model-versions/get", SCHEMAS.getModelVersion, (msg) => ({
    model_version: versionJson(getVersion(msg.name, msg.version)),
  }));

  route(["GET"], "mlflow/model-versions/get-download-uri", SCHEMAS.getDownloadUri, (msg) => ({
    artifact_uri: getVersion(msg.name, msg.version).source,
  }));

  route(["GET"], "mlflow/model-versions/search", SCHEMAS.searchModelVersions, (msg) => {
    let list = [...models.values()].flatMap((m) => m.versions);
    for (const c of parseClauses(msg.filter)) {
      if (c.key === "name") list = list.filter((v) => v.name === c.value);
      else if (c.key === "run_id") list = list.filter((v) => v.run_id === c.value);
      else throw invalid(`Unsupported filter key '${c.key}'`);
    }
    const { page, next } = paginate(list, msg.max_results ?? 200000, msg.page_token);
    return { model_versions: page.map(versionJson), ...(next ? { next_page_token: next } : {}) };
  });

  route(["POST"], "mlflow/model-versions/set-tag", SCHEMAS.setModelVersionTag, (msg) => {
    getVersion(msg.name, msg.version).tags.set(msg.key, msg.value);
    return {};
  });

  route(["POST"], "mlflow/registered-models/alias", SCHEMAS.alias, (msg) => {
    getVersion(msg.name, msg.version);
    getModel(msg.name).aliases.set(msg.alias, msg.version);
    return {};
  });
  route(["DELETE"], "mlflow/registered-models/alias", SCHEMAS.aliasRef, (msg) => {
    getModel(msg.name).aliases.delete(msg.alias);
    return {};
  });
  route(["GET"], "mlflow/registered-models/alias", SCHEMAS.aliasRef, (msg) => {
    const version = getModel(msg.name).aliases.get(msg.alias);
    // MLflow's stores answer INVALID_PARAMETER_VALUE for a missing alias.
    if (version === undefined) throw invalid(`Registered model alias ${msg.alias} not found.`);
    return { model_version: versionJson(getVersion(msg.name, version)) };
  });

  // ---- artifact proxy ------------------------------------------------------------

  const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";
  const safePath = (p: string) => {
    const clean = p.replace(/^\/+|\/+$/g, "");
    if (clean.split("/").some((s) => s === ".." || s === ".")) {
      throw invalid(`Invalid path '${p}'`);
    }
    return clean;
  };
  const listArtifacts = (dir: string) => {
    const prefix = dir ? `${dir}/` : "";
    const entries = new Map<string, { is_dir: boolean; file_size?: number }>();
    for (const [path, data] of artifacts) {
      if (!path.startsWith(prefix)) continue;
      const [name, ...rest] = path.slice(prefix.length).split("/");
      entries.set(name, rest.length ? { is_dir: true } : { is_dir: false, file_size: data.length });
    }
    return [...entries].sort(([a], [b]) => a.localeCompare(b)).map(([path, e]) => ({ path, ...e }));
  };

  async function handleArtifacts(
    req: Request,
    path: string,
    query: URLSearchParams,
    entry: LoggedRequest,
  ) {
    if (path === ARTIFACTS || path === `${ARTIFACTS}/`) {
      if (req.method !== "GET") throw new ApiError("ENDPOINT_NOT_FOUND", "Not found", 404);
      const msg = queryMessage(query, SCHEMAS.listArtifacts);
      return Response.json({ files: listArtifacts(safePath(msg.path ?? "")) });
    }
    const rel = safePath(decodeURIComponent(path.slice(ARTIFACTS.length + 1)));
    if (req.method === "PUT") {
      const data = new Uint8Array(await req.arrayBuffer());
      artifacts.set(rel, data);
      entry.body = data.length;
      return Response.json({});
    }
    if (req.method === "GET") {
      const data = artifacts.get(rel);
      if (!data) throw missing(`Artifact '${rel}' not found`);
      return new Response(data.slice(), {
        headers: { "content-type": "application/octet-stream" },
      });
    }
    throw new ApiError("ENDPOINT_NOT_FOUND", `Method ${req.method} not allowed`, 405);
  }

  // ---- HTTP ---------------------------------------------------------------------

  const authorized = (req: Request): boolean => {
    const auth = options.auth;
    if (!auth) return true;
    const header = req.headers.get("authorization") ?? "";
    if ("token" in auth) return header === `Bearer ${auth.token}`;
    const expected = new TextEncoder().encode(`${auth.username}:${auth.password}`);
    return header === `Basic ${btoa(String.fromCharCode(...expected))}`;
  };

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = base && url.pathname.startsWith(base) ? url.pathname.slice(base.length) : base
      ? "" // outside the base path
      : url.pathname;
    const entry: LoggedRequest = { method: req.method, path, query: url.search, body: undefined };
    requests.push(entry);
    if (down || failures > 0) {
      const status = down ? 503 : failStatus;
      if (!down) failures--;
      await req.body?.cancel();
      return Response.json(
        { error_code: "TEMPORARILY_UNAVAILABLE", message: "Service temporarily unavailable" },
        { status },
      );
    }
    try {
      if (!authorized(req)) {
        await req.body?.cancel();
        return Response.json({
          error_code: "UNAUTHENTICATED",
          message: "You are not authenticated. Please provide valid credentials.",
        }, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="mlflow"' } });
      }
      if (options.forbidden) {
        await req.body?.cancel();
        return Response.json(
          { error_code: "PERMISSION_DENIED", message: "Permission denied" },
          { status: 403 },
        );
      }
      const hostile = options.intercept?.(req, path, url.searchParams);
      if (hostile) {
        await req.body?.cancel();
        return hostile;
      }
      if (path.startsWith(ARTIFACTS)) {
        return await handleArtifacts(req, path, url.searchParams, entry);
      }
      const noRegistry = options.registry === false &&
        /^\/api\/2\.0\/mlflow\/(registered-models|model-versions)\//.test(path);
      const r = noRegistry ? undefined : routes.get(`${req.method} ${path}`);
      if (noRegistry) {
        await req.body?.cancel();
        return new Response("<html><body><h1>404 Not Found</h1></body></html>", {
          status: 404,
          headers: { "content-type": "text/html" },
        });
      }
      if (!r) {
        await req.body?.cancel();
        throw new ApiError("ENDPOINT_NOT_FOUND", `No endpoint ${req.method} ${path}`, 404);
      }
      let msg: Msg;
      if (req.method === "GET") {
        msg = queryMessage(url.searchParams, r.schema);
      } else {
        const type = req.headers.get("content-type") ?? "";
        if (!type.startsWith("application/json")) {
          await req.body?.cancel();
          throw invalid(`Bad content type '${type}': expected application/json`);
        }
        const text = await req.text();
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          throw new ApiError("MALFORMED_REQUEST", "Request body is not valid JSON", 400);
        }
        entry.body = body;
        msg = checkMessage(body, r.schema);
      }
      const answer = r.handler(msg);
      after?.(entry);
      return Response.json(answer);
    } catch (e) {
      if (e instanceof ApiError) {
        return Response.json({ error_code: e.code, message: e.message }, { status: e.status });
      }
      return Response.json({ error_code: "INTERNAL_ERROR", message: String(e) }, { status: 500 });
    }
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    port,
    requests,
    experiments,
    runs,
    models,
    artifacts,
    failNext(n, status = 503) {
      failures = n;
      failStatus = status;
    },
    setDown(d) {
      down = d;
    },
    afterEach(fn) {
      after = fn;
    },
    close: () => server.shutdown(),
  };
}
