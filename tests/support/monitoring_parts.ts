/**
 * The real Alertmanager and Prometheus (Debian's packages) on loopback for
 * the bot's tests: each on a free port, in a temporary folder removed on
 * dispose, with the config the test writes.
 *
 * @module
 */
import { PARTS } from "./parts.ts";

/** A free loopback port (bound, then released for the service to take). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running Debian binary. */
export interface Service extends AsyncDisposable {
  url: string;
  port: number;
  dir: string;
  output(): string;
  /** Stops it (SIGTERM) and waits. */
  stop(): Promise<void>;
}

async function startService(
  bin: string,
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
  port = freePort(),
  dir?: string,
): Promise<Service> {
  dir ??= await Deno.makeTempDir({ prefix: "mlops-bot-test-" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  const child = new Deno.Command(bin, {
    args: args(dir, port),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) text += decoder.decode(c, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited || Date.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await pumps;
      throw new Error(`${bin} did not become ready:\n${text}`);
    }
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(500) })
      .then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await pumps;
  };
  return {
    url,
    port,
    dir,
    output: () => text,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir!, { recursive: true }).catch(() => {});
    },
  };
}

/** Alertmanager with `config` (YAML text) and `files` beside it. */
export function startAlertmanager(
  config: string,
  files: Record<string, string> = {},
  port?: number,
): Promise<Service> {
  return startService(
    PARTS.alertmanager.path,
    (dir, port) => [
      `--config.file=${dir}/alertmanager.yml`,
      `--storage.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { "alertmanager.yml": config, ...files },
    port,
  );
}

/** Prometheus with `config` and rule files, evaluated as often as the config says. */
export function startPrometheus(
  config: string,
  rules: Record<string, string>,
  port?: number,
  dir?: string,
): Promise<Service> {
  return startService(
    PARTS.prometheus.path,
    (d, p) => [
      `--config.file=${d}/prometheus.yml`,
      `--storage.tsdb.path=${d}/data`,
      `--web.listen-address=127.0.0.1:${p}`,
      "--log.level=warn",
    ],
    { "prometheus.yml": config, ...rules },
    port,
    dir,
  );
}

/** Alerts Alertmanager holds, via its v2 API. */
export async function postAlertsToAlertmanager(
  url: string,
  alerts: {
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    endsAt?: string;
  }[],
): Promise<void> {
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(
      alerts.map((a) => ({ ...a, generatorURL: "http://prometheus.example/graph" })),
    ),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status}`);
}
