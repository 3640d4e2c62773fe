/**
 * The hyperparameters a sweep may vary: the catalogue's sweepable entries
 * (`lib/forest/params.ts`), named like `mlops train`'s flags and parsed by the
 * same parsers, so `--grid max-depth=none,10` accepts exactly what
 * `--max-depth` accepts. Each also has its scikit-learn name, used for MLflow
 * params and `cv_results.csv` so our runs line up with sklearn's.
 *
 * @module
 */
import { errorAt, type Where } from "../errors.ts";
import { type ForestParams, PARAM_LIST, type ParamEntry } from "../forest/mod.ts";

/** One sweepable hyperparameter: a catalogue entry, seen through untyped values. */
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

/** Every sweepable hyperparameter, in the order grids are expanded and shown. */
export const HYPERPARAMS: readonly HyperParam[] = PARAM_LIST
  .filter((p): p is ParamEntry & { sklearn: string } => p.sweep && p.sklearn !== null)
  .map((p) => p as unknown as HyperParam);

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
export function lookupHyperParam(name: string, where: Where): HyperParam {
  const norm = name.trim().toLowerCase().replaceAll("_", "-");
  // Names people bring from scikit-learn (`n_estimators`) are read too.
  const found = HYPERPARAMS.find((h) => h.name === norm || h.sklearn.replaceAll("_", "-") === norm);
  if (!found) {
    throw errorAt(
      where,
      "grid",
      `: unknown hyperparameter "${name}" (known: ${HYPERPARAMS.map((h) => h.name).join(", ")})`,
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
export function parseHyperValue(h: HyperParam, value: string, where: Where) {
  try {
    return h.parse(value.trim());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw errorAt(where, "grid", ` ${h.name}=${value}: ${why}`, { code: "BAD_GRID" });
  }
}
