/**
 * Reads request bodies: capped in size and in time, decoded, parsed, with
 * 4xx answers that say what is wrong instead of the 500 a raw failure would
 * become.
 *
 * Small bodies with a declared length take the runtime's one-shot reader
 * (`Request.json()`): one promise, no stream, no copy — this runs on every
 * prediction. Not for large ones: that reader reserves the declared length
 * before the first byte arrives, so a client announcing a megabyte and
 * sending ten bytes would cost a megabyte for as long as it stalls. Larger
 * declared bodies, and chunked ones, stream into a buffer that grows with
 * what has actually arrived (`read_capped.ts`).
 *
 * Every body must arrive within a deadline; one that does not gets a 408.
 *
 * Not Hono's `bodyLimit` middleware: it reads `request.body` on every
 * request, which on Deno turns the body into a `ReadableStream` and takes
 * reading off the fast path (a third of the throughput under load, plus
 * multi-millisecond GC pauses from the stream's garbage).
 *
 * @module
 */
import type { Context } from "hono";
import { ApiError } from "../errors.ts";
import { Deadlines } from "./deadlines.ts";
import { readCapped } from "../../lib/read_capped.ts";

/** How much, and for how long, a request body may be. */
export interface BodyLimits {
  /** Largest body, in bytes (413 above). */
  maxBytes: number;
  /** Time from the route starting to read the body to its last byte (408 after). */
  timeoutMs: number;
}

/**
 * Declared lengths up to this use the runtime's one-shot reader; what it
 * reserves for a client that stalls is bounded by this.
 */
export const FAST_PATH_BYTES = 64 * 1024;

/**
 * Reads bodies within {@link BodyLimits}; one per app, shared by its routes.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * const body = new BodyReader({ maxBytes: 1 << 20, timeoutMs: 10_000 });
 * app.post("/echo", async (c) => c.json(await body.json(c)));
 * ```
 */
export class BodyReader {
  readonly maxBytes: number;
  readonly #deadlines: Deadlines;
  readonly #timedOut: () => ApiError;

  constructor(limits: BodyLimits) {
    this.maxBytes = limits.maxBytes;
    this.#deadlines = new Deadlines(limits.timeoutMs);
    this.#timedOut = () => timedOut(limits.timeoutMs);
  }

  /**
   * The parsed JSON body. Non-finite numbers cannot occur (JSON has none) but
   * overflowing literals such as `1e999` parse as `Infinity`; the encoder
   * rejects those per field.
   */
  json(c: Context): Promise<unknown> {
    const raw = c.req.raw, length = declaredLength(raw);
    if (length !== null && length <= FAST_PATH_BYTES && length <= this.maxBytes) {
      return this.#deadlines.within(raw.json(), this.#timedOut).catch(jsonError);
    }
    return this.#read(raw, length).then(parseJson);
  }

  /**
   * The body as text. Invalid UTF-8 decodes with replacement characters, as
   * `fetch` does.
   */
  text(c: Context): Promise<string> {
    const raw = c.req.raw, length = declaredLength(raw);
    if (length !== null && length <= FAST_PATH_BYTES && length <= this.maxBytes) {
      return this.#deadlines.within(raw.text(), this.#timedOut).catch(unreadable);
    }
    return this.#read(raw, length);
  }

  #read(raw: Request, length: number | null): Promise<string> {
    const { maxBytes } = this;
    if (length !== null && !(length <= maxBytes)) return Promise.reject(tooLarge(maxBytes));
    if (raw.body === null) return Promise.resolve("");
    const stop = new AbortController();
    const bytes = readCapped(raw.body, {
      maxBytes,
      tooLarge: () => tooLarge(maxBytes),
      expected: length ?? undefined,
      signal: stop.signal,
    });
    return this.#deadlines.within(bytes, () => {
      stop.abort();
      return this.#timedOut();
    }).then((body) => new TextDecoder().decode(body), unreadable);
  }
}

/**
 * The 408 for a body that did not arrive in time. The route's work and
 * buffers end with it; the socket may not (see edge/README.md): after
 * answering, the runtime keeps reading the rest of the body so the
 * connection could be reused, for as long as the client keeps it open, and
 * `Deno.serve` offers no way to close a connection whose body is being read.
 */
function timedOut(ms: number): ApiError {
  return new ApiError(408, "REQUEST_TIMEOUT", `request body did not arrive within ${ms} ms`);
}

/**
 * The body's declared size (so it can be checked before reading), or null
 * when it is not declared or framing is chunked. A malformed length is NaN,
 * which no cap admits.
 */
function declaredLength(raw: Request): number | null {
  const length = raw.headers.get("content-length");
  return length === null || raw.headers.has("transfer-encoding") ? null : Number(length);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return jsonError(e);
  }
}

function jsonError(e: unknown): never {
  if (e instanceof ApiError) throw e;
  // V8's message points at the offending position, which is what a client
  // needs; anything but a parse error means the body could not be read.
  if (!(e instanceof SyntaxError)) unreadable(e);
  throw new ApiError(400, "INVALID_JSON", `request body is not valid JSON: ${e.message}`);
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    "PAYLOAD_TOO_LARGE",
    `request body exceeds ${maxBytes} bytes; split the batch`,
  );
}

function unreadable(e: unknown): never {
  if (e instanceof ApiError) throw e;
  throw new ApiError(400, "INVALID_JSON", "request body could not be read");
}
