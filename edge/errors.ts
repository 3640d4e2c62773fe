/**
 * API errors: the one JSON shape every non-2xx response uses.
 *
 * The body follows MLflow's scoring server (`error_code` + `message`), so
 * MLflow clients read our errors unchanged, and adds `details` with the
 * offending field paths.
 *
 * @module
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** One problem with one field of the request. */
export interface FieldError {
  /** Where in the body, e.g. `instances[3].tenure`; `""` is the body itself. */
  path: string;
  message: string;
}

/** Machine-readable error codes; also the `reason` label of validation metrics. */
export type ErrorCode =
  | "INVALID_JSON"
  | "INVALID_INPUT"
  | "BATCH_TOO_LARGE"
  | "PAYLOAD_TOO_LARGE"
  | "REQUEST_TIMEOUT"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNAUTHORIZED"
  | "UNKNOWN_PREDICTION_ID"
  | "FORBIDDEN_PREDICTION_ID"
  | "PREDICTION_ID_EXPIRED"
  | "FEEDBACK_ALREADY_RECORDED"
  | "NOT_FOUND"
  | "MODEL_NOT_READY"
  | "NOT_CONFIGURED"
  | "FEEDBACK_STORE_UNAVAILABLE"
  | "INTERNAL_ERROR";

/** JSON body of every error response. */
export interface ErrorBody {
  error_code: ErrorCode;
  message: string;
  details?: FieldError[];
  /** The request's `X-Request-Id`, so a client's report finds the log line. */
  request_id?: string;
  /** The model that answered (or was being served); absent while none is. */
  model?: { name: string; version: string };
}

/** Responses list at most this many field errors; the message gives the total. */
export const MAX_DETAILS = 50;

/**
 * An error that already knows its HTTP response. Throw it from any handler or
 * middleware; the app's error handler renders it.
 */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly details: FieldError[] | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    details?: FieldError[],
  ) {
    super(status, { message });
    this.code = code;
    this.details = details;
  }

  /** The JSON body for this error. */
  toBody(): ErrorBody {
    const body: ErrorBody = { error_code: this.code, message: this.message };
    if (this.details) body.details = this.details.slice(0, MAX_DETAILS);
    return body;
  }

  override getResponse(): Response {
    return Response.json(this.toBody(), { status: this.status });
  }
}

/**
 * A 400 listing the invalid fields.
 *
 * @example
 * ```ts
 * throw invalidInput([{ path: "instances[0].tenure", message: "must be a number" }]);
 * ```
 */
export function invalidInput(details: FieldError[]): ApiError {
  const n = details.length;
  const first = details[0];
  const where = first.path ? `${first.path}: ` : "";
  const more = n > 1 ? ` (and ${n - 1} more)` : "";
  return new ApiError(400, "INVALID_INPUT", `${where}${first.message}${more}`, details);
}
