/**
 * User-facing errors: anything caused by input rather than by a bug.
 *
 * The CLI prints a {@link UserError} as one line and exits with its
 * `exitCode`; the edge maps it to a 4xx JSON response. Anything else is a bug
 * and may carry a stack trace. An {@link OptionError} is one about an
 * option's value: the library names the option as its API does (`minDelta`),
 * and a front end may name it its own way (the CLI shows `--min-delta`).
 *
 * @module
 */

/** An error the user can fix; its message names the file, line or value at fault. */
export class UserError extends Error {
  /** Process exit code the CLI uses (2 for bad input, other codes for gates). */
  readonly exitCode: number;
  /** Machine-readable code, e.g. "BAD_CSV", "MISSING_COLUMN". */
  readonly code: string;

  constructor(
    message: string,
    options: { code?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "UserError";
    this.code = options.code ?? "BAD_INPUT";
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Names an option: as is (the library's name), or as a front end spells it. */
export type OptionNamer = (option: string) => string;

/**
 * A message that names options, written once for every front end: it calls
 * `name` for each option it mentions, e.g.
 * `` (name) => `${name("minDelta")} 2: expected a number >= 0` ``.
 */
export type OptionText = (name: OptionNamer) => string;

/**
 * A {@link UserError} about the value of an option (or a few). Its `message`
 * names options as the library's API does; {@link OptionError.describe}
 * renders it with another spelling, as the CLI does with its flags.
 *
 * @example
 * ```ts
 * import { OptionError } from "./errors.ts";
 *
 * const e = new OptionError("minDelta", (name) => `${name("minDelta")} -1: expected a number >= 0`);
 * e.message; // "minDelta -1: expected a number >= 0"
 * e.describe((o) => o === "minDelta" ? "--min-delta" : o); // "--min-delta -1: expected a number >= 0"
 * ```
 */
export class OptionError extends UserError {
  /** The option at fault, as the library's API names it, e.g. "minDelta". */
  readonly option: string;
  readonly #text: OptionText;

  constructor(
    option: string,
    text: OptionText,
    options: { code?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(text((o) => o), options);
    this.name = "OptionError";
    this.option = option;
    this.#text = text;
  }

  /** The message with every option it mentions called `name(option)`. */
  describe(name: OptionNamer): string {
    return this.#text(name);
  }
}

/**
 * Where a value came from, for messages that start with it: a place
 * (`"sweep.yaml: grid"`), or text that names an option (`(name) => name("grid")`).
 */
export type Where = string | OptionText;

/**
 * A {@link Where} as text, options called `name(option)`.
 *
 * @example
 * ```ts
 * import { whereText } from "./errors.ts";
 *
 * whereText((name) => name("cv"), (o) => `--${o}`); // "--cv"
 * whereText("sweep.yaml: cv", (o) => `--${o}`); // "sweep.yaml: cv"
 * ```
 */
export function whereText(where: Where, name: OptionNamer): string {
  return typeof where === "string" ? where : where(name);
}

/**
 * The error for a bad value from `where`: `where`, then `rest`. When `where`
 * names an option, it is an {@link OptionError} about `option`.
 *
 * @example
 * ```ts
 * import { errorAt } from "./errors.ts";
 *
 * errorAt((name) => name("cv"), "cv", " 1: expected an integer >= 2").message; // "cv 1: expected an integer >= 2"
 * errorAt("sweep.yaml: cv", "cv", " 1: expected an integer >= 2").message; // "sweep.yaml: cv 1: …"
 * ```
 */
export function errorAt(
  where: Where,
  option: string,
  rest: string,
  options: { code?: string; exitCode?: number; cause?: unknown } = {},
): UserError {
  return typeof where === "string"
    ? new UserError(`${where}${rest}`, options)
    : new OptionError(option, (name) => `${where(name)}${rest}`, options);
}

/** True for errors meant for the user rather than for a bug report. */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
