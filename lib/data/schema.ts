/**
 * Schema inference: decides, once at training time, what each CSV column
 * becomes (numeric, categorical, or dropped) and how it is encoded. The
 * result is stored in the model bundle so prediction encodes identically.
 *
 * @module
 */
import { UserError } from "../errors.ts";
import { rowLine } from "./row_line.ts";
import { parseNumber } from "./decimal.ts";
import type {
  CategoricalFeature,
  DatasetSchema,
  DroppedColumn,
  FeatureSpec,
  NumericFeature,
  RawTable,
} from "./types.ts";

/** Options for {@link inferSchema}. */
export interface InferSchemaOptions {
  /** Name of the class-label column. */
  target: string;
  /** Columns to leave out of the features (reported with reason "user"). */
  drop?: string[];
}

/** Categories kept per column before rare ones are pooled into {@link OTHER_CATEGORY}. */
export const MAX_CATEGORIES = 64;

/**
 * The pooled category of a high-cardinality column. It is listed last in
 * `categories`; at encode time any unlisted value maps to it (and is not
 * counted as unknown, since the bucket exists to absorb rare values).
 */
export const OTHER_CATEGORY = "__other__";

/** Below this many values the "≥ 95% distinct" identifier rule is too noisy to apply. */
const MIN_ROWS_FOR_DISTINCT_RULE = 20;
const IDENTIFIER_DISTINCT_RATIO = 0.95;
/** `id`, `uuid`, `user_id`, `user-id`, `customerID`, `userId` (but not `paid` or `valid`). */
const ID_NAMES = [/^(?:uu|gu)?id$/i, /[_\-\s.]id$/i, /(?:ID|[a-z]Id)$/];

function looksLikeIdName(name: string): boolean {
  return ID_NAMES.some((re) => re.test(name));
}

/**
 * Infers the dataset schema from a training table.
 *
 * Column rules, in order: listed in `drop` → dropped ("user"); all blank →
 * "empty"; a non-numeric column whose values are ≥ 95% distinct (with at
 * least 20 values), or a column named like an id (`id`, `*_id`, `*ID`) whose
 * values are all distinct → "identifier"; a single distinct value and no
 * blanks → "constant". What remains is numeric when every non-blank cell is
 * a finite number (blanks are missing; `fill` is the median), otherwise
 * categorical (`binary` for two categories, else `onehot`; categories
 * sorted; blanks are missing, not a category). A categorical column with
 * more than {@link MAX_CATEGORIES} levels keeps its 63 most frequent and
 * pools the rest into {@link OTHER_CATEGORY}.
 *
 * Classes are the target's distinct values, sorted numerically when all are
 * numbers, else by code point; stored as strings. Errors: target or `drop`
 * column not found, a blank target (naming its line), a single class, or no
 * feature left.
 *
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 *
 * const table = parseCsv("id,age,plan,y\n1,30,a,No\n2,,b,Yes\n3,41,a,No\n");
 * const schema = inferSchema(table, { target: "y" });
 * schema.encodedNames; // ["age", "plan=b"]
 * schema.dropped; // [{ name: "id", reason: "identifier" }]
 * schema.classes; // ["No", "Yes"]
 * ```
 */
export function inferSchema(table: RawTable, options: InferSchemaOptions): DatasetSchema {
  const { header, source } = table;
  const targetCol = header.indexOf(options.target);
  if (targetCol === -1) {
    throw new UserError(
      `target column '${options.target}' not found in ${source}; columns: ${header.join(", ")}`,
      { code: "MISSING_COLUMN" },
    );
  }
  const userDrop = new Set(options.drop ?? []);
  for (const name of userDrop) {
    if (name === options.target) {
      throw new UserError(`cannot drop the target column '${name}'`, { code: "BAD_INPUT" });
    }
    if (!header.includes(name)) {
      throw new UserError(
        `column '${name}' to drop not found in ${source}; columns: ${header.join(", ")}`,
        { code: "MISSING_COLUMN" },
      );
    }
  }

  const classes = inferClasses(table, targetCol);
  const candidates: number[] = [];
  for (let c = 0; c < header.length; c++) {
    if (c !== targetCol && !userDrop.has(header[c])) candidates.push(c);
  }
  const scans = scanColumns(table, candidates);
  const counts = countCategories(table, candidates.filter((_, i) => scans[i].values === null));
  const features: FeatureSpec[] = [];
  const dropped: DroppedColumn[] = [];
  for (let c = 0, i = 0; c < header.length; c++) {
    if (c === targetCol) continue;
    const name = header[c];
    if (userDrop.has(name)) {
      dropped.push({ name, reason: "user" });
      continue;
    }
    const { blanks, values } = scans[i++];
    const result = blanks === table.rows.length
      ? { reason: "empty" as const }
      : values !== null
      ? numericColumn(name, values, blanks)
      : categoricalColumn(name, counts.get(c)!, blanks);
    if ("reason" in result) dropped.push({ name, reason: result.reason });
    else features.push(result);
  }

  if (features.length === 0) {
    const why = dropped.map((d) => `${d.name} (${d.reason})`).join(", ");
    throw new UserError(
      `${source}: no usable feature columns besides the target '${options.target}'` +
        (why ? `; dropped: ${why}` : ""),
      { code: "NO_FEATURES" },
    );
  }

  const encodedNames: string[] = [];
  const encodedSource: number[] = [];
  features.forEach((f, i) => {
    for (const n of encodedColumnNames(f)) {
      encodedNames.push(n);
      encodedSource.push(i);
    }
  });
  return { target: options.target, features, encodedNames, encodedSource, dropped, classes };
}

/**
 * The encoded column names of one feature: `name` for numeric,
 * `name=<categories[1]>` for binary, `name=<cat>` per category for onehot.
 *
 * @example
 * ```ts
 * encodedColumnNames({ name: "Partner", kind: "categorical", encoding: "binary",
 *   categories: ["No", "Yes"] }); // ["Partner=Yes"]
 * ```
 */
export function encodedColumnNames(feature: FeatureSpec): string[] {
  if (feature.kind === "numeric") return [feature.name];
  if (feature.encoding === "binary") return [`${feature.name}=${feature.categories[1]}`];
  return feature.categories.map((c) => `${feature.name}=${c}`);
}

/** True for cells that mean "no value": empty or whitespace only. */
export function isBlank(cell: string): boolean {
  // Most cells start with a non-space character: answer those without trim().
  return cell.length === 0 || (cell.charCodeAt(0) <= 0x20 || cell.charCodeAt(0) >= 0x7f) &&
      cell.trim().length === 0;
}

function inferClasses(table: RawTable, col: number): string[] {
  const name = table.header[col];
  const seen = new Set<string>();
  let firstBlank = -1;
  let blanks = 0;
  for (let r = 0; r < table.rows.length; r++) {
    const v = table.rows[r][col];
    if (isBlank(v)) {
      if (firstBlank === -1) firstBlank = r;
      blanks++;
    } else seen.add(v);
  }
  if (blanks > 0) {
    const more = blanks > 1 ? ` (and ${blanks - 1} more rows)` : "";
    throw new UserError(
      `${table.source}: line ${
        rowLine(table, firstBlank)
      }: target column '${name}' is blank${more}`,
      { code: "BAD_TARGET" },
    );
  }
  if (seen.size < 2) {
    const only = [...seen].map((v) => `'${v}'`).join("");
    throw new UserError(
      `${table.source}: target column '${name}' has only one class (${only}); need at least two`,
      { code: "BAD_TARGET" },
    );
  }
  const labels = [...seen];
  const numeric = labels.every((v) => !Number.isNaN(parseNumber(v)));
  return numeric
    ? labels.sort((a, b) => parseNumber(a) - parseNumber(b) || cmp(a, b))
    : labels.sort(cmp);
}

type ColumnResult = FeatureSpec | { reason: DroppedColumn["reason"] };

interface ColumnScan {
  blanks: number;
  /** The non-blank values when all are finite numbers, else null (categorical). */
  values: Float64Array | null;
}

/**
 * One row-major pass over the given columns: blanks, and whether each is
 * numeric. Row-major because each row's cells sit together on the heap; a
 * pass per column is several times slower on large tables.
 */
function scanColumns(table: RawTable, cols: number[]): ColumnScan[] {
  const n = table.rows.length;
  const blanks = new Int32Array(cols.length);
  const filled = new Int32Array(cols.length);
  // Dropped as soon as a column shows a non-number, so memory goes only to numeric ones.
  const values: (Float64Array | null)[] = cols.map(() => new Float64Array(n));
  for (const row of table.rows) {
    for (let i = 0; i < cols.length; i++) {
      const cell = row[cols[i]];
      if (isBlank(cell)) {
        blanks[i]++;
        continue;
      }
      const out = values[i];
      if (out === null) continue;
      const v = parseNumber(cell);
      if (Number.isNaN(v)) values[i] = null;
      else out[filled[i]++] = v;
    }
  }
  return cols.map((_, i) => ({
    blanks: blanks[i],
    values: values[i]?.slice(0, filled[i]) ?? null,
  }));
}

/** Non-blank value counts per column, in one row-major pass. */
function countCategories(table: RawTable, cols: number[]): Map<number, Map<string, number>> {
  const maps = cols.map(() => new Map<string, number>());
  for (const row of table.rows) {
    for (let i = 0; i < cols.length; i++) {
      const cell = row[cols[i]];
      if (!isBlank(cell)) maps[i].set(cell, (maps[i].get(cell) ?? 0) + 1);
    }
  }
  return new Map(cols.map((c, i) => [c, maps[i]]));
}

function numericColumn(name: string, values: Float64Array, blanks: number): ColumnResult {
  values.sort();
  let distinct = 1;
  for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]) distinct++;
  if (looksLikeIdName(name) && blanks === 0 && distinct === values.length && distinct > 1) {
    return { reason: "identifier" };
  }
  if (distinct === 1 && blanks === 0) return { reason: "constant" };
  const mid = values.length >> 1;
  const fill = values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  const feature: NumericFeature = { name, kind: "numeric", fill };
  return feature;
}

function categoricalColumn(
  name: string,
  counts: Map<string, number>,
  blanks: number,
): ColumnResult {
  let present = 0;
  for (const k of counts.values()) present += k;
  const distinct = counts.size;
  const mostlyDistinct = present >= MIN_ROWS_FOR_DISTINCT_RULE &&
    distinct >= IDENTIFIER_DISTINCT_RATIO * present;
  const uniqueById = looksLikeIdName(name) && blanks === 0 && distinct === present && distinct > 1;
  if (mostlyDistinct || uniqueById) return { reason: "identifier" };
  if (distinct === 1 && blanks === 0) return { reason: "constant" };

  let categories: string[];
  if (distinct > MAX_CATEGORIES) {
    // Most frequent first; ties by name so the choice is deterministic.
    const top = [...counts].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))
      .slice(0, MAX_CATEGORIES - 1)
      .map(([v]) => v);
    categories = [...top.sort(cmp), OTHER_CATEGORY];
  } else {
    categories = [...counts.keys()].sort(cmp);
  }
  const feature: CategoricalFeature = {
    name,
    kind: "categorical",
    encoding: categories.length === 2 ? "binary" : "onehot",
    categories,
  };
  return feature;
}

/** Code-point order: locale-independent, so schemas are identical on every machine. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
