/**
 * Option parsers shared by commands that take forest hyperparameters
 * (`train`, `sweep`). Each rejects bad values with a message naming the
 * option, so commander reports it as a one-line error.
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import * as parse from "../lib/forest/parse.ts";
import { DEFAULT_PARAMS, type ForestParams, type MaxFeatures } from "../lib/forest/types.ts";

/** Turns a lib parser's RangeError into commander's one-line option error. */
function option<T>(parse: (v: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** Option parser: integer at least `min`. */
export const intAtLeast = (min: number): (v: string) => number => option(parse.intAtLeast(min));
/** Option parser: number strictly between 0 and 1. */
export const fraction: (v: string) => number = option(parse.fraction);
/** Option parser: `none` or a positive depth. */
export const maxDepth: (v: string) => number | null = option(parse.maxDepth);
/** Option parser: `sqrt|log2|all|fraction|count`. */
export const maxFeatures: (v: string) => MaxFeatures = option(parse.maxFeatures);
export { formatMaxFeatures } from "../lib/forest/parse.ts";

/** Comma-separated list. */
export function list(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Adds the options that say which data to train on (`train`, `sweep`). */
export function dataOptions(cmd: Command): Command {
  return cmd
    .option("--data <csv>", "training CSV (default: bundled Telco churn data)")
    .option("--target <col>", "target column", "Churn")
    .option("--drop <cols>", "comma-separated columns to ignore", list)
    .option("--test <csv>", "separate holdout CSV (instead of --test-size)")
    .option("--test-size <f>", "holdout share for a stratified split", fraction, 0.2);
}

/** Adds the forest hyperparameter options to a command. */
export function forestOptions(cmd: Command): Command {
  return cmd
    .option("--trees <n>", "number of trees", intAtLeast(1), DEFAULT_PARAMS.nTrees)
    .option("--max-depth <d>", "maximum tree depth, or none", maxDepth, null)
    .option("--min-samples-split <n>", "minimum rows to split a node", intAtLeast(2), 2)
    .option("--min-samples-leaf <n>", "minimum rows in a leaf", intAtLeast(1), 1)
    .option(
      "--max-features <f>",
      "features per split: sqrt|log2|all|fraction|count",
      maxFeatures,
      "sqrt",
    )
    .addOption(
      new Option("--criterion <c>", "split criterion").choices(["gini", "entropy"]).default("gini"),
    )
    .addOption(new Option("--class-weight <w>", "class weights").choices(["balanced"]))
    .option("--seed <s>", "random seed", intAtLeast(0), DEFAULT_PARAMS.seed)
    .option("--workers <n>", "parallel workers (default: cores)", intAtLeast(1));
}

/** Parsed values of {@link forestOptions}. */
export interface ForestOptionValues {
  trees: number;
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  criterion: "gini" | "entropy";
  classWeight?: "balanced";
  seed: number;
  workers?: number;
}

/**
 * Hyperparameters from parsed options.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 *
 * const cmd = forestOptions(new Command("train"));
 * const params = paramsFromOptions(cmd.parse().opts<ForestOptionValues>());
 * ```
 */
export function paramsFromOptions(o: ForestOptionValues): ForestParams {
  return {
    ...DEFAULT_PARAMS,
    nTrees: o.trees,
    maxDepth: o.maxDepth,
    minSamplesSplit: o.minSamplesSplit,
    minSamplesLeaf: o.minSamplesLeaf,
    maxFeatures: o.maxFeatures,
    criterion: o.criterion,
    classWeight: o.classWeight ?? null,
    seed: o.seed,
  };
}
