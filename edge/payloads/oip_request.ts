/**
 * The Open Inference Protocol (V2) inference request, as KServe's
 * specification defines it (`$inference_request`: `id`, `parameters`,
 * `inputs` of `{name, shape, datatype, data}`, optional `outputs`), read
 * into the instances every scoring route shares. Two layouts, as tabular
 * clients send them:
 *
 * - **one tensor per feature** (MLServer's pandas codec): each input is
 *   named after a feature, shape `[N]` or `[N, 1]`; BYTES for categories,
 *   FP, INT or UINT types for numbers. Every feature needs its tensor.
 * - **one 2-D tensor** (a NumPy matrix): a single input of another name,
 *   shape `[N, F]`, values in the model's feature order.
 *
 * Tensor data is row-major and may be flat or nested (the spec allows
 * both). `null` elements are missing values (an extension: JSON tensors
 * have no missing value, tabular data does).
 *
 * @module
 */
import { type FieldError, invalidInput } from "../errors.ts";
import { checkBatchSize, type Instances } from "./predict_request.ts";

/** The outputs an inference answers with. */
export const OIP_OUTPUTS = ["label", "probabilities"] as const;
export type OipOutput = typeof OIP_OUTPUTS[number];

/** A validated inference request. */
export interface InferRequest {
  instances: Instances;
  /** The request's `id`, to echo. */
  id?: string;
  /** Which outputs to return, in the order to return them. */
  outputs: readonly OipOutput[];
}

const INTEGER_RANGES: Record<string, [number, number]> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOATS = new Set(["FP16", "FP32", "FP64"]);
/** The spec's datatypes (Tensor Data Types table). */
export const DATATYPES: readonly string[] = [
  "BOOL",
  ...Object.keys(INTEGER_RANGES),
  ...FLOATS,
  "BYTES",
];

/** One input after checking its envelope: where it sits and its flat values. */
interface Tensor {
  index: number;
  name: string;
  shape: number[];
  values: unknown[];
  /** The row count (`shape[0]`). */
  rows: number;
}

/**
 * Reads an inference request for a model with `features` (schema order).
 *
 * @example
 * ```ts
 * const r = parseInferBody({
 *   inputs: [
 *     { name: "tenure", shape: [2], datatype: "INT32", data: [1, 24] },
 *     { name: "Contract", shape: [2], datatype: "BYTES", data: ["One year", "Two year"] },
 *   ],
 * }, ["tenure", "Contract"], 1000);
 * r.instances.records; // [{ tenure: 1, Contract: "One year" }, { tenure: 24, Contract: "Two year" }]
 * ```
 */
export function parseInferBody(
  body: unknown,
  features: readonly string[],
  maxBatch: number,
): InferRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidInput([{ path: "", message: 'expected an object with "inputs"' }]);
  }
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (b.id !== undefined && typeof b.id !== "string") {
    errors.push({ path: "id", message: "must be a string" });
  }
  if (b.parameters !== undefined && !isObject(b.parameters)) {
    errors.push({ path: "parameters", message: "must be an object" });
  }
  const outputs = requestedOutputs(b.outputs, errors);
  if (!Array.isArray(b.inputs) || b.inputs.length === 0) {
    errors.push({ path: "inputs", message: "must be a non-empty array of input tensors" });
    throw invalidInput(errors);
  }
  const tensors = b.inputs.map((input, i) => tensorOf(input, i, errors));
  if (errors.length > 0) throw invalidInput(errors);
  const checked = tensors as Tensor[];
  const known = new Set(features);
  const matrix = checked.length === 1 && !known.has(checked[0].name) &&
    checked[0].shape.length === 2;
  const instances = matrix
    ? fromMatrix(checked[0], features, maxBatch)
    : fromColumns(checked, known, maxBatch);
  return { instances, ...(b.id === undefined ? {} : { id: b.id as string }), outputs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function requestedOutputs(value: unknown, errors: FieldError[]): OipOutput[] {
  if (value === undefined) return [...OIP_OUTPUTS];
  if (!Array.isArray(value)) {
    errors.push({ path: "outputs", message: 'must be an array of {"name": ...}' });
    return [];
  }
  const out: OipOutput[] = [];
  value.forEach((o, i) => {
    const name = isObject(o) ? o.name : undefined;
    if (typeof name !== "string" || !(OIP_OUTPUTS as readonly string[]).includes(name)) {
      errors.push({
        path: `outputs[${i}].name`,
        message: `must be one of: ${OIP_OUTPUTS.join(", ")}`,
      });
    } else if (!out.includes(name as OipOutput)) out.push(name as OipOutput);
  });
  return out;
}

/** Checks one input's envelope and flattens its data; null when it is wrong (errors say why). */
function tensorOf(input: unknown, index: number, errors: FieldError[]): Tensor | null {
  const base = `inputs[${index}]`;
  if (!isObject(input)) {
    errors.push({ path: base, message: "must be an object with name, shape, datatype and data" });
    return null;
  }
  const before = errors.length;
  const { name, shape, datatype, data } = input;
  if (typeof name !== "string" || name.length === 0) {
    errors.push({ path: `${base}.name`, message: "must be a non-empty string" });
  }
  if (
    !Array.isArray(shape) || shape.length === 0 ||
    !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
  ) {
    errors.push({
      path: `${base}.shape`,
      message: "must be a non-empty array of sizes (integers ≥ 0)",
    });
  }
  if (typeof datatype !== "string" || !DATATYPES.includes(datatype)) {
    errors.push({ path: `${base}.datatype`, message: `must be one of: ${DATATYPES.join(", ")}` });
  }
  if (!Array.isArray(data)) {
    errors.push({ path: `${base}.data`, message: "must be an array (flat or nested, row-major)" });
  }
  if (errors.length > before) return null;
  const dims = shape as number[];
  const expected = dims.reduce((a, d) => a * d, 1);
  const values: unknown[] = [];
  if (!flatten(data as unknown[], values, expected, dims.length)) {
    errors.push({
      path: `${base}.data`,
      message: `must hold shape ${JSON.stringify(dims)} (${expected} values), nested at most ` +
        `${dims.length} deep`,
    });
    return null;
  }
  if (values.length !== expected) {
    errors.push({
      path: `${base}.data`,
      message: `has ${values.length} values; shape ${JSON.stringify(dims)} needs ${expected}`,
    });
    return null;
  }
  const type = datatype as string;
  for (let k = 0; k < values.length && errors.length - before < 10; k++) {
    const problem = elementProblem(type, values[k]);
    if (problem !== null) errors.push({ path: `${base}.data[${k}]`, message: problem });
  }
  if (errors.length > before) return null;
  return { index, name: name as string, shape: dims, values, rows: dims[0] };
}

/** Row-major flattening; false when nesting is deeper than the shape or values pile past `cap`. */
function flatten(data: unknown[], out: unknown[], cap: number, depth: number): boolean {
  for (const v of data) {
    if (Array.isArray(v)) {
      if (depth <= 1 || !flatten(v, out, cap, depth - 1)) return false;
    } else {
      out.push(v);
      if (out.length > cap) return true; // counted and reported by the caller
    }
  }
  return true;
}

function elementProblem(datatype: string, v: unknown): string | null {
  if (v === null) return null; // missing
  if (datatype === "BYTES") return typeof v === "string" ? null : "BYTES elements must be strings";
  if (datatype === "BOOL") {
    return typeof v === "boolean" ? null : "BOOL elements must be true or false";
  }
  if (typeof v !== "number" || !Number.isFinite(v)) return `${datatype} elements must be numbers`;
  if (FLOATS.has(datatype)) return null;
  const [lo, hi] = INTEGER_RANGES[datatype];
  return Number.isInteger(v) && v >= lo && v <= hi
    ? null
    : `${datatype} elements must be integers in [${lo}, ${hi}]`;
}

function fromMatrix(t: Tensor, features: readonly string[], maxBatch: number): Instances {
  const base = `inputs[${t.index}]`;
  const F = features.length;
  if (t.shape[1] !== F) {
    throw invalidInput([{
      path: `${base}.shape`,
      message: `a single 2-D input must be [rows, ${F}]: one column per feature, in the order ` +
        `of /v2/models/<name> (${
          features.join(", ")
        }); or send one input per feature, named after it`,
    }]);
  }
  checkBatchSize(t.rows, maxBatch, `${base}.data`);
  const records = new Array<Record<string, unknown>>(t.rows);
  for (let i = 0; i < t.rows; i++) {
    const r: Record<string, unknown> = Object.create(null);
    for (let j = 0; j < F; j++) r[features[j]] = t.values[i * F + j];
    records[i] = r;
  }
  const column = new Map(features.map((f, j) => [f, j]));
  return {
    records,
    batch: true,
    path: (i, field) =>
      field === undefined
        ? `${base}.data[${i}]`
        : `${base}.data[${i}][${column.get(field) ?? 0}] (${field})`,
  };
}

function fromColumns(tensors: Tensor[], known: Set<string>, maxBatch: number): Instances {
  const errors: FieldError[] = [];
  const seen = new Map<string, Tensor>();
  let rows = -1;
  for (const t of tensors) {
    const base = `inputs[${t.index}]`;
    if (!known.has(t.name)) {
      errors.push({
        path: `${base}.name`,
        message:
          `${JSON.stringify(t.name)} is not a feature of this model; inputs are named after ` +
          `features (${[...known].join(", ")}), or one 2-D input holds them all`,
      });
    } else if (seen.has(t.name)) {
      errors.push({ path: `${base}.name`, message: `${JSON.stringify(t.name)} is sent twice` });
    } else if (t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1)) {
      errors.push({
        path: `${base}.shape`,
        message: `one feature's input must be [rows] or [rows, 1], got ${JSON.stringify(t.shape)}`,
      });
    } else if (rows !== -1 && t.rows !== rows) {
      errors.push({
        path: `${base}.shape`,
        message: `has ${t.rows} rows, the inputs before it ${rows}`,
      });
    } else {
      rows = t.rows;
      seen.set(t.name, t);
    }
  }
  if (errors.length === 0) {
    const absent = [...known].filter((f) => !seen.has(f));
    if (absent.length > 0) {
      errors.push({
        path: "inputs",
        message: `no input for ${absent.map((f) => JSON.stringify(f)).join(", ")}; send one ` +
          "input per feature (null elements for missing values)",
      });
    }
  }
  if (errors.length > 0) throw invalidInput(errors);
  checkBatchSize(rows, maxBatch, "inputs");
  const records = new Array<Record<string, unknown>>(rows);
  for (let i = 0; i < rows; i++) {
    const r: Record<string, unknown> = Object.create(null);
    for (const [name, t] of seen) r[name] = t.values[i];
    records[i] = r;
  }
  return {
    records,
    batch: true,
    path: (i, field) => {
      const t = field === undefined ? undefined : seen.get(field);
      return t === undefined
        ? `inputs (row ${i}${field ? `, ${field}` : ""})`
        : `inputs[${t.index}].data[${i}]`;
    },
  };
}
