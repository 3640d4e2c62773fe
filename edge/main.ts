/**
 * Server entry point for `deno task serve` and Deno Deploy: environment →
 * config → edge → `Deno.serve`. The server listens before the model loads,
 * so `/healthz` answers at once and `/readyz` reports loading or the reason
 * loading failed.
 *
 * @module
 */
import { isUserError } from "../lib/errors.ts";
import { configFromEnv, type EdgeConfig } from "./config.ts";
import { createEdge } from "./edge.ts";
import { redactUrl } from "./serving/load_bundle.ts";

/**
 * Starts serving and loads the model; resolves once loading has finished
 * (successfully or not) with the running server.
 *
 * @example
 * ```ts
 * const server = await serve(configFromEnv((k) => Deno.env.get(k)));
 * ```
 */
export async function serve(config: EdgeConfig): Promise<Deno.HttpServer> {
  const edge = createEdge(config);
  edge.monitor.startLagProbe();
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: ({ hostname, port }) => log(`listening on http://${hostname}:${port}/`),
  }, edge.app.fetch);

  const from = config.model.kind === "path" ? config.model.path : redactUrl(config.model.url);
  const state = await edge.load();
  if (state.status === "ready") {
    const m = state.model;
    log(
      `serving ${m.name} ${m.version ?? "(unregistered)"} from ${from} (${
        state.loadMs.toFixed(0)
      } ms)`,
    );
  } else if (state.status === "failed") {
    // Stay up: /healthz keeps answering and /readyz carries the reason.
    log(`not ready: ${state.reason}`);
  }
  return server;
}

function log(message: string): void {
  console.log(`mlops edge: ${message}`);
}

/** How long a stop signal waits for in-flight requests before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

if (import.meta.main) {
  let config: EdgeConfig;
  try {
    config = configFromEnv((name) => Deno.env.get(name));
  } catch (e) {
    if (!isUserError(e)) throw e;
    console.error(`mlops edge: ${e.message}`);
    Deno.exit(2);
  }
  const server = await serve(config);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      // Drain in-flight requests, but a client that never finishes (a stalled
      // upload, a keep-alive connection) must not keep the process alive.
      Deno.addSignalListener(signal, () => {
        const stop = Deno.exit.bind(Deno, 0);
        setTimeout(stop, SHUTDOWN_GRACE_MS);
        server.shutdown().then(stop);
      });
    } catch {
      // Not every platform (Deploy, Windows for SIGTERM) lets us listen.
    }
  }
}
