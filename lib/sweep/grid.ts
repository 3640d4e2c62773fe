/**
 * Search spaces: which values each hyperparameter takes, from `--grid`
 * tokens or a sweep file's `grid:` mapping, and the configurations drawn
 * from them (every combination, or a seeded random subset). Everything is
 * validated here, before any training starts.
 *
 * @module
 */
import { errorAt, OptionError, type Where } from "../errors.ts";
import { DEFAULT_PARAMS, type ForestParams } from "../forest/mod.ts";
import { deriveSeed, randInt, rng } from "../rng.ts";
import { configId } from "./config_id.ts";
import { type HyperParam, HYPERPARAMS, lookupHyperParam, parseHyperValue } from "./hyperparams.ts";

/** The values one hyperparameter takes, parsed. */
export interface Axis {
  param: HyperParam;
  values: ForestParams[keyof ForestParams][];
}

/** A search space: one axis per varied hyperparameter, in catalogue order. */
export type Grid = Axis[];

/** One point of the space: full forest params and their stable id. */
export interface SweepConfig {
  id: string;
  params: ForestParams;
  /** Only the swept values, by flag name: `{ trees: "100", "max-depth": "none" }`. */
  swept: Record<string, string>;
}

/** The grid the original Python project searched (and the benchmark uses). */
export const DEFAULT_GRID_ARGS: readonly string[] = [
  "trees=100,200",
  "max-depth=none,10,20",
  "min-samples-split=2,5",
];

/**
 * Parses `--grid` tokens (`name=v1,v2,...`; tokens may also arrive as one
 * space-separated string). Duplicate values are dropped; an unknown name,
 * a bad value, a repeated name or an empty grid is a one-line error.
 *
 * @example
 * ```ts
 * const grid = parseGridArgs(["trees=100,200", "max-depth=none,10"]);
 * grid.map((a) => a.values.length); // [2, 2]
 * ```
 */
export function parseGridArgs(args: readonly string[]): Grid {
  const tokens = args.flatMap((a) => a.split(/\s+/)).filter((t) => t !== "");
  const entries: [string, string[]][] = tokens.map((t) => {
    const eq = t.indexOf("=");
    if (eq <= 0) {
      throw new OptionError(
        "grid",
        (name) => `${name("grid")} "${t}": expected name=value[,value...], e.g. trees=100,200`,
        { code: "BAD_GRID" },
      );
    }
    return [t.slice(0, eq), t.slice(eq + 1).split(",")];
  });
  return buildGrid(entries, (name) => name("grid"));
}

/**
 * Builds a grid from a sweep file's `grid:` mapping. Values may be lists or
 * single values; YAML `null` means `none`.
 *
 * @example
 * ```ts
 * gridFromObject({ trees: [100, 200], "max-depth": [null, 10] }, "sweep.yaml: grid");
 * ```
 */
export function gridFromObject(obj: unknown, where: Where): Grid {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw errorAt(where, "grid", ": expected a mapping of hyperparameter to values", {
      code: "BAD_GRID",
    });
  }
  const entries = Object.entries(obj).map(([name, v]): [string, string[]] => {
    const list = Array.isArray(v) ? v : [v];
    return [name, list.map((x) => x === null ? "none" : typeof x === "object" ? "" : String(x))];
  });
  return buildGrid(entries, where);
}

function buildGrid(entries: [string, string[]][], where: Where): Grid {
  if (entries.length === 0) {
    throw errorAt(where, "grid", ": the grid is empty; give at least one name=value[,value...]", {
      code: "BAD_GRID",
    });
  }
  const byKey = new Map<string, Axis>();
  for (const [name, raw] of entries) {
    const param = lookupHyperParam(name, where);
    if (byKey.has(param.name)) {
      throw errorAt(where, "grid", `: ${param.name} is given twice`, { code: "BAD_GRID" });
    }
    const texts = raw.map((s) => s.trim());
    if (texts.length === 0 || texts.some((s) => s === "")) {
      throw errorAt(where, "grid", ` ${param.name}=${raw.join(",")}: empty value`, {
        code: "BAD_GRID",
      });
    }
    const values: Axis["values"] = [];
    const seen = new Set<string>();
    for (const t of texts) {
      const v = parseHyperValue(param, t, where);
      const key = param.format(v);
      if (!seen.has(key)) {
        seen.add(key);
        values.push(v);
      }
    }
    byKey.set(param.name, { param, values });
  }
  return HYPERPARAMS.filter((h) => byKey.has(h.name)).map((h) => byKey.get(h.name)!);
}

/** Number of configurations in the full grid. */
export function gridSize(grid: Grid): number {
  return grid.reduce((n, a) => n * a.values.length, 1);
}

/** The `index`-th combination (mixed radix, last axis fastest). */
function configAt(grid: Grid, index: number, base: ForestParams): SweepConfig {
  const params: ForestParams = { ...base };
  const swept: Record<string, string> = {};
  let rest = index;
  for (let a = grid.length - 1; a >= 0; a--) {
    const { param, values } = grid[a];
    const v = values[rest % values.length];
    rest = Math.floor(rest / values.length);
    (params as unknown as Record<string, unknown>)[param.key] = v;
  }
  for (const { param } of grid) swept[param.name] = param.format(params[param.key]);
  return { id: configId(params), params, swept };
}

/**
 * Every combination of the grid, in a fixed order (first axis slowest), on
 * top of `base` (default {@link DEFAULT_PARAMS}).
 *
 * @example
 * ```ts
 * expandGrid(parseGridArgs(["trees=100,200", "max-depth=none,10"])).length; // 4
 * ```
 */
export function expandGrid(grid: Grid, base: ForestParams = DEFAULT_PARAMS): SweepConfig[] {
  return Array.from({ length: gridSize(grid) }, (_, i) => configAt(grid, i, base));
}

/**
 * `trials` distinct combinations drawn with a seeded generator (the whole
 * grid, in grid order, when it has no more than `trials` points). The same
 * grid, trials and seed always give the same list, so shards agree.
 *
 * @example
 * ```ts
 * const grid = parseGridArgs(["trees=100,200,400", "max-depth=4,8,None"]);
 * const configs = sampleGrid(grid, 10, 42);
 * ```
 */
export function sampleGrid(
  grid: Grid,
  trials: number,
  seed: number,
  base: ForestParams = DEFAULT_PARAMS,
): SweepConfig[] {
  const size = gridSize(grid);
  if (trials >= size) return expandGrid(grid, base);
  // Drawing indexes (not per-axis values) avoids duplicate configs by construction.
  const rand = rng(deriveSeed(seed, 0x5eed));
  const picked = new Set<number>();
  const order: number[] = [];
  while (order.length < trials) {
    const i = randInt(rand, size);
    if (!picked.has(i)) {
      picked.add(i);
      order.push(i);
    }
  }
  return order.map((i) => configAt(grid, i, base));
}
