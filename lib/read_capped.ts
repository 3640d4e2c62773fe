/**
 * Collects a byte stream with a size cap, holding only what has arrived.
 *
 * Never sized from what the sender announces: a declared length is a claim,
 * and reserving it up front lets a client that sends a few bytes cost the
 * whole claim. Bytes go into one buffer that starts small and doubles as
 * they arrive. Byte streams (Deno's request and response bodies) are read
 * into it directly (BYOB): otherwise the runtime allocates 64 KiB for every
 * read, and each chunk it returns keeps its 64 KiB alive.
 *
 * Shared by everything that reads what a peer sends: the edge's request
 * bodies and `MODEL_URL` downloads, the MLflow client's answers. Bodies
 * that go to disk instead pass through {@link capStream}.
 *
 * @module
 */

/** Buffer to start with; it doubles, up to the cap, as bytes arrive. */
const INITIAL_BYTES = 8 * 1024;

/**
 * Least room a BYOB read is given. Deno's request body stream can leave a
 * read into a view of a few bytes pending forever (seen with chunked bodies
 * on Deno 2.9: a read of 1-8 bytes right after a 64 KiB boundary), and the
 * read that finds the cap passed or the end of the body would be just that
 * small; so the buffer grows to keep this much room, a little past the cap.
 */
const MIN_READ_BYTES = 1024;

/** Options for {@link readCapped}. */
export interface ReadCappedOptions {
  /** Most bytes accepted. */
  maxBytes: number;
  /** The error to throw past `maxBytes`. */
  tooLarge: () => Error;
  /** A declared length (already checked against the cap): only bounds growth. */
  expected?: number;
  /** Stops reading: the stream is cancelled and the read rejects with the reason. */
  signal?: AbortSignal;
}

/**
 * Reads `stream` to its end. Past `maxBytes` it cancels the stream and throws
 * `tooLarge()`; a stream error is rethrown as is.
 *
 * @example
 * ```ts
 * const res = await fetch("https://example.com/model.json");
 * const bytes = await readCapped(res.body!, {
 *   maxBytes: 256 << 20,
 *   tooLarge: () => new Error("model too large"),
 * });
 * ```
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  options: ReadCappedOptions,
): Promise<Uint8Array> {
  const { maxBytes, tooLarge, signal } = options;
  // One byte past the cap is enough to know it was passed.
  const limit = Math.min(options.expected ?? maxBytes + 1, maxBytes + 1);
  const chunks = chunkReader(stream, Math.min(INITIAL_BYTES, limit));
  const stop = () => chunks.cancel(signal?.reason);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const done = await chunks.next(limit);
      signal?.throwIfAborted();
      if (chunks.size > maxBytes) throw tooLarge();
      if (done) return chunks.bytes();
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}

/** Reads chunks into one growing buffer. */
interface ChunkReader {
  /** Bytes so far. */
  readonly size: number;
  /** Reads once, growing the buffer up to `limit` bytes if it is full; true at the end. */
  next(limit: number): Promise<boolean>;
  bytes(): Uint8Array;
  cancel(reason: unknown): Promise<void>;
}

/**
 * A byte stream is read in BYOB mode, straight into the buffer, so the
 * runtime reads no more than the space left and a sender that stalls holds
 * what it sent plus the initial buffer. Other streams are copied chunk by
 * chunk.
 */
function chunkReader(stream: ReadableStream<Uint8Array>, initial: number): ChunkReader {
  let buf = new Uint8Array(initial);
  let size = 0;
  /** Makes room for `need` bytes: doubling, but not past `limit` unless `need` is. */
  const ensure = (need: number, limit: number) => {
    if (need <= buf.length) return;
    const grown = new Uint8Array(Math.max(need, Math.min(buf.length * 2, limit)));
    grown.set(buf.subarray(0, size));
    buf = grown;
  };
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream.
  }
  if (byob) {
    const reader = byob;
    return {
      get size() {
        return size;
      },
      async next(limit) {
        ensure(size + MIN_READ_BYTES, limit);
        const { done, value } = await reader.read(
          new Uint8Array(buf.buffer, size, buf.length - size),
        );
        // The read transferred the buffer; `value` views the same memory.
        if (value) {
          buf = new Uint8Array(value.buffer);
          size += value.length;
        }
        return done;
      },
      bytes: () => buf.subarray(0, size),
      cancel: (reason) => reader.cancel(reason).catch(() => {}),
    };
  }
  const reader = stream.getReader();
  return {
    get size() {
      return size;
    },
    async next(limit) {
      const { done, value } = await reader.read();
      if (value) {
        ensure(size + value.length, limit);
        buf.set(value, size);
        size += value.length;
      }
      return done;
    },
    bytes: () => buf.subarray(0, size),
    cancel: (reason) => reader.cancel(reason).catch(() => {}),
  };
}

/** What is left of a byte budget shared by several streams (the files of one download). */
export interface ByteBudget {
  /** Bytes still allowed. */
  left: number;
}

/**
 * `stream` passed through as it arrives (nothing is held), erroring with
 * `tooLarge()` once it has used up `budget`: for bodies that go to disk,
 * where memory is not at stake but the disk is. Several streams may share
 * one budget.
 *
 * @example
 * ```ts
 * import { capStream } from "./read_capped.ts";
 *
 * const res = await fetch("https://example.com/model.json");
 * const budget = { left: 1 << 30 };
 * await Deno.writeFile("model.json", capStream(res.body!, budget, () => new Error("too large")));
 * ```
 */
export function capStream(
  stream: ReadableStream<Uint8Array>,
  budget: ByteBudget,
  tooLarge: () => Error,
): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        budget.left -= chunk.length;
        if (budget.left < 0) out.error(tooLarge());
        else out.enqueue(chunk);
      },
    }),
  );
}
