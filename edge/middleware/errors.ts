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

/**
 * The app's `onError`: renders errors and counts rejections by reason.
 *
 * @example
 * ```ts
 * app.onError(errorHandler(monitor));
 * ```
 */
export function errorHandler(monitor: Monitor): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) {
      if (err.status < 500) monitor.rejected(err.code);
      const res = withHeaders(c, err.getResponse());
      return CLOSES_CONNECTION.has(err.status) ? closingConnection(res) : res;
    }
    if (err instanceof HTTPException) {
      // Hono (its middleware, or its body parsers) already built a response.
      // Auth failures are ApiErrors (api_key.ts): no status needs a reason of its own.
      monitor.rejected(`http_${err.status}`);
      return withHeaders(c, err.getResponse());
    }
    console.error(
      `edge: unexpected error in ${methodLabel(c)} ${routeLabel(c)}:`,
      err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err),
    );
    const body: ErrorBody = { error_code: "INTERNAL_ERROR", message: "internal server error" };
    return c.json(body, 500);
  };
}

/**
 * The app's `notFound`: a JSON 404 that names the method and path.
 *
 * @example
 * ```ts
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

/**
 * Answers after which the connection must not be kept: the request's body
 * did not arrive in time (408) or is too large to read (413), so the rest of
 * it is either never coming or not wanted.
 */
const CLOSES_CONNECTION = new Set([408, 413]);

/**
 * `res` sent so that the runtime then drops the connection. `Deno.serve`
 * gives a handler no way to close a socket, and after answering it keeps
 * reading (and discarding) an unfinished request body for as long as the
 * client keeps sending or stalling. A response body that fails after its
 * last byte is the one thing that makes it drop the connection: the client
 * gets the status, the headers and the whole JSON (chunked, without the
 * final empty chunk), then the close. The runtime logs the failure's value,
 * so it is a one-line message, not an Error with a stack.
 *
 * It works when no read of the request body is pending (a 413 for a declared
 * length, or one found mid-stream): measured on Deno 2.9.6, a read still
 * waiting for a stalled client's bytes keeps the connection open whatever
 * the response does, even after the reader is cancelled — so a 408 is sent
 * but its socket stays until the client leaves (edge/README.md).
 */
function closingConnection(res: Response): Response {
  const body = res.body;
  if (body === null) return res;
  const reader = body.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      // Let the last chunk reach the socket before the failure drops it.
      setTimeout(() => controller.error(CLOSE_NOTE), 10);
    },
  });
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  headers.set("connection", "close");
  return new Response(stream, { status: res.status, statusText: res.statusText, headers });
}

const CLOSE_NOTE = "edge: closed a connection after a 408/413 (request body late or too large)";

/** Keeps headers set before the error (CORS, Retry-After) on the error response. */
function withHeaders(c: Context, res: Response): Response {
  c.res.headers.forEach((value, name) => {
    if (!res.headers.has(name)) res.headers.set(name, value);
  });
  return res;
}
