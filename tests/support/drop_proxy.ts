/**
 * A loopback HTTP proxy that drops connections on cue, for tests of what a
 * client does when a request fails half-way: dropped before the server saw
 * it, or after the server did the work but before the answer came back.
 *
 * One request per connection (answers carry `Connection: close`), bodies by
 * `Content-Length`: what the MLflow client sends.
 *
 * @module
 */

/** How request `k` fails. */
export interface DropPlan {
  /** 1-based number of the request (counted from this call) to drop. */
  at: number;
  /** "before": the server never sees it; "after": it is processed, the answer is lost. */
  when: "before" | "after";
  /** Drop every later request too (the server is gone) until {@link DropProxy.heal}. */
  persist: boolean;
}

/** A running proxy. */
export interface DropProxy {
  /** Base URL to use instead of the upstream's. */
  url: string;
  /** Requests seen since the last {@link DropProxy.failAt} or start. */
  count(): number;
  failAt(plan: DropPlan): void;
  heal(): void;
  close(): Promise<void>;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);

function indexOf(buf: Uint8Array, pat: Uint8Array): number {
  outer: for (let i = 0; i + pat.length <= buf.length; i++) {
    for (let j = 0; j < pat.length; j++) if (buf[i + j] !== pat[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `upstream` (an origin URL).
 *
 * @example
 * ```ts
 * const proxy = startDropProxy("http://127.0.0.1:5000");
 * proxy.failAt({ at: 3, when: "after", persist: true });
 * ```
 */
export function startDropProxy(upstream: string): DropProxy {
  const origin = new URL(upstream).origin;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let seen = 0;
  let plan: DropPlan | null = null;
  let gone = false;
  const open = new Set<Deno.Conn>();
  const done: Promise<void>[] = [];

  async function serve(conn: Deno.Conn) {
    open.add(conn);
    try {
      let buf = new Uint8Array(0);
      const chunk = new Uint8Array(64 * 1024);
      const more = async () => {
        const n = await conn.read(chunk);
        if (n === null) return false;
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        buf = next;
        return true;
      };
      let end: number;
      while ((end = indexOf(buf, CRLF2)) < 0) if (!await more()) return;
      const head = new TextDecoder().decode(buf.subarray(0, end));
      const [requestLine, ...lines] = head.split("\r\n");
      const [method, target] = requestLine.split(" ");
      const headers = new Headers();
      for (const l of lines) {
        const i = l.indexOf(":");
        headers.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
      }
      const length = Number(headers.get("content-length") ?? 0);
      while (buf.length < end + 4 + length) if (!await more()) return;
      const body = buf.slice(end + 4, end + 4 + length);

      seen++;
      const drop = gone || (plan !== null && seen === plan.at);
      if (drop && plan?.persist) gone = true;
      if (drop && (gone && seen !== plan?.at || plan?.when === "before")) return;
      for (const h of ["host", "connection", "content-length"]) headers.delete(h);
      const res = await fetch(`${origin}${target}`, {
        method,
        headers,
        body: method === "GET" || method === "HEAD" ? undefined : body,
      });
      const answer = new Uint8Array(await res.arrayBuffer());
      if (drop) return; // processed upstream; the answer is lost
      const out = [`HTTP/1.1 ${res.status} ${res.statusText}`];
      res.headers.forEach((v, k) => {
        if (!["connection", "content-length", "transfer-encoding"].includes(k)) {
          out.push(`${k}: ${v}`);
        }
      });
      out.push(`content-length: ${answer.length}`, "connection: close", "", "");
      await writeAll(conn, new TextEncoder().encode(out.join("\r\n")));
      await writeAll(conn, answer);
    } catch {
      // A client that went away: nothing to answer.
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }

  const accepting = (async () => {
    try {
      for await (const conn of listener) done.push(serve(conn));
    } catch {
      // listener closed
    }
  })();

  return {
    url: `http://127.0.0.1:${port}${new URL(upstream).pathname.replace(/\/+$/, "")}`,
    count: () => seen,
    failAt(p) {
      plan = p;
      seen = 0;
      gone = false;
    },
    heal() {
      plan = null;
      gone = false;
    },
    async close() {
      listener.close();
      await accepting;
      for (const c of open) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await Promise.all(done);
    },
  };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array) {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}
