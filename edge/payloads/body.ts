/**
 * Reads request bodies: capped at a size, decoded, parsed, with 4xx answers
 * that say what is wrong instead of the 500 a raw failure would become.
 *
 * The cap is checked against `Content-Length` before reading when the client
 * sent one, and by counting bytes as they stream otherwise. Not Hono's
 * `bodyLimit` middleware: it reads `request.body` on every request, which on
 * Deno turns the body into a `ReadableStream` and takes reading off the fast
 * path (a third of the throughput under load, plus multi-millisecond GC
 * pauses from the stream's garbage). Here the stream is only touched when
 * there is no length to check.
 *
 * @module
 */
import type { Context } from "hono";
import { ApiError } from "../errors.ts";

/**
 * The parsed JSON body. Non-finite numbers cannot occur (JSON has none) but
 * overflowing literals such as `1e999` parse as `Infinity`; the encoder
 * rejects those per field.
 *
 * @example
 * ```ts
 * app.post("/echo", async (c) => c.json(await readJson(c, 1024 * 1024)));
 * ```
 */
export function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const raw = c.req.raw, length = declaredLength(raw);
  if (length === null) return readChunked(raw, maxBytes).then(parseJson);
  if (!(length <= maxBytes)) return Promise.reject(tooLarge(maxBytes));
  // One promise from the runtime's own reader: no text copy, no extra layers
  // (this runs on every prediction).
  return raw.json().catch(jsonError);
}

/**
 * The body as text: a 413 over `maxBytes`, a 400 when it breaks off
 * mid-stream. Invalid UTF-8 decodes with replacement characters, as `fetch`
 * does.
 *
 * @example
 * ```ts
 * const csv = await readText(c, 1024 * 1024);
 * ```
 */
export function readText(c: Context, maxBytes: number): Promise<string> {
  const raw = c.req.raw, length = declaredLength(raw);
  if (length === null) return readChunked(raw, maxBytes);
  if (!(length <= maxBytes)) return Promise.reject(tooLarge(maxBytes));
  return raw.text().catch(unreadable);
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

function readChunked(raw: Request, maxBytes: number): Promise<string> {
  return raw.body === null ? Promise.resolve("") : readCapped(raw.body, maxBytes);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return jsonError(e);
  }
}

function jsonError(e: unknown): never {
  // V8's message points at the offending position, which is what a client
  // needs; anything but a parse error means the body could not be read.
  if (!(e instanceof SyntaxError)) unreadable();
  throw new ApiError(400, "INVALID_JSON", `request body is not valid JSON: ${e.message}`);
}

async function readCapped(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (e instanceof ApiError) throw e;
    unreadable();
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(body);
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    "PAYLOAD_TOO_LARGE",
    `request body exceeds ${maxBytes} bytes; split the batch`,
  );
}

function unreadable(): never {
  throw new ApiError(400, "INVALID_JSON", "request body could not be read");
}
