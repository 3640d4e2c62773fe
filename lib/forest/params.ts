/**
 * The hyperparameter catalogue: one declarative entry per hyperparameter,
 * after scikit-learn's `_parameter_constraints` in `ensemble/_forest.py`.
 * Everything else is derived from it: the {@link ForestParams} type and
 * {@link DEFAULT_PARAMS}, `mlops train`'s options and their help, the sweep's
 * grid names and parsers, configuration ids, the params logged to MLflow,
 * the ml-random-forest options, and the checks `fitForest` runs.
 *
 * Adding a hyperparameter is one entry here plus its use in the trainer.
 *
 * @example
 * ```ts
 * import { formatParam, PARAM_LIST } from "./params.ts";
 * for (const p of PARAM_LIST) console.log(p.name, p.sklearn, formatParam(p, p.default));
 * ```
 *
 * @module
 */
import { formatMaxFeatures, intAtLeast, maxFeatures } from "./parse.ts";
import type { MaxFeatures } from "./types.ts";

/**
 * What values a hyperparameter takes, as text and as a value: like
 * scikit-learn's `Interval` and `StrOptions`.
 */
export interface Constraint<V> {
  /** Reads the value as users write it; throws a RangeError saying what was expected. */
  parse(text: string): V;
  /** The value as users write it, read back by `parse` to the same value. */
  format(value: V): string;
  /** Why `value` is out of range (e.g. "must be an integer >= 1, got 0"), or null. */
  check(value: V): string | null;
  /** The values, when they are a short list (shown in `--help`). */
  choices?: readonly string[];
}

/** One hyperparameter of the catalogue. */
export interface Param<V> extends Constraint<V> {
  /** User-facing name: the `mlops train` flag without dashes and the `--grid` key. */
  name: string;
  /** scikit-learn's name, used for MLflow params and `cv_results.csv`; null: not logged. */
  sklearn: string | null;
  default: V;
  /** One line for `--help`. */
  help: string;
  /** Placeholder in `--help`, e.g. "n" for `--trees <n>`; null: not a command-line option. */
  arg: string | null;
  /** A sweep may vary it (`--grid name=...`). */
  sweep: boolean;
  /**
   * Decides what a fit learns, so it is part of the configuration id.
   * False for what only changes what is reported (`oobScore`).
   */
  identity: boolean;
  /**
   * The ml-random-forest option it sets (`treeOptions.x` for a tree option)
   * and the value, given the feature count; null: the library has none.
   */
  mlRandomForest: { option: string; value(v: V, nFeatures: number): unknown } | null;
}

/** An integer in [min, max]. */
function int(min: number, max = Infinity): Constraint<number> {
  const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
  const parseMin = intAtLeast(min);
  return {
    parse: (t) => {
      const n = parseMin(t);
      if (n > max) throw new RangeError(`expected an integer ${range}, got "${t}"`);
      return n;
    },
    format: String,
    check: (v) =>
      Number.isInteger(v) && v >= min && v <= max ? null : `must be an integer ${range}, got ${v}`,
  };
}

/** One of a few words. */
function oneOf<T extends string>(...allowed: T[]): Constraint<T> {
  return {
    parse: (t) => {
      if ((allowed as string[]).includes(t)) return t as T;
      throw new RangeError(`expected ${allowed.join(" or ")}, got "${t}"`);
    },
    format: String,
    check: (v) => allowed.includes(v) ? null : `must be ${allowed.join(" or ")}, got ${v}`,
    choices: allowed,
  };
}

/** `c`'s values or `none` (null; Python's `None` is read too). */
function orNone<V>(c: Constraint<V>): Constraint<V | null> {
  return {
    parse: (t) => t === "none" || t === "None" ? null : c.parse(t),
    format: (v) => v === null ? "none" : c.format(v),
    check: (v) => v === null ? null : c.check(v),
    choices: c.choices && [...c.choices, "none"],
  };
}

const bool: Constraint<boolean> = {
  parse: (t) => {
    if (t === "true" || t === "True") return true;
    if (t === "false" || t === "False") return false;
    throw new RangeError(`expected true or false, got "${t}"`);
  },
  format: String,
  check: (v) => typeof v === "boolean" ? null : `must be true or false, got ${v}`,
};

const features: Constraint<MaxFeatures> = {
  parse: maxFeatures,
  format: formatMaxFeatures,
  check: (mf) => {
    if (typeof mf === "object" && "fraction" in mf && !(mf.fraction > 0 && mf.fraction <= 1)) {
      return `fraction must be in (0, 1], got ${mf.fraction}`;
    }
    if (typeof mf === "object" && "count" in mf) return int(1).check(mf.count);
    return null;
  },
};

type Entry<V> = Omit<Param<V>, keyof Constraint<V> | "mlRandomForest" | "identity"> & {
  mlRandomForest?: Param<V>["mlRandomForest"];
  identity?: boolean;
};

/** An entry: its constraint first, so the value type comes from the constraint alone. */
const param = <V>(c: Constraint<V>) => (e: Entry<V>): Param<V> => ({
  ...c,
  ...e,
  mlRandomForest: e.mlRandomForest ?? null,
  identity: e.identity ?? true,
});

const as = (option: string) => ({ option, value: <V>(v: V) => v });

/**
 * The catalogue, in the order options, grid axes and MLflow params are
 * shown. scikit-learn's defaults, which the CLI also uses.
 */
export const PARAMS = {
  nTrees: param(int(1))({
    name: "trees",
    sklearn: "n_estimators",
    default: 100,
    help: "number of trees",
    arg: "n",
    sweep: true,
    mlRandomForest: as("nEstimators"),
  }),
  maxDepth: param(orNone(int(1)))({
    name: "max-depth",
    sklearn: "max_depth",
    default: null,
    help: "maximum tree depth, or none",
    arg: "d",
    sweep: true,
    mlRandomForest: { option: "treeOptions.maxDepth", value: (v) => v ?? Infinity },
  }),
  minSamplesSplit: param(int(2))({
    name: "min-samples-split",
    sklearn: "min_samples_split",
    default: 2,
    help: "minimum rows to split a node",
    arg: "n",
    sweep: true,
    mlRandomForest: as("treeOptions.minNumSamples"),
  }),
  minSamplesLeaf: param(int(1))({
    name: "min-samples-leaf",
    sklearn: "min_samples_leaf",
    default: 1,
    help: "minimum rows in a leaf",
    arg: "n",
    sweep: true,
  }),
  maxFeatures: param(features)({
    name: "max-features",
    sklearn: "max_features",
    default: "sqrt",
    help: "features per split: sqrt|log2|all|fraction|count",
    arg: "f",
    sweep: true,
    // The library takes a share of the features; ours resolves to a count first.
    mlRandomForest: {
      option: "maxFeatures",
      value: (v, n) => resolveMaxFeatures(v, n) / n,
    },
  }),
  criterion: param(oneOf("gini", "entropy"))({
    name: "criterion",
    sklearn: "criterion",
    default: "gini",
    help: "split criterion",
    arg: "c",
    sweep: true,
  }),
  classWeight: param(orNone(oneOf("balanced")))({
    name: "class-weight",
    sklearn: "class_weight",
    default: null,
    help: "class weights",
    arg: "w",
    sweep: true,
  }),
  bootstrap: param(bool)({
    name: "bootstrap",
    sklearn: "bootstrap",
    default: true,
    help: "draw each tree's rows with replacement",
    arg: null,
    sweep: false,
    mlRandomForest: as("replacement"),
  }),
  maxBins: param(int(3, 255))({
    name: "max-bins",
    sklearn: "max_bins",
    default: 255,
    help: "histogram bins per feature (bin 0 is reserved for missing)",
    arg: null,
    sweep: false,
  }),
  seed: param(int(0))({
    name: "seed",
    sklearn: "random_state",
    default: 42,
    help: "random seed",
    arg: "s",
    sweep: false,
    mlRandomForest: as("seed"),
  }),
  oobScore: param(bool)({
    name: "oob-score",
    sklearn: null,
    default: true,
    help: "compute the out-of-bag score (needs bootstrap)",
    arg: null,
    sweep: false,
    identity: false,
  }),
};

type ValueOf<P> = P extends Param<infer V> ? V : never;

/** Random-forest hyperparameters, one field per {@link PARAMS} entry. */
export type ForestParams = { [K in keyof typeof PARAMS]: ValueOf<(typeof PARAMS)[K]> };

/** A catalogue entry with its {@link ForestParams} field. */
export type ParamEntry = { [K in keyof ForestParams]: Param<ForestParams[K]> & { key: K } }[
  keyof ForestParams
];

/** The catalogue as a list, each entry with its field name (`key`), in catalogue order. */
export const PARAM_LIST: readonly ParamEntry[] = Object.entries(PARAMS).map(([key, p]) =>
  ({ ...p, key }) as ParamEntry
);

/** Every hyperparameter at its default: scikit-learn's, which the CLI also uses. */
export const DEFAULT_PARAMS: ForestParams = Object.fromEntries(
  PARAM_LIST.map((p) => [p.key, p.default]),
) as ForestParams;

/** `p`'s value as text (`format`); generic over the entry so callers need no casts. */
export function formatParam(p: ParamEntry, value: ForestParams[keyof ForestParams]): string {
  return (p.format as (v: unknown) => string)(value);
}

/**
 * `value` as a JSON value: itself, or its text when it is an object
 * (`max_features`), so it prints and hashes the way users write it.
 */
export function jsonValue(p: ParamEntry, value: ForestParams[keyof ForestParams]): unknown {
  return typeof value === "object" && value !== null ? formatParam(p, value) : value;
}

/**
 * Throws a RangeError naming the first hyperparameter out of its range.
 *
 * @example
 * ```ts
 * checkParams({ ...DEFAULT_PARAMS, nTrees: 0 }); // RangeError: nTrees must be an integer >= 1, got 0
 * ```
 */
export function checkParams(p: ForestParams): void {
  for (const e of PARAM_LIST) {
    const why = (e.check as (v: unknown) => string | null)(p[e.key]);
    if (why !== null) throw new RangeError(`${e.key} ${why}`);
  }
}

/**
 * The hyperparameters as MLflow params, with scikit-learn's names and
 * Python-style text (`None`, `True`), so they compare with sklearn-logged runs.
 *
 * @example
 * ```ts
 * mlflowParams({ ...DEFAULT_PARAMS, maxDepth: null }).max_depth; // "None"
 * ```
 */
export function mlflowParams(p: ForestParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of PARAM_LIST) {
    if (e.sklearn === null) continue;
    const v = p[e.key];
    out[e.sklearn] = v === null
      ? "None"
      : typeof v === "boolean"
      ? (v ? "True" : "False")
      : formatParam(e, v);
  }
  return out;
}

/**
 * The hyperparameters that decide what a fit learns, as sorted-key JSON:
 * the text configuration ids hash, so it must not change for existing sweeps.
 *
 * @example
 * ```ts
 * canonicalParams(DEFAULT_PARAMS); // '{"bootstrap":true,"classWeight":null,...}'
 * ```
 */
export function canonicalParams(p: ForestParams): string {
  const c: Record<string, unknown> = {};
  for (const e of [...PARAM_LIST].sort((a, b) => a.key < b.key ? -1 : 1)) {
    if (e.identity) c[e.key] = jsonValue(e, p[e.key]);
  }
  return JSON.stringify(c);
}

/**
 * The command-line hyperparameters as a JSON object keyed by snake_case
 * name (`trees`, `max_depth`, ...), for `--json` summaries.
 *
 * @example
 * ```ts
 * paramsJson(DEFAULT_PARAMS).max_features; // "sqrt"
 * ```
 */
export function paramsJson(p: ForestParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of PARAM_LIST) {
    if (e.arg !== null) out[e.name.replaceAll("-", "_")] = jsonValue(e, p[e.key]);
  }
  return out;
}

/**
 * Number of features drawn per split for `maxFeatures` over `nFeatures`.
 *
 * @example
 * ```ts
 * resolveMaxFeatures("sqrt", 40); // 6
 * ```
 */
export function resolveMaxFeatures(mf: MaxFeatures, nFeatures: number): number {
  let k: number;
  if (mf === "sqrt") k = Math.floor(Math.sqrt(nFeatures));
  else if (mf === "log2") k = Math.floor(Math.log2(nFeatures));
  else if (mf === "all") k = nFeatures;
  else if ("fraction" in mf) k = Math.floor(mf.fraction * nFeatures);
  else k = mf.count;
  return Math.min(nFeatures, Math.max(1, k));
}
