/**
 * Encoding: raw cells → the numeric features the forest sees, exactly as the
 * schema prescribes. Used on training CSVs, prediction CSVs, and per request
 * on JSON records at the edge.
 *
 * Missing numbers stay NaN (the forest routes NaN natively; nothing is
 * imputed). Categories unseen in training encode as all zeros and are
 * counted, never an error.
 *
 * @module
 */
import { UserError } from "../errors.ts";
import { rowLine } from "./row_line.ts";
import { parseNumber } from "./decimal.ts";
import { isBlank, OTHER_CATEGORY } from "./schema.ts";
import type { DatasetSchema, Matrix, RawTable } from "./types.ts";

/** Options for {@link encodeTable}. */
export interface EncodeTableOptions {
  /** Also encode the target into `y` (training, evaluation); error if absent. */
  requireTarget: boolean;
}

/** What {@link encodeTable} returns. */
export interface EncodedTable {
  /** Encoded features, one column per `schema.encodedNames` entry. */
  X: Matrix;
  /** Class index per row, or null when the target was not required. */
  y: Int32Array | null;
  /** Per feature name, rows whose category was unseen in training (only non-zero counts). */
  unknownCategories: Record<string, number>;
}

/** A problem with one field of a JSON record. */
export interface FieldError {
  /** The record's field (feature) name. */
  field: string;
  /** What is wrong with it, e.g. "missing field". */
  message: string;
}

/** What a {@link RecordEncoder} reports besides the values it writes. */
export interface RecordEncoding {
  /** Invalid or missing fields; the record should be rejected when non-empty. */
  errors: FieldError[];
  /** Names of categorical features whose value was unseen in training. */
  unknown: string[];
}

/**
 * Encodes one JSON record into `out` (length ≥ `schema.encodedNames.length`).
 * With `categories` (length ≥ `schema.features.length`), also writes, per
 * schema feature, the index of the record's value in the feature's
 * `categories` (the `__other__` bucket for unlisted values when there is
 * one), or -1 when the value is missing or unseen, and for numeric features.
 */
export type RecordEncoder = (
  record: Record<string, unknown>,
  out: Float64Array,
  categories?: Int32Array,
) => RecordEncoding;

/**
 * Encodes a table with a schema. Columns are matched by header name, so
 * their order does not matter and extra columns are ignored.
 *
 * Numeric cells that are blank or not finite decimal numbers become NaN
 * (`parseNumber`). With
 * `requireTarget`, a missing target column, a blank target, or a label not
 * seen in training is a {@link UserError} naming the file and line.
 *
 * @example
 * ```ts
 * import { readCsvFile } from "./csv.ts";
 * import { inferSchema } from "./schema.ts";
 *
 * const table = await readCsvFile("data/telco-customer-churn.csv");
 * const schema = inferSchema(table, { target: "Churn" });
 * const { X, y } = encodeTable(schema, table, { requireTarget: true });
 * X.nCols === schema.encodedNames.length; // true
 * ```
 */
export function encodeTable(
  schema: DatasetSchema,
  table: RawTable,
  options: EncodeTableOptions,
): EncodedTable {
  const { rows, source } = table;
  const nRows = rows.length;
  const colOf = new Map(table.header.map((h, i) => [h, i]));
  const missing = schema.features.map((f) => f.name).filter((n) => !colOf.has(n));
  if (missing.length > 0) {
    throw new UserError(
      `${source}: missing model column${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`,
      { code: "MISSING_COLUMN" },
    );
  }

  const nCols = schema.encodedNames.length;
  const data = new Float32Array(nCols * nRows);
  const plans = featurePlans(schema);
  const cols = Int32Array.from(plans, (p) => colOf.get(p.name)!);
  const unknown = new Float64Array(plans.length);
  // Row-major walk: each row's cells sit together on the heap, so this is
  // several times faster than one pass per column over a million row arrays.
  for (let r = 0; r < nRows; r++) {
    const row = rows[r];
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const cell = row[cols[i]];
      if (p.numeric) {
        data[p.offset * nRows + r] = parseNumber(cell);
        continue;
      }
      let k = p.index.get(cell);
      if (k === undefined) {
        if (isBlank(cell)) continue;
        if (p.other === -1) {
          unknown[i]++;
          continue;
        }
        k = p.other;
      }
      // Binary is one column meaning "== categories[1]"; data starts zeroed.
      if (!p.binary) data[(p.offset + k) * nRows + r] = 1;
      else if (k === 1) data[p.offset * nRows + r] = 1;
    }
  }
  const unknownCategories: Record<string, number> = {};
  plans.forEach((p, i) => {
    if (unknown[i] > 0) unknownCategories[p.name] = unknown[i];
  });

  const y = options.requireTarget ? encodeTarget(schema, table, colOf) : null;
  return { X: { data, nRows, nCols }, y, unknownCategories };
}

/**
 * Builds a fast encoder for JSON records: lookups are prepared once per
 * schema, so each call only reads fields and writes `out`.
 *
 * Numeric fields accept finite numbers and decimal strings (`"12"`, `"-1.5e3"`;
 * not `"0x10"` or `"Infinity"`, see `decimal.ts`); `null` or `""` is missing
 * (NaN); booleans, objects, arrays, other strings and non-finite numbers are
 * errors. Categorical fields accept strings, numbers and
 * booleans (stringified as a CSV would hold them: `0` → `"0"`); `null` or
 * `""` is missing (all zeros). An absent field is an error ("missing
 * field"); fields the model does not use are ignored.
 *
 * @example
 * ```ts
 * import type { DatasetSchema } from "./types.ts";
 *
 * declare const schema: DatasetSchema;
 * const encode = createRecordEncoder(schema);
 * const out = new Float64Array(schema.encodedNames.length);
 * const { errors, unknown } = encode({ tenure: 12, Contract: "One year" }, out);
 * ```
 */
export function createRecordEncoder(schema: DatasetSchema): RecordEncoder {
  const plans = featurePlans(schema);
  const nCols = schema.encodedNames.length;
  // Without a caller's array, category indexes go to scratch nobody reads.
  const scratch = new Int32Array(plans.length);

  return (record, out, categories = scratch) => {
    if (out.length < nCols) {
      throw new RangeError(`output has ${out.length} slots, schema needs ${nCols}`);
    }
    if (categories.length < plans.length) {
      throw new RangeError(
        `categories has ${categories.length} slots, schema has ${plans.length} features`,
      );
    }
    const errors: FieldError[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const offset = p.offset;
      let value = record[p.name];
      // A feature named like an Object.prototype member must not see the inherited
      // function (or __proto__ object); valid fields are primitives or null.
      if (value !== null && (typeof value === "object" || typeof value === "function")) {
        if (!Object.hasOwn(record, p.name)) value = undefined;
      }
      categories[i] = -1;
      if (p.numeric) {
        out[offset] = numericField(p.name, value, errors);
        continue;
      }
      out.fill(0, offset, offset + p.width);
      const key = categoryKey(p.name, value, errors);
      if (key !== null) {
        let k = p.index.get(key);
        if (k === undefined) {
          if (p.other === -1) unknown.push(p.name);
          else k = p.other;
        }
        if (k !== undefined) {
          categories[i] = k;
          if (!p.binary) out[offset + k] = 1;
          else if (k === 1) out[offset] = 1;
        }
      }
    }
    return { errors, unknown };
  };
}

const encoders = new WeakMap<DatasetSchema, RecordEncoder>();

/**
 * Encodes one JSON record; a convenience over {@link createRecordEncoder}
 * that caches the encoder per schema object.
 *
 * @example
 * ```ts
 * import type { DatasetSchema } from "./types.ts";
 *
 * declare const schema: DatasetSchema;
 * const out = new Float64Array(schema.encodedNames.length);
 * const { errors } = encodeRecord(schema, { tenure: "12", Contract: null }, out);
 * ```
 */
export function encodeRecord(
  schema: DatasetSchema,
  record: Record<string, unknown>,
  out: Float64Array,
): RecordEncoding {
  let encode = encoders.get(schema);
  if (encode === undefined) {
    encode = createRecordEncoder(schema);
    encoders.set(schema, encode);
  }
  return encode(record, out);
}

/** One feature, prepared for encoding: where its columns start and how to look values up. */
interface FeaturePlan {
  name: string;
  numeric: boolean;
  binary: boolean;
  /** First encoded column. */
  offset: number;
  /** Number of encoded columns. */
  width: number;
  /** Category → index into `categories` (empty for numeric features). */
  index: Map<string, number>;
  /** Index of the `__other__` bucket, or -1. */
  other: number;
}

function featurePlans(schema: DatasetSchema): FeaturePlan[] {
  let offset = 0;
  return schema.features.map((f) => {
    const numeric = f.kind === "numeric";
    const binary = !numeric && f.encoding === "binary";
    const width = numeric || binary ? 1 : f.categories.length;
    const index = new Map<string, number>(numeric ? [] : f.categories.map((c, i) => [c, i]));
    const plan = { name: f.name, numeric, binary, offset, width, index };
    offset += width;
    return { ...plan, other: index.get(OTHER_CATEGORY) ?? -1 };
  });
}

function encodeTarget(
  schema: DatasetSchema,
  table: RawTable,
  colOf: Map<string, number>,
): Int32Array {
  const col = colOf.get(schema.target);
  if (col === undefined) {
    throw new UserError(
      `${table.source}: target column '${schema.target}' not found (needed for labels)`,
      { code: "MISSING_COLUMN" },
    );
  }
  const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
  const y = new Int32Array(table.rows.length);
  for (let r = 0; r < y.length; r++) {
    const label = table.rows[r][col];
    const k = classIndex.get(label);
    if (k === undefined) {
      const at = `${table.source}: line ${rowLine(table, r)}`;
      throw new UserError(
        isBlank(label)
          ? `${at}: target column '${schema.target}' is blank`
          : `${at}: unknown target label '${label}' (model classes: ${schema.classes.join(", ")})`,
        { code: "BAD_TARGET" },
      );
    }
    y[r] = k;
  }
  return y;
}

function numericField(name: string, value: unknown, errors: FieldError[]): number {
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    errors.push({ field: name, message: `expected a finite number, got ${value}` });
    return NaN;
  }
  if (typeof value === "string") {
    if (isBlank(value)) return NaN;
    const v = parseNumber(value);
    if (!Number.isNaN(v)) return v;
    errors.push({
      field: name,
      message: `expected a decimal number, got ${JSON.stringify(value)}`,
    });
    return NaN;
  }
  if (value === null) return NaN;
  errors.push({
    field: name,
    message: value === undefined
      ? "missing field"
      : `expected a number or null, got ${typeOf(value)}`,
  });
  return NaN;
}

/** The category string of a field, or null when missing or invalid. */
function categoryKey(name: string, value: unknown, errors: FieldError[]): string | null {
  if (typeof value === "string") return isBlank(value) ? null : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return null;
  errors.push({
    field: name,
    message: value === undefined
      ? "missing field"
      : `expected a string, number, boolean or null, got ${typeOf(value)}`,
  });
  return null;
}

function typeOf(value: unknown): string {
  return Array.isArray(value) ? "array" : typeof value;
}
