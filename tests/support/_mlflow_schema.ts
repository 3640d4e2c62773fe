/**
 * Requests of the test MLflow server (`mlflow_server.ts`): the message
 * schemas from MLflow's proto definitions, their strict check (unknown fields
 * and wrongly typed values are 400s), and MLflow's error answers.
 *
 * @module
 */

type Scalar = "string" | "int64" | "int32" | "double" | "bool";
interface Field {
  type: Scalar | { enum: readonly string[] } | Schema;
  repeated?: boolean;
  required?: boolean;
}
export interface Schema {
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

/** Request messages by endpoint. */
export const SCHEMAS = {
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

/** An MLflow error answer: `{"error_code", "message"}` with its HTTP status. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}
export const invalid = (m: string) => new ApiError("INVALID_PARAMETER_VALUE", m, 400);
export const missing = (m: string) => new ApiError("RESOURCE_DOES_NOT_EXIST", m, 404);
export const exists = (m: string) => new ApiError("RESOURCE_ALREADY_EXISTS", m, 400);

// deno-lint-ignore no-explicit-any
export type Msg = Record<string, any>;

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

/** Checks `value` against `schema`; throws INVALID_PARAMETER_VALUE naming the field. */
export function checkMessage(value: unknown, schema: Schema, path = ""): Msg {
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
export function queryMessage(q: URLSearchParams, schema: Schema): Msg {
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
