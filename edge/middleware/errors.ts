/**
 * Turns anything thrown into a JSON response. Client mistakes arrive here as
 * {@link ApiError}s and become 4xx; anything else is a bug, logged without
 * the request body, and answered with a bare 500.
 *
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { EdgeEnv } from "../env.ts";
import { ApiError, type ErrorBody } from "../errors.ts";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { answeringModel, modelRef, requestIdOf, stampModel } from "./request_id.ts";
import { methodLabel, routeLabel } from "./route_label.ts";
import { printable } from "../../lib/printable.ts";

/**
 * The app's `onError`: renders errors and counts rejections by reason.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const monitor: Monitor;
 * declare const holder: ModelHolder;
 * app.onError(errorHandler(monitor, holder));
 * ```
 */
export function errorHandler(monitor: Monitor, holder: ModelHolder): ErrorHandler<EdgeEnv> {
  return (err, c) => {
    if (err instanceof ApiError) {
      if (err.status < 500) monitor.rejected(err.code);
      return identified(c, holder, err.toBody(), err.status);
    }
    if (err instanceof HTTPException) {
      // Hono (its middleware, or its body parsers) already built a response.
      // Auth failures are ApiErrors (api_key.ts): no status needs a reason of its own.
      monitor.rejected(`http_${err.status}`);
      return withHeaders(c, stampModel(err.getResponse(), answeringModel(c, holder)));
    }
    console.error(printable(
      `edge: unexpected error in ${methodLabel(c)} ${routeLabel(c)} (request ${requestIdOf(c)}): ${
        err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err)
      }`,
    ));
    return identified(
      c,
      holder,
      { error_code: "INTERNAL_ERROR", message: "internal server error" },
      500,
    );
  };
}

/**
 * The app's `notFound`: a JSON 404 that names the method and path.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * app.notFound(notFoundHandler(holder));
 * ```
 */
export function notFoundHandler(holder: ModelHolder): NotFoundHandler<EdgeEnv> {
  return (c) =>
    identified(c, holder, {
      error_code: "NOT_FOUND",
      message: `no route for ${c.req.method} ${c.req.path}; see /docs`,
    }, 404);
}

/**
 * An error response carrying who answered: the request id and model in the
 * body and the model in the headers. Under `/v2/` (the Open Inference
 * Protocol) the body takes that protocol's shape, `{"error": "..."}`, with
 * the same code and identity beside it.
 */
function identified(
  c: Context<EdgeEnv>,
  holder: ModelHolder,
  body: ErrorBody,
  status: number,
): Response {
  const model = answeringModel(c, holder);
  const request_id = requestIdOf(c);
  const out = c.req.path.startsWith("/v2/")
    ? {
      error: body.message,
      error_code: body.error_code,
      ...(body.details ? { details: body.details } : {}),
      request_id,
    }
    : { ...body, request_id };
  if (model !== undefined) (out as ErrorBody).model = modelRef(model);
  return withHeaders(c, stampModel(Response.json(out, { status }), model));
}

/** Keeps headers set before the error (CORS, Retry-After) on the error response. */
function withHeaders(c: Context, res: Response): Response {
  c.res.headers.forEach((value, name) => {
    if (!res.headers.has(name)) res.headers.set(name, value);
  });
  return res;
}
