/**
 * Option parsers shared by commands that take forest hyperparameters
 * (`train`, `sweep`). Each rejects bad values with a message naming the
 * option, so commander reports it as a one-line error.
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  DEFAULT_PARAMS,
  type ForestParams,
  PARAM_LIST,
  type ParamEntry,
  parse,
} from "../lib/forest/mod.ts";

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

/** `--max-depth` for the catalogue's `max-depth`. */
const flagOf = (p: ParamEntry) => `--${p.name}`;
/** commander's attribute for a flag: `--max-depth` → `maxDepth`. */
const attributeOf = (p: ParamEntry) =>
  p.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Adds the forest hyperparameter options to a command: one per catalogue
 * entry with a placeholder (`lib/forest/params.ts`), parsed by its parser.
 */
export function forestOptions(cmd: Command): Command {
  for (const p of PARAM_LIST) {
    if (p.arg === null) continue;
    const format = p.format as (v: unknown) => string;
    const o = new Option(`${flagOf(p)} <${p.arg}>`, p.help);
    // choices() is for the help text; the catalogue's parser still reads the value.
    if (p.choices) o.choices(p.choices);
    cmd.addOption(
      o.argParser(option(p.parse as (v: string) => unknown)).default(p.default, format(p.default)),
    );
  }
  return cmd.option("--workers <n>", "parallel workers (default: cores)", intAtLeast(1));
}

/** Parsed values of {@link forestOptions}: one per hyperparameter flag, and `workers`. */
export interface ForestOptionValues {
  workers?: number;
  [attribute: string]: unknown;
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
  const params: Record<string, unknown> = { ...DEFAULT_PARAMS };
  for (const p of PARAM_LIST) if (p.arg !== null) params[p.key] = o[attributeOf(p)];
  return params as ForestParams;
}
