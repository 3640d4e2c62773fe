/**
 * Turns anything thrown into a JSON response. Client mistakes arrive here as
 * {@link ApiError}s and become 4xx; anything else is a bug, logged without
 * the request body, and answered with a bare 500.
 *
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorBody } from "../errors.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { methodLabel, routeLabel } from "./route_label.ts";
import { printable } from "../../lib/printable.ts";

/**
 * The app's `onError`: renders errors and counts rejections by reason.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const monitor: Monitor;
 * const app = new Hono();
 * app.onError(errorHandler(monitor));
 * ```
 */
export function errorHandler(monitor: Monitor): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) {
      if (err.status < 500) monitor.rejected(err.code);
      return withHeaders(c, err.getResponse());
    }
    if (err instanceof HTTPException) {
      // Hono (its middleware, or its body parsers) already built a response.
      // Auth failures are ApiErrors (api_key.ts): no status needs a reason of its own.
      monitor.rejected(`http_${err.status}`);
      return withHeaders(c, err.getResponse());
    }
    console.error(printable(
      `edge: unexpected error in ${methodLabel(c)} ${routeLabel(c)}: ${
        err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err)
      }`,
    ));
    const body: ErrorBody = { error_code: "INTERNAL_ERROR", message: "internal server error" };
    return c.json(body, 500);
  };
}

/**
 * The app's `notFound`: a JSON 404 that names the method and path.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.notFound(notFound);
 * ```
 */
export const notFound: NotFoundHandler = (c) => {
  const body: ErrorBody = {
    error_code: "NOT_FOUND",
    message: `no route for ${c.req.method} ${c.req.path}; see /docs`,
  };
  return c.json(body, 404);
};

/** Keeps headers set before the error (CORS, Retry-After) on the error response. */
function withHeaders(c: Context, res: Response): Response {
  c.res.headers.forEach((value, name) => {
    if (!res.headers.has(name)) res.headers.set(name, value);
  });
  return res;
}
