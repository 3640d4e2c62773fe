/**
 * Caps request bodies: by `Content-Length` when the client sent one, by
 * counting bytes as they stream otherwise.
 *
 * Not Hono's `bodyLimit`: it reads `request.body` on every request, which on
 * Deno turns the body into a `ReadableStream` and takes reading off the fast
 * path. Under load that cost a third of the throughput and, through the
 * stream's garbage, multi-millisecond GC pauses. Here the stream is only
 * touched when there is no length to check.
 *
 * @module
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { ApiError } from "../errors.ts";

/**
 * A 413 for bodies over `maxBytes`.
 *
 * @example
 * ```ts
 * app.post("/v1/predict", limitBody(1024 * 1024), handler);
 * ```
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () =>
    new ApiError(
      413,
      "PAYLOAD_TOO_LARGE",
      `request body exceeds ${maxBytes} bytes; split the batch`,
    );
  // The common case (a declared length) is checked synchronously; only chunked
  // bodies need the async path.
  return function limitBody(c, next) {
    const raw = c.req.raw;
    const length = raw.headers.get("content-length");
    if (length !== null && !raw.headers.has("transfer-encoding")) {
      if (!(Number(length) <= maxBytes)) throw tooLarge();
      return next();
    }
    if (raw.body === null) return next();
    return buffered(c, raw.body, next);
  };

  async function buffered(c: Context, stream: ReadableStream<Uint8Array>, next: Next) {
    const raw = c.req.raw;
    // Chunked: buffer at most maxBytes, then hand on a request with that body.
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > maxBytes) throw tooLarge();
        chunks.push(value);
      }
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (e instanceof ApiError) throw e;
      throw new ApiError(400, "INVALID_JSON", "request body could not be read");
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    c.req.raw = new Request(raw, { body });
    await next();
  }
}
