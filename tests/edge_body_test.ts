import { strict as assert } from "node:assert";
import { Deadlines } from "../edge/payloads/deadlines.ts";
import { readCapped } from "../lib/read_capped.ts";

const bytesOf = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) % 251);

/** A byte stream (read in BYOB mode) or a default one, from chunks; open unless `close`. */
function streamOf(
  kind: "bytes" | "default",
  chunks: Uint8Array[],
  close = true,
): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let i = 0;
  const source = {
    pull(c: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController) {
      if (i < chunks.length) c.enqueue(chunks[i++].slice());
      else if (close) {
        c.close();
        // A byte stream closed under a pending BYOB read must answer it.
        if ("byobRequest" in c) c.byobRequest?.respond(0);
      } else return new Promise<void>(() => {}); // stalls
    },
    cancel() {
      cancelled = true;
    },
  };
  const stream = kind === "bytes"
    ? new ReadableStream({ type: "bytes", ...source })
    : new ReadableStream<Uint8Array>(source);
  return { stream: stream as ReadableStream<Uint8Array>, cancelled: () => cancelled };
}

const tooLarge = () => new RangeError("too large");

for (const kind of ["bytes", "default"] as const) {
  Deno.test(`read capped (${kind} stream): whole body, in order, from odd-sized chunks`, async () => {
    const chunks = [1, 8191, 8192, 3, 20_000, 1].map((n, k) => bytesOf(n, k * 7));
    const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
    const { stream } = streamOf(kind, chunks);
    assert.deepEqual(await readCapped(stream, { maxBytes: all.length, tooLarge }), all);
    const { stream: empty } = streamOf(kind, []);
    assert.equal((await readCapped(empty, { maxBytes: 10, tooLarge })).length, 0);
  });

  Deno.test(`read capped (${kind} stream): past the cap is the caller's error, and cancels`, async () => {
    const { stream, cancelled } = streamOf(kind, [bytesOf(60), bytesOf(60)], false);
    await assert.rejects(readCapped(stream, { maxBytes: 100, tooLarge }), RangeError);
    assert.ok(cancelled());
  });

  Deno.test(`read capped (${kind} stream): memory follows what arrived, not what was declared`, async () => {
    const { stream } = streamOf(kind, [bytesOf(10), bytesOf(5)]);
    const got = await readCapped(stream, { maxBytes: 1 << 30, tooLarge, expected: 1 << 30 });
    assert.equal(got.length, 15);
    assert.ok(got.buffer.byteLength <= 8192, `held ${got.buffer.byteLength} bytes for 15`);
  });

  Deno.test(`read capped (${kind} stream): an abort cancels a stalled read`, async () => {
    const { stream, cancelled } = streamOf(kind, [bytesOf(10)], false);
    const stop = new AbortController();
    const read = readCapped(stream, { maxBytes: 100, tooLarge, signal: stop.signal });
    setTimeout(() => stop.abort(new Error("stop")), 20);
    await assert.rejects(read, /stop/);
    assert.ok(cancelled());
  });
}

Deno.test("deadlines: work that settles in time passes through; late work expires once", async () => {
  const deadlines = new Deadlines(100);
  assert.equal(await deadlines.within(Promise.resolve(7), () => new Error("late")), 7);
  await assert.rejects(deadlines.within(Promise.reject(new Error("own")), () => 0), /own/);

  let expired = 0;
  let settle!: (v: number) => void;
  const slow = new Promise<number>((r) => settle = r);
  const t0 = performance.now();
  await assert.rejects(
    deadlines.within(slow, () => (expired++, new Error("late"))),
    /late/,
  );
  const ms = performance.now() - t0;
  assert.ok(ms >= 95 && ms < 1000, `expired after ${ms.toFixed(0)} ms`);
  settle(1); // settling afterwards changes nothing
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(expired, 1);
  assert.equal(deadlines.size, 0);
});

Deno.test("read capped over real HTTP: a chunked request body past the cap is refused at once", async () => {
  // Deno's request body stream can leave a BYOB read of a few bytes pending
  // forever; reading up to exactly one byte past the cap made such a read.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    try {
      const got = await readCapped(req.body!, { maxBytes: 65536, tooLarge });
      return new Response(String(got.length));
    } catch (e) {
      return new Response(String(e), { status: e instanceof RangeError ? 413 : 500 });
    }
  });
  try {
    for (const [size, status] of [[65536, 200], [65537, 413], [70_000, 413], [300_000, 413]]) {
      for (const chunks of [[size], [1000, size - 1000]]) {
        const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
          method: "POST",
          body: ReadableStream.from(chunks.map((n) => bytesOf(n))), // chunked: no length
          signal: AbortSignal.timeout(5000),
        });
        assert.equal(res.status, status, `${size} bytes in chunks of ${chunks}`);
        assert.equal(await res.text(), status === 200 ? String(size) : "RangeError: too large");
      }
    }
  } finally {
    await server.shutdown();
  }
});
