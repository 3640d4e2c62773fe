/**
 * Slow and stalled clients against the real edge process (started as
 * `deno task serve` starts it): memory bounded by what clients send, bodies
 * that stop arriving answered with a 408, everyone else served, and running
 * out of file descriptors survived.
 *
 * @module
 */
import { strict as assert } from "node:assert";
import { serializeBundle } from "../lib/model/mod.ts";
import {
  type EdgeProcess,
  fetchWithin,
  startEdgeProcess,
  waitReady,
} from "./support/edge_process.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const linux = Deno.build.os === "linux";

/** A directory holding the tiny bundle, removed when disposed. */
async function tinyModelDir(
  bundle = tinyBundle(),
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "mlops-slow-clients-" });
  await Deno.writeTextFile(`${path}/model.mlops.json`, serializeBundle(bundle));
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Opens a connection and sends `head` (headers and the start of a body), then stalls. */
async function stall(edge: EdgeProcess, head: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(edge.url).port) });
  await conn.write(encoder.encode(head));
  return conn;
}

function postHead(path: string, length: number, start: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${length}\r\n\r\n${start}`;
}

/** What the server sends until `done` says it is enough, the server closes, or `ms` pass. */
async function readUntil(
  conn: Deno.TcpConn,
  done: (text: string) => boolean,
  ms: number,
): Promise<string> {
  const buf = new Uint8Array(16 * 1024);
  let text = "";
  const deadline = performance.now() + ms;
  // One read in flight at a time: a read that loses the race keeps its bytes.
  let read = conn.read(buf).catch(() => null);
  while (!done(text)) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      read,
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
    ]);
    clearTimeout(timer);
    if (n === "timeout" || n === null) break;
    text += decoder.decode(buf.subarray(0, n));
    read = conn.read(buf).catch(() => null);
  }
  return text;
}

async function predictOk(edge: EdgeProcess): Promise<void> {
  const res = await fetchWithin(`${edge.url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ x: 9, color: "red" }),
  }, 5000);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).label, "yes");
}

Deno.test({
  name: "process: stalled bodies cost what they sent and get a 408; other requests are served",
  ignore: !linux,
  async fn() {
    await using model = await tinyModelDir();
    const maxBody = 2 * 1024 * 1024;
    await using edge = await startEdgeProcess({
      MODEL_PATH: model.path,
      MAX_BODY_BYTES: String(maxBody),
      BODY_TIMEOUT_MS: "3000",
    });
    await waitReady(edge);
    await predictOk(edge);
    const before = await edge.rssMiB();

    // Declared sizes just under the cap, a few bytes actually sent. Stop as
    // soon as the bound is broken: the broken behaviour reserves every
    // declared byte, and there is no point reserving gigabytes to show it.
    const conns: Deno.TcpConn[] = [];
    try {
      let grown = 0;
      for (let i = 0; i < 200 && grown <= 150; i++) {
        conns.push(await stall(edge, postHead("/v1/predict", maxBody - 1, '{"x": 1')));
        if (i % 20 === 19) {
          await new Promise((r) => setTimeout(r, 100));
          grown = (await edge.rssMiB()) - before;
        }
      }
      // A stalled small body (the runtime's one-shot reader) and stalled headers.
      const small = await stall(edge, postHead("/v1/feedback", 100, '{"actual"'));
      const headers = await stall(edge, "POST /v1/predict HTTP/1.1\r\nHost: edge\r\nContent-Le");
      conns.push(small, headers);
      await new Promise((r) => setTimeout(r, 300));
      grown = (await edge.rssMiB()) - before;
      console.log(
        `RSS ${before.toFixed(0)} MiB → +${grown.toFixed(0)} MiB with ${conns.length} stalled`,
      );
      assert.ok(grown <= 150, `${conns.length} stalled connections added ${grown.toFixed(0)} MiB`);

      // Meanwhile, ordinary requests are served.
      await predictOk(edge);

      // Every stalled body gets a 408 JSON within the timeout (plus the
      // deadline timer's granularity and a loaded machine's slack).
      const t0 = performance.now();
      const answers = await Promise.all(
        conns.slice(0, -1).map((conn) => readUntil(conn, (t) => t.includes("}"), 3000 + 5000)),
      );
      const waited = performance.now() - t0;
      answers.forEach((text, i) => {
        assert.match(text, /^HTTP\/1\.1 408 /, `connection ${i}: ${JSON.stringify(text)}`);
        assert.match(text, /"error_code":"REQUEST_TIMEOUT"/, `connection ${i}`);
      });
      assert.ok(waited >= 2000, `408s came after ${waited.toFixed(0)} ms, before the timeout`);
      // With their reads given up, the stalled requests hold no more than before.
      await new Promise((r) => setTimeout(r, 300));
      const after = (await edge.rssMiB()) - before;
      console.log(`after the 408s: +${after.toFixed(0)} MiB`);
      assert.ok(after <= 150, `after the 408s, still +${after.toFixed(0)} MiB`);
      await predictOk(edge);
    } finally {
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // closed by the server
        }
      }
    }
  },
});

Deno.test("process: large, chunked and trickled bodies arrive whole", async () => {
  await using model = await tinyModelDir();
  await using edge = await startEdgeProcess({ MODEL_PATH: model.path, MAX_BATCH: "2000" });
  await waitReady(edge);
  // Over the one-shot reader's threshold: unused fields pad each instance.
  const instances = Array.from({ length: 2000 }, (_, i) => ({
    x: i % 10,
    color: i % 2 ? "red" : "blue",
    note: "n".repeat(400),
  }));
  const text = JSON.stringify({ instances });
  assert.ok(text.length > 512 * 1024);
  // The tiny model says "yes" exactly when x > 5 (red at x ≤ 5 ties, and ties go to "no").
  const expected = instances.map((r) => r.x > 5 ? "yes" : "no");
  const labels = async (res: Response) => {
    assert.equal(res.status, 200);
    return (await res.json()).predictions.map((p: { label: string }) => p.label);
  };
  const declared = await fetchWithin(`${edge.url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: text,
  });
  assert.deepEqual(await labels(declared), expected);

  // Chunked, in pieces of odd sizes with pauses: the buffer grows as they come.
  const bytes = encoder.encode(text);
  let at = 0;
  const chunked = await fetchWithin(`${edge.url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new ReadableStream<Uint8Array>({
      async pull(c) {
        if (at >= bytes.length) return c.close();
        const n = at === 0 ? 7 : 50_000 + (at % 3331);
        c.enqueue(bytes.slice(at, at += n));
        if (at % 5 === 0) await new Promise((r) => setTimeout(r, 5));
      },
    }),
  });
  assert.deepEqual(await labels(chunked), expected);

  // A body sent in two parts a second apart is slow, not stalled.
  const [first, second] = ['{"x": 9, ', '"color": "red"}'];
  const conn = await stall(edge, postHead("/v1/predict", (first + second).length, first));
  try {
    await new Promise((r) => setTimeout(r, 1000));
    await conn.write(encoder.encode(second));
    const answer = await readUntil(conn, (t) => t.includes("}}"), 5000);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /"label":"yes"/);
  } finally {
    conn.close();
  }
});

Deno.test({
  name: "process: more stalled connections than file descriptors: refused meanwhile, served after",
  ignore: !linux,
  async fn() {
    await using model = await tinyModelDir();
    // A service manager's limit, small enough to reach: 300 stalled
    // connections exhaust it (the accept loop fails with EMFILE).
    await using edge = await startEdgeProcess({ MODEL_PATH: model.path }, 20_000, {
      maxOpenFiles: 256,
    });
    await waitReady(edge);
    const conns: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        try {
          conns.push(await stall(edge, "GET /healthz HTTP/1.1\r\nHost: edge\r\nX-A"));
        } catch {
          break; // the backlog is full: the edge is saturated, which is the point
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      for (const conn of conns) conn.close();
    }
    // Once the stalled clients leave, the same process serves again.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await fetchWithin(`${edge.url}/healthz`, {}, 2000)
        .then(async (r) => (await r.body?.cancel(), r.status), () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, `the edge did not recover:\n${edge.output().slice(-2000)}`);
    await predictOk(edge);
    assert.match(edge.output(), /too many open files/i);
  },
});

Deno.test({
  name: "process: a bundle's name and version cannot drive the operator's terminal",
  ignore: !linux,
  async fn() {
    await using model = await tinyModelDir(
      tinyBundle({ name: "ti\x1b]0;pwn\x07ny\x1b[2J", version: "7\x1b[31m" }),
    );
    await using edge = await startEdgeProcess({ MODEL_PATH: model.path });
    await waitReady(edge);
    const out = edge.output();
    assert.match(out, /serving ti\\u001b\]0;pwn\\u0007ny\\u001b\[2J 7\\u001b\[31m/);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(out, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  },
});
