/**
 * What a sweep searches and how, from flags and an optional sweep file
 * (YAML or JSON). Flags win over the file; everything is validated before
 * any data is read or any tree is grown.
 *
 * ```yaml
 * search: random      # grid (default) or random
 * trials: 20          # random search only
 * cv: 5               # folds, at least 2 (default 3)
 * metric: roc_auc     # ranks configurations (default accuracy)
 * seed: 42
 * grid:
 *   trees: [100, 200]
 *   max-depth: [none, 10, 20]
 *   min-samples-split: [2, 5]
 * ```
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { errorAt, OptionError, type OptionText } from "../errors.ts";
import { DEFAULT_PARAMS, type ForestParams } from "../forest/mod.ts";
import {
  DEFAULT_GRID_ARGS,
  expandGrid,
  type Grid,
  gridFromObject,
  parseGridArgs,
  sampleGrid,
  type SweepConfig,
} from "./grid.ts";
import { metricDirection } from "./metric.ts";

/** A validated sweep definition. */
export interface SweepSettings {
  search: "grid" | "random";
  /** Random search only. */
  trials: number | null;
  cv: number;
  metric: string;
  seed: number;
  grid: Grid;
}

/** Raw values as the user wrote them, from flags or a file. */
export interface SweepInputs {
  grid?: readonly string[];
  search?: string;
  trials?: string | number;
  cv?: string | number;
  metric?: string;
  seed?: string | number;
}

/** A sweep file's content, before validation (`grid` is its raw mapping). */
export interface SweepFile {
  path: string;
  search?: unknown;
  trials?: unknown;
  cv?: unknown;
  metric?: unknown;
  seed?: unknown;
  grid?: unknown;
}

const FILE_KEYS = ["search", "trials", "cv", "metric", "seed", "grid"];

/** Default number of CV folds. */
export const DEFAULT_CV = 3;
/** Most CV folds a sweep accepts. */
export const MAX_CV = 20;
/** Default ranking metric. */
export const DEFAULT_METRIC = "accuracy";

/**
 * Reads a sweep file (`.json` as JSON, anything else as YAML). Unknown keys
 * are errors, so a typo cannot silently fall back to a default.
 *
 * @example
 * ```ts
 * const file = await readSweepFile("sweep.yaml");
 * const settings = resolveSettings({}, file);
 * ```
 */
export async function readSweepFile(path: string): Promise<SweepFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "file not found" : (e as Error).message;
    throw fileError(path, why);
  }
  let doc: unknown;
  try {
    doc = path.toLowerCase().endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const first = String((e as Error).message).split("\n")[0];
    throw fileError(path, `not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${first}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw fileError(path, `expected a mapping with keys ${FILE_KEYS.join(", ")}`);
  }
  const unknown = Object.keys(doc).filter((k) => !FILE_KEYS.includes(k));
  if (unknown.length > 0) {
    throw fileError(path, `unknown key "${unknown[0]}" (known: ${FILE_KEYS.join(", ")})`);
  }
  return { path, ...(doc as Omit<SweepFile, "path">) };
}

/** The sweep file is the `config` option (`mlops sweep --config`). */
function fileError(path: string, problem: string): OptionError {
  return new OptionError("config", (name) => `${name("config")} ${path}: ${problem}`, {
    code: "BAD_SWEEP_FILE",
  });
}

/**
 * Merges flags over a sweep file and validates the result. With neither a
 * `--grid` nor a file grid, the grid is {@link DEFAULT_GRID_ARGS}.
 *
 * @example
 * ```ts
 * const s = resolveSettings({ grid: ["trees=50,100"], cv: "5" }, null);
 * s.cv; // 5
 * ```
 */
export function resolveSettings(flags: SweepInputs, file: SweepFile | null): SweepSettings {
  // Where a setting came from, naming the option it was given with.
  const inFile = (key: string): OptionText => (name) => `${name("config")} ${file!.path}: ${key}`;
  const from = (key: keyof SweepInputs & keyof SweepFile) =>
    flags[key] !== undefined
      ? { value: flags[key] as unknown, key, where: ((name) => name(key)) as OptionText }
      : file?.[key] !== undefined
      ? { value: file[key], key, where: inFile(key) }
      : null;
  type From = NonNullable<ReturnType<typeof from>>;
  const fail = (at: From, rest: string) => errorAt(at.where, at.key, rest, { code: "BAD_SWEEP" });

  const search = from("search");
  const searchValue = search ? String(search.value) : "grid";
  if (searchValue !== "grid" && searchValue !== "random") {
    throw fail(search!, ` ${searchValue}: expected grid or random`);
  }
  const trialsIn = from("trials");
  let trials: number | null = null;
  if (searchValue === "random") {
    if (!trialsIn) {
      throw new OptionError(
        "trials",
        (name) =>
          `${name("search")} random needs ${name("trials")} N (how many configurations to try)`,
        { code: "BAD_SWEEP" },
      );
    }
    trials = integer(trialsIn, 1);
  } else if (trialsIn) {
    throw new OptionError(
      "trials",
      (name) => `${trialsIn.where(name)}: only applies to ${name("search")} random`,
      { code: "BAD_SWEEP" },
    );
  }

  const cvIn = from("cv");
  const cv = cvIn ? integer(cvIn, 2, "cross-validation needs at least 2 folds") : DEFAULT_CV;
  if (cv > MAX_CV) {
    // Fold scores travel in one MLflow tag per child run, which servers cap in size.
    throw fail(cvIn!, ` ${cv}: at most ${MAX_CV} folds are supported`);
  }
  const metricIn = from("metric");
  const metric = metricIn ? String(metricIn.value) : DEFAULT_METRIC;
  metricDirection(metric, metricIn?.where);
  const seedIn = from("seed");
  const seed = seedIn ? integer(seedIn, 0) : DEFAULT_PARAMS.seed;

  let grid: Grid;
  if (flags.grid !== undefined) grid = parseGridArgs(flags.grid);
  else if (file?.grid !== undefined) grid = gridFromObject(file.grid, inFile("grid"));
  else grid = parseGridArgs(DEFAULT_GRID_ARGS);

  return { search: searchValue, trials, cv, metric, seed, grid };

  function integer(at: From, min: number, why?: string): number {
    const v = at.value;
    const n = typeof v === "number"
      ? v
      : typeof v === "string" && v.trim() !== ""
      ? Number(v)
      : NaN;
    if (!Number.isInteger(n) || n < min) {
      throw fail(at, ` ${String(v)}: expected an integer >= ${min}${why ? ` (${why})` : ""}`);
    }
    return n;
  }
}

/**
 * The sweep's configurations, in their fixed order (what shards index into).
 * `base` supplies every hyperparameter the grid does not vary.
 *
 * @example
 * ```ts
 * const configs = sweepConfigs(resolveSettings({}, null)); // the 12 default-grid configs
 * ```
 */
export function sweepConfigs(
  s: SweepSettings,
  base: ForestParams = { ...DEFAULT_PARAMS, seed: s.seed },
): SweepConfig[] {
  return s.search === "random"
    ? sampleGrid(s.grid, s.trials!, s.seed, base)
    : expandGrid(s.grid, base);
}
