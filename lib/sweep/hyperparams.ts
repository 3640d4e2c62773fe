/**
 * The hyperparameters a sweep may vary, named like `mlops train`'s flags and
 * parsed by the same parsers, so `--grid max-depth=none,10` accepts exactly
 * what `--max-depth` accepts. Each also has its scikit-learn name, used for
 * MLflow params and `cv_results.csv` so our runs line up with sklearn's.
 *
 * @module
 */
import { formatMaxFeatures, intAtLeast, maxDepth, maxFeatures } from "../forest/parse.ts";
import { UserError } from "../errors.ts";
import type { ForestParams, MaxFeatures } from "../forest/types.ts";

/** One sweepable hyperparameter. */
export interface HyperParam {
  /** Flag name without dashes, e.g. "max-depth". */
  name: string;
  /** Field of {@link ForestParams} it sets. */
  key: keyof ForestParams;
  /** scikit-learn's name, e.g. "max_depth". */
  sklearn: string;
  /** Parses one value; throws an Error whose message says what was expected. */
  parse(text: string): ForestParams[keyof ForestParams];
  /** The value as users write it (`none`, `sqrt`, `0.5`). */
  format(value: ForestParams[keyof ForestParams]): string;
}

function choice<T extends string>(...allowed: T[]): (text: string) => T {
  return (text) => {
    if ((allowed as string[]).includes(text)) return text as T;
    throw new Error(`expected ${allowed.join(" or ")}, got "${text}"`);
  };
}

export { formatMaxFeatures };

const text = (v: unknown) => String(v);

/** Every sweepable hyperparameter, in the order grids are expanded and shown. */
export const HYPERPARAMS: readonly HyperParam[] = [
  { name: "trees", key: "nTrees", sklearn: "n_estimators", parse: intAtLeast(1), format: text },
  {
    name: "max-depth",
    key: "maxDepth",
    sklearn: "max_depth",
    parse: maxDepth,
    format: (v) => v === null ? "none" : String(v),
  },
  {
    name: "min-samples-split",
    key: "minSamplesSplit",
    sklearn: "min_samples_split",
    parse: intAtLeast(2),
    format: text,
  },
  {
    name: "min-samples-leaf",
    key: "minSamplesLeaf",
    sklearn: "min_samples_leaf",
    parse: intAtLeast(1),
    format: text,
  },
  {
    name: "max-features",
    key: "maxFeatures",
    sklearn: "max_features",
    parse: maxFeatures,
    format: (v) => formatMaxFeatures(v as MaxFeatures),
  },
  {
    name: "criterion",
    key: "criterion",
    sklearn: "criterion",
    parse: choice("gini", "entropy"),
    format: text,
  },
  {
    name: "class-weight",
    key: "classWeight",
    sklearn: "class_weight",
    parse: (t) => t === "none" || t === "None" ? null : choice("balanced")(t),
    format: (v) => v === null ? "none" : String(v),
  },
];

// Names people bring from scikit-learn; `max_depth` style is handled by normalising "_".
const ALIASES: Record<string, string> = { "n-estimators": "trees" };

/**
 * The hyperparameter called `name` (a train flag name, its snake_case form,
 * or a scikit-learn name); a one-line error listing the known names otherwise.
 * `where` says where the name came from, e.g. "--grid".
 *
 * @example
 * ```ts
 * lookupHyperParam("max_depth", "--grid").key; // "maxDepth"
 * ```
 */
export function lookupHyperParam(name: string, where: string): HyperParam {
  const norm = name.trim().toLowerCase().replaceAll("_", "-");
  const found = HYPERPARAMS.find((h) => h.name === (ALIASES[norm] ?? norm));
  if (!found) {
    throw new UserError(
      `${where}: unknown hyperparameter "${name}" (known: ${
        HYPERPARAMS.map((h) => h.name).join(", ")
      })`,
      { code: "BAD_GRID" },
    );
  }
  return found;
}

/**
 * Parses one value of `h`, rethrowing a parser's complaint as a one-line
 * {@link UserError} that names where it came from.
 *
 * @example
 * ```ts
 * parseHyperValue(lookupHyperParam("max-depth", "--grid"), "none", "--grid"); // null
 * ```
 */
export function parseHyperValue(h: HyperParam, value: string, where: string) {
  try {
    return h.parse(value.trim());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError(`${where} ${h.name}=${value}: ${why}`, { code: "BAD_GRID" });
  }
}

/**
 * The hyperparameters as MLflow params, with scikit-learn's names and
 * Python-style text (`None`), so they compare with sklearn-logged runs.
 *
 * @example
 * ```ts
 * import { DEFAULT_PARAMS } from "../forest/types.ts";
 *
 * mlflowParams({ ...DEFAULT_PARAMS, maxDepth: null }).max_depth; // "None"
 * ```
 */
export function mlflowParams(p: ForestParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of HYPERPARAMS) {
    const v = p[h.key];
    out[h.sklearn] = v === null ? "None" : h.format(v);
  }
  out.bootstrap = p.bootstrap ? "True" : "False";
  out.max_bins = String(p.maxBins);
  out.random_state = String(p.seed);
  return out;
}
