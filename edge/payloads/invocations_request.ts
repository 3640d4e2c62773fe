/**
 * The `/invocations` body, in every shape `mlflow models serve` accepts, so
 * existing MLflow clients work unchanged:
 *
 * - `{"dataframe_split": {"columns": [...], "data": [[...], ...]}}` (pandas
 *   split orient; without `columns`, values follow the model's feature order)
 * - `{"dataframe_records": [{...}, ...]}` (pandas records orient)
 * - `{"instances": [...]}` (rows: objects, or arrays in feature order)
 * - `{"inputs": [...]}` (same as instances) or `{"inputs": {"col": [...]}}`
 *   (columnar)
 * - a CSV body (`Content-Type: text/csv`) with a header row
 *
 * An optional `params` object is accepted and ignored, as for a model
 * without parameters.
 *
 * @module
 */
import { parseCsvLazily } from "../../lib/data/serving.ts";
import { isUserError } from "../../lib/errors.ts";
import { type FieldError, invalidInput } from "../errors.ts";
import { fieldPath } from "./field_path.ts";
import { checkBatchSize, type Instances, rowPaths } from "./predict_request.ts";

/** The top-level keys MLflow's scoring server understands. */
export const MLFLOW_FORMATS = [
  "dataframe_split",
  "dataframe_records",
  "instances",
  "inputs",
] as const;

/**
 * Converts any MLflow payload into instances; `features` is the model's
 * feature order, used for positional rows.
 *
 * @example
 * ```ts
 * const { records } = parseInvocationsBody(
 *   { dataframe_split: { columns: ["tenure"], data: [[1], [24]] } },
 *   ["tenure"],
 *   1000,
 * );
 * records; // [{ tenure: 1 }, { tenure: 24 }]
 * ```
 */
export function parseInvocationsBody(
  body: unknown,
  features: readonly string[],
  maxBatch: number,
): Instances {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidInput([{ path: "", message: `expected an object with one of ${formats()}` }]);
  }
  const present = MLFLOW_FORMATS.filter((k) => Object.hasOwn(body, k));
  if (present.length !== 1) {
    const message = present.length === 0
      ? `expected one of ${formats()}`
      : `send only one of ${formats()}; got ${present.join(", ")}`;
    throw invalidInput([{ path: "", message }]);
  }
  const key = present[0];
  const value = (body as Record<string, unknown>)[key];
  switch (key) {
    case "dataframe_split":
      return fromSplit(value, features, maxBatch);
    case "dataframe_records":
      return fromRows(value, key, features, maxBatch);
    case "instances":
      return fromRows(value, key, features, maxBatch);
    case "inputs":
      return Array.isArray(value)
        ? fromRows(value, key, features, maxBatch)
        : fromColumns(value, key, maxBatch);
  }
}

/**
 * Parses a CSV body (header row, then one instance per line). Values stay
 * strings: numeric strings are numbers to the model, empty cells missing.
 * The CSV parser is loaded on the first CSV body, not at start-up.
 *
 * @example
 * ```ts
 * (await parseInvocationsCsv("tenure,Contract\n3,One year\n", 1000)).records.length; // 1
 * ```
 */
export async function parseInvocationsCsv(text: string, maxBatch: number): Promise<Instances> {
  let table;
  try {
    table = await parseCsvLazily(text, "request body");
  } catch (e) {
    if (isUserError(e)) throw invalidInput([{ path: "", message: e.message }]);
    throw e;
  }
  checkBatchSize(table.rows.length, maxBatch, "");
  const records = table.rows.map((row) => recordOf(table.header, row));
  // Line numbers match what the client sees in its file (header is line 1).
  return {
    records,
    batch: true,
    path: (i, field) => (field === undefined ? `line ${i + 2}` : `line ${i + 2}, column ${field}`),
  };
}

function formats(): string {
  return MLFLOW_FORMATS.join(", ");
}

function fromSplit(value: unknown, features: readonly string[], maxBatch: number): Instances {
  const base = "dataframe_split";
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidInput([{ path: base, message: 'must be an object with "columns" and "data"' }]);
  }
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  const errors: FieldError[] = [];
  let names: readonly string[] = features;
  if (columns !== undefined) {
    if (!Array.isArray(columns)) {
      errors.push({ path: `${base}.columns`, message: "must be an array of column names" });
    } else {
      columns.forEach((c, i) => {
        if (typeof c !== "string") {
          errors.push({ path: `${base}.columns[${i}]`, message: "must be a string" });
        }
      });
      names = columns as string[];
    }
  }
  if (!Array.isArray(data)) {
    errors.push({ path: `${base}.data`, message: "must be an array of rows" });
  }
  if (errors.length > 0) throw invalidInput(errors);
  const rows = data as unknown[];
  checkBatchSize(rows.length, maxBatch, `${base}.data`);
  const records = rows.map((row, i) => {
    if (!Array.isArray(row)) {
      errors.push({ path: `${base}.data[${i}]`, message: "must be an array of values" });
    } else if (row.length !== names.length) {
      errors.push({
        path: `${base}.data[${i}]`,
        message: `has ${row.length} values, expected ${names.length} (one per column)`,
      });
    } else return recordOf(names, row);
    return null;
  });
  if (errors.length > 0) throw invalidInput(errors);
  return { records, batch: true, path: rowPaths(`${base}.data`) };
}

function fromRows(
  value: unknown,
  key: string,
  features: readonly string[],
  maxBatch: number,
): Instances {
  if (!Array.isArray(value)) {
    throw invalidInput([{ path: key, message: "must be an array of instances" }]);
  }
  checkBatchSize(value.length, maxBatch, key);
  const errors: FieldError[] = [];
  const records = value.map((row, i) => {
    if (!Array.isArray(row)) return row;
    if (row.length !== features.length) {
      errors.push({
        path: fieldPath(key, i),
        message:
          `has ${row.length} values, expected ${features.length} (one per feature, in /v1/model order)`,
      });
      return null;
    }
    return recordOf(features, row);
  });
  if (errors.length > 0) throw invalidInput(errors);
  return { records, batch: true, path: rowPaths(key) };
}

function fromColumns(value: unknown, key: string, maxBatch: number): Instances {
  if (value === null || typeof value !== "object") {
    throw invalidInput([{
      path: key,
      message: "must be an array of instances or an object of columns",
    }]);
  }
  const columns = Object.entries(value as Record<string, unknown>);
  if (columns.length === 0) throw invalidInput([{ path: key, message: "has no columns" }]);
  const errors: FieldError[] = [];
  let n = -1;
  for (const [name, col] of columns) {
    if (!Array.isArray(col)) {
      errors.push({ path: fieldPath(key, name), message: "must be an array of values" });
    } else if (n === -1) n = col.length;
    else if (col.length !== n) {
      errors.push({
        path: fieldPath(key, name),
        message: `has ${col.length} values, other columns have ${n}`,
      });
    }
  }
  if (errors.length > 0) throw invalidInput(errors);
  checkBatchSize(n, maxBatch, key);
  const records = new Array<Record<string, unknown>>(n);
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = Object.create(null);
    for (const [name, col] of columns) r[name] = (col as unknown[])[i];
    records[i] = r;
  }
  // Errors point into the column the client wrote: inputs.tenure[3].
  return {
    records,
    batch: true,
    path: (
      i,
      field,
    ) => (field === undefined ? `${key}[${i}]` : fieldPath(fieldPath(key, field), i)),
  };
}

/**
 * A record from parallel names and values. Null prototype: a column named
 * `__proto__` must become a field, not replace the prototype.
 */
function recordOf(names: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const r: Record<string, unknown> = Object.create(null);
  for (let j = 0; j < names.length; j++) r[names[j]] = values[j];
  return r;
}
