/**
 * The real MLflow beside the checkout (`../shared/real-mlflow`), for tests
 * that must hold against MLflow itself and not only against the fake in
 * `mlflow_server.ts`: {@link startRealMlflow} runs a tracking server
 * (`server.sh`: sqlite backend, artifact proxy) on a free loopback port, and
 * {@link readWithMlflow} reports what MLflow's own client (`read_store.py`)
 * reads from a store. Use with `needs(["mlflow"], ...)`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const SERVER_SH = fileURLToPath(new URL("../../../shared/real-mlflow/server.sh", import.meta.url));

/** A running server; disposing of it stops it and removes its folder. */
export interface RealMlflow extends AsyncDisposable {
  /** Tracking URI, `http://127.0.0.1:<port>`. */
  url: string;
}

/**
 * Starts the server and resolves once `/health` answers (a cold start takes
 * 10–20 s); rejects with its output after `timeoutMs`.
 *
 * @example
 * ```ts
 * await using mlflow = await startRealMlflow();
 * const store = openStore(mlflow.url);
 * ```
 */
export async function startRealMlflow(timeoutMs = 120_000): Promise<RealMlflow> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-real-mlflow-" });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command("bash", {
    args: [SERVER_SH, String(port), dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) output = (output + decoder.decode(c, { stream: true })).slice(-20_000);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
    await pumps;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
      .then(async (r) => (await r.text()).includes("OK"))
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`MLflow did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, [Symbol.asyncDispose]: stop };
}

const REAL = fileURLToPath(new URL("../../../shared/real-mlflow/", import.meta.url));

/** The parts of read_store.py's report that tests look at. */
export interface MlflowReading {
  errors: { op: string; type: string; message: string }[];
  warnings: { message: string }[];
  experiments: { experiment_id: string; name: string; runs: { run_id: string }[] }[];
  registered_models: {
    name: string;
    aliases: Record<string, string>;
    versions: { version: number | string; run_id: string }[];
  }[];
}

/** Reads `storeUri` (a folder or URI) with MLflow's `MlflowClient`. */
export async function readWithMlflow(storeUri: string): Promise<MlflowReading> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `. "${REAL}env.sh" && "$MLFLOW_PYTHON" "${REAL}read_store.py" "$1"`,
      "-",
      storeUri,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`read_store.py failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text);
}
