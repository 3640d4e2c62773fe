/**
 * Options shared by several commands, so they read the same everywhere.
 *
 * @module
 */
import type { Command } from "commander";
import { OptionError, type UserError } from "../lib/errors.ts";

/** Parsed values of {@link withTrackingUri}. */
export interface TrackingUriOptions {
  trackingUri?: string;
}

/** Help of `--tracking-uri`, the same on every command. */
export const TRACKING_URI_HELP =
  "MLflow tracking URI: sqlite:///file.db, a folder or file: (file store), or http(s):// " +
  "server (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db, or ./mlruns when it holds runs)";

/**
 * Adds `--tracking-uri <uri>`; unset, the store comes from
 * `MLFLOW_TRACKING_URI`, else MLflow's default (see `openStore`).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { withTrackingUri } from "./options.ts";
 *
 * withTrackingUri(new Command("runs")).action((opts) => console.log(opts.trackingUri));
 * ```
 */
export function withTrackingUri(cmd: Command): Command {
  return cmd.option("--tracking-uri <uri>", TRACKING_URI_HELP);
}

/**
 * Adds `--json` (default false): machine-readable output on stdout, with
 * full ids and full-precision numbers. `help` says what the JSON holds when
 * the command has something more specific to say.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { withJson } from "./options.ts";
 *
 * withJson(new Command("show")).action((opts) => console.log(opts.json === true));
 * withJson(new Command("smoke"), "print one JSON object to stdout");
 * ```
 */
export function withJson(
  cmd: Command,
  help = "print JSON (full ids, full-precision values)",
): Command {
  return cmd.option("--json", help, false);
}

/**
 * JSON text where non-finite numbers are spelled as MLflow's API spells
 * them ("NaN", "Infinity"), since JSON itself has no such values.
 *
 * @example
 * ```ts
 * import { toJson } from "./options.ts";
 *
 * toJson({ loss: NaN }); // '{\n  "loss": "NaN"\n}'
 * ```
 */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    2,
  );
}

/**
 * The flag of a library option, the way commander names a flag's value the
 * other way round: `minDelta` → `--min-delta`.
 *
 * @example
 * ```ts
 * import { flagOf } from "./options.ts";
 *
 * flagOf("minDelta"); // "--min-delta"
 * ```
 */
export function flagOf(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A user error's message as the CLI shows it: the options an
 * {@link OptionError} names are called by their flags ({@link flagOf}).
 *
 * @example
 * ```ts
 * import { OptionError } from "../lib/errors.ts";
 * import { cliMessage } from "./options.ts";
 *
 * cliMessage(new OptionError("minDelta", (name) => `${name("minDelta")} -1: expected a number >= 0`));
 * // "--min-delta -1: expected a number >= 0"
 * ```
 */
export function cliMessage(e: UserError): string {
  return e instanceof OptionError ? e.describe(flagOf) : e.message;
}
