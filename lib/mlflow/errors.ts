/**
 * Errors of the MLflow layer. Both are {@link UserError}s: the CLI prints
 * them as one line. `MlflowError` carries MLflow's error code so callers can
 * treat "does not exist" or "already exists" as normal outcomes.
 *
 * @module
 */
import { UserError } from "../errors.ts";

/** MLflow's error codes that the tool reacts to (servers may send others). */
export type MlflowErrorCode =
  | "RESOURCE_DOES_NOT_EXIST"
  | "RESOURCE_ALREADY_EXISTS"
  | "INVALID_PARAMETER_VALUE"
  | "INVALID_STATE"
  | "INTERNAL_ERROR"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | (string & Record<never, never>);

/**
 * An error answered by MLflow (a server's `{"error_code", "message"}` body)
 * or raised by the file store with the same code.
 *
 * @example
 * ```ts
 * import { MlflowError } from "./errors.ts";
 *
 * const e = new MlflowError("RESOURCE_DOES_NOT_EXIST", "run 'abc' not found");
 * if (e.errorCode === "RESOURCE_DOES_NOT_EXIST") console.log("missing");
 * ```
 */
export class MlflowError extends UserError {
  /** MLflow's code, e.g. "RESOURCE_DOES_NOT_EXIST". */
  readonly errorCode: MlflowErrorCode;
  /** HTTP status for server answers, null for the file store. */
  readonly status: number | null;

  constructor(
    errorCode: MlflowErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { code: "MLFLOW", cause: options.cause });
    this.name = "MlflowError";
    this.errorCode = errorCode;
    this.status = options.status ?? null;
  }
}

/**
 * The tracking server could not be reached (network error, or 429/5xx on
 * every retry). Logging falls back to a local store when it sees this.
 *
 * @example
 * ```ts
 * import { MlflowUnavailableError } from "./errors.ts";
 *
 * const e = new MlflowUnavailableError("http://127.0.0.1:5000", "connection refused");
 * console.log(e.message);
 * ```
 */
export class MlflowUnavailableError extends UserError {
  /** The tracking URI that could not be reached. */
  readonly uri: string;

  constructor(uri: string, reason: string, options: { cause?: unknown } = {}) {
    super(`MLflow at ${uri} is unreachable: ${reason}`, {
      code: "MLFLOW_UNAVAILABLE",
      cause: options.cause,
    });
    this.name = "MlflowUnavailableError";
    this.uri = uri;
  }
}

/**
 * True when `e` is an {@link MlflowError} with this code.
 *
 * @example
 * ```ts
 * import { hasErrorCode } from "./errors.ts";
 * import { openStore } from "./open.ts";
 *
 * try {
 *   await openStore().getRun("0123456789abcdef0123456789abcdef");
 * } catch (e) {
 *   if (!hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) throw e;
 * }
 * ```
 */
export function hasErrorCode(e: unknown, code: MlflowErrorCode): e is MlflowError {
  return e instanceof MlflowError && e.errorCode === code;
}

/**
 * True when a server lacks the feature behind the call rather than failing
 * at it: an older MLflow without an endpoint (a 404 that is not MLflow's
 * "does not exist", a 405 or a 501), or a hosted server answering that the
 * feature is "not supported" (DagsHub's tracking server has no registry).
 *
 * @example
 * ```ts
 * import { isUnsupported, MlflowError } from "./errors.ts";
 *
 * isUnsupported(new MlflowError("ENDPOINT_NOT_FOUND", "no such endpoint", { status: 404 })); // true
 * isUnsupported(new MlflowError("RESOURCE_DOES_NOT_EXIST", "no model 'x'", { status: 404 })); // false
 * ```
 */
export function isUnsupported(e: unknown): e is MlflowError {
  if (!(e instanceof MlflowError) || e.status === null) return false;
  if (e.status === 404) return e.errorCode !== "RESOURCE_DOES_NOT_EXIST";
  if (e.status === 405 || e.status === 501) return true;
  return e.status >= 400 && e.status < 500 && /\bnot supported\b/i.test(e.message);
}
