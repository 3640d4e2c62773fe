/**
 * Server entry point for `deno task serve` and Deno Deploy: environment →
 * config → edge → `Deno.serve`. The server listens before the model loads,
 * so `/healthz` answers at once and `/readyz` reports loading or the reason
 * loading failed.
 *
 * @module
 */
import { isUserError } from "../lib/errors.ts";
import { printable } from "../lib/printable.ts";
import { configFromEnv, type EdgeConfig } from "./config.ts";
import { createEdge } from "./edge.ts";
import { redactUrl } from "./serving/load_bundle.ts";

/** A running server: stopping it stops whichever listener is current. */
export interface Serving {
  shutdown(): Promise<void>;
}

/**
 * Starts serving and loads the model; resolves once loading has finished
 * (successfully or not) with the running server.
 *
 * @example
 * ```ts
 * import { configFromEnv } from "./config.ts";
 *
 * const server = await serve(configFromEnv((k) => Deno.env.get(k)));
 * ```
 */
export async function serve(config: EdgeConfig): Promise<Serving> {
  if (config.predictionIdSecrets.length === 0) {
    log(
      "PREDICTION_ID_SECRETS is not set: prediction ids are signed with a random secret of this " +
        "process, so feedback by prediction_id only works on this process, until it stops",
    );
  }
  const edge = createEdge(config);
  edge.monitor.startLagProbe();
  const server = listen(config, edge.app.fetch);

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
  const challenger = edge.challenger;
  if (challenger && config.challenger) {
    const c = challenger.holder.state;
    const src = config.challenger.model;
    const where = src.kind === "path" ? src.path : redactUrl(src.url);
    if (c.status === "ready") {
      const how = challenger.mode === "split"
        ? `answering ${challenger.share * 100}% of clients`
        : "in shadow";
      log(
        `challenger ${c.model.name} ${c.model.version ?? "(unregistered)"} from ${where}, ${how}`,
      );
    } else if (c.status === "failed") {
      // The champion serves alone; /readyz and /v1/model carry the reason too.
      log(`no challenger: ${c.reason}`);
    }
  }
  return server;
}

/**
 * `Deno.serve`, kept alive. When accepting a connection fails — out of file
 * descriptors (EMFILE) because clients hold connections open — the runtime
 * stops the listener and rejects `finished`; left alone, that is an uncaught
 * rejection and the process exits. Instead the same port is served again
 * with a backoff, so connections are refused while the machine is saturated
 * and served once the clients holding it leave.
 */
function listen(config: EdgeConfig, handler: Deno.ServeHandler): Serving {
  let current: Deno.HttpServer;
  let stopping = false;
  let port = config.port;
  let backoffMs = 100;
  const start = () => {
    current = Deno.serve({
      port,
      hostname: config.hostname,
      onListen: (addr) => {
        if (port === config.port) log(`listening on http://${addr.hostname}:${addr.port}/`);
        port = addr.port; // a restart takes the same port, even if the config said 0
        backoffMs = 100;
      },
    }, handler);
    current.finished.catch((e: unknown) => {
      if (stopping) return;
      log(`stopped accepting connections (${errorText(e)}); serving again in ${backoffMs} ms`);
      const retry = () => {
        if (stopping) return;
        try {
          start();
        } catch (err) {
          log(`cannot listen again yet (${errorText(err)})`);
          backoffMs = Math.min(backoffMs * 2, 5_000);
          setTimeout(retry, backoffMs);
        }
      };
      setTimeout(retry, backoffMs);
    });
  };
  start();
  return {
    shutdown() {
      stopping = true;
      return current.shutdown();
    },
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One line on stdout: redacted and escaped (a bundle's name comes from whoever made it). */
function log(message: string): void {
  console.log(printable(`mlops edge: ${message}`));
}

/** How long a stop signal waits for in-flight requests before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * A KV file needs read and write access to it; `deno task serve` grants
 * only read, so say how to run it rather than fail at the first feedback.
 */
function kvProblem(config: EdgeConfig): string | null {
  const store = config.feedbackStore;
  if (store.kind !== "kv" || store.path === undefined) return null;
  if (typeof Deno.openKv !== "function") {
    return 'FEEDBACK_KV_PATH needs Deno KV: run with --unstable-kv (deno.json\'s "unstable": ["kv"] does it)';
  }
  for (const name of ["read", "write"] as const) {
    if (Deno.permissions.querySync({ name, path: store.path }).state !== "granted") {
      return `FEEDBACK_KV_PATH ${store.path} needs --allow-${name}=${store.path}`;
    }
  }
  return null;
}

if (import.meta.main) {
  let config: EdgeConfig;
  try {
    config = configFromEnv((name) => Deno.env.get(name));
  } catch (e) {
    if (!isUserError(e)) throw e;
    console.error(printable(`mlops edge: ${e.message}`));
    Deno.exit(2);
  }
  const problem = kvProblem(config);
  if (problem !== null) {
    console.error(printable(`mlops edge: ${problem}`));
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
