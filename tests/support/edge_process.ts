/**
 * Runs the real entry point (`edge/main.ts`, with the same permissions as
 * `deno task serve`; or the bundle `deno task build:edge` writes) in a child
 * process on a free loopback port.
 *
 * @module
 */
import { spawnChild } from "./child.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** A running edge process. */
export interface EdgeProcess extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Milliseconds from spawn to the "listening" line. */
  listenMs: number;
  /** The server's process id. */
  pid: number;
  /** The server's resident memory in MiB (Linux: `VmRSS` from `/proc`). */
  rssMiB(): Promise<number>;
}

/**
 * Starts the edge with `env` (on top of `PORT=0`, `HOST=127.0.0.1`) and
 * resolves once it listens; rejects after `timeoutMs`.
 *
 * @example
 * ```ts
 * const dir = await Deno.makeTempDir(); // holding a model bundle
 * await using edge = await startEdgeProcess({ MODEL_PATH: dir });
 * await fetch(`${edge.url}/readyz`);
 * ```
 */
export async function startEdgeProcess(
  env: Record<string, string>,
  timeoutMs = 20_000,
  options: {
    maxOpenFiles?: number; /** Extra `deno run` flags, e.g. `--allow-write=<kv file>`. */
    flags?: string[];
    /** The module to run instead of `edge/main.ts`, e.g. a bundle of it. */
    entry?: string;
  } = {},
): Promise<EdgeProcess> {
  const t0 = performance.now();
  const argv = [
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-net",
    "--allow-sys",
    ...(options.flags ?? []),
    options.entry ?? `${ROOT}edge/main.ts`,
  ];
  // A file-descriptor limit, as a service manager would set one: bash sets
  // it and execs, so the pid is the edge's.
  const [cmd, ...args] = options.maxOpenFiles === undefined
    ? argv
    : ["bash", "-c", `ulimit -n ${options.maxOpenFiles} && exec "$@"`, "bash", ...argv];
  // A graceful stop that hangs (seen once under load with OTLP export on)
  // must fail nothing and hang nothing: after 5 s it is a SIGKILL.
  const child = spawnChild(cmd, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", PORT: "0", HOST: "127.0.0.1", ...env },
    killAfterMs: 5_000,
  });
  const listening = /listening on http:\/\/[^:]+:(\d+)\//;
  await child.waitFor((out) => listening.test(out), {
    timeoutMs,
    intervalMs: 10,
    what: `edge did not start within ${timeoutMs} ms`,
  });
  const listenMs = performance.now() - t0;
  return {
    url: `http://127.0.0.1:${listening.exec(child.output())![1]}`,
    output: child.output,
    listenMs,
    pid: child.pid,
    rssMiB: () => rssMiB(child.pid),
    async [Symbol.asyncDispose]() {
      await child.stop();
    },
  };
}

/** Resolves once `edge` serves its model (`/readyz` 200); rejects after `timeoutMs`. */
export async function waitReady(edge: EdgeProcess, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const res = await fetchWithin(`${edge.url}/readyz`);
    await res.body?.cancel();
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`edge never became ready within ${timeoutMs} ms:\n${edge.output()}`);
}

/** Resident memory of process `pid` in MiB, from `/proc/<pid>/status`. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** `fetch` bounded in time, so a hung server fails the test instead of hanging it. */
export function fetchWithin(url: string, init: RequestInit = {}, ms = 10_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
}
