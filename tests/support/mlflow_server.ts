/**
 * A loopback MLflow tracking server for tests, written from MLflow's
 * published API (`service.proto`, `model_registry.proto`,
 * `mlflow_artifacts.proto` and the REST API reference), not from our client.
 *
 * Like MLflow it answers errors as `{"error_code", "message"}` with MLflow's
 * HTTP statuses (404 RESOURCE_DOES_NOT_EXIST, 400 INVALID_PARAMETER_VALUE /
 * RESOURCE_ALREADY_EXISTS), uses 32-hex run ids and numeric experiment ids,
 * enforces the log-batch limits and param immutability, and serves proxied
 * artifacts (kept in memory). It is stricter than MLflow in one way, on
 * purpose: unknown fields and wrongly typed values are rejected with 400
 * (MLflow drops unknown fields silently), so a client typo cannot go unseen.
 *
 * Test controls: optional basic/bearer auth, `failNext(n)` (next n requests
 * answer 503), `setDown(true)` (every request answers 503), `afterEach(fn)`
 * (runs after each API request is handled, to act as a concurrent client),
 * and a log of requests.
 *
 * Its parts: the request schemas and checks (`_mlflow_schema.ts`), the state
 * with its lookups and JSON views (`_mlflow_state.ts`) and the route table
 * of REST endpoints (`_mlflow_routes.ts`); this module is the HTTP side:
 * auth, faults, the artifact proxy and dispatch through the table.
 *
 * @module
 */
import {
  ApiError,
  checkMessage,
  invalid,
  missing,
  type Msg,
  queryMessage,
  SCHEMAS,
} from "./_mlflow_schema.ts";
import { ROUTES } from "./_mlflow_routes.ts";
import {
  createState,
  type ExperimentState,
  type ModelState,
  type RunState,
} from "./_mlflow_state.ts";

/** A request as the server saw it. */
export interface LoggedRequest {
  method: string;
  /** Path after the base path, e.g. "/api/2.0/mlflow/runs/log-batch". */
  path: string;
  query: string;
  /** Parsed JSON body, or the byte count for artifact uploads. */
  body: unknown;
}

/** Options of {@link startMlflowServer}. */
export interface MlflowServerOptions {
  /** Path prefix of the tracking URI, like DagsHub's "/<user>/<repo>.mlflow". */
  basePath?: string;
  /** Require these credentials on every request. */
  auth?: { username: string; password: string } | { token: string };
  /** Accept the credentials but deny access (403), like a user without permission. */
  forbidden?: boolean;
  /**
   * false: no model registry, like DagsHub's hosted MLflow: every registry
   * endpoint answers 404 with a web server's page.
   */
  registry?: boolean;
  /**
   * Answers a request instead of the server when it returns a response (a
   * hostile or broken server); `path` is as in {@link LoggedRequest}.
   */
  intercept?: (req: Request, path: string, query: URLSearchParams) => Response | undefined;
}

/** A running test server. */
export interface MlflowTestServer {
  /** Tracking URI: `http://127.0.0.1:<port><basePath>`. */
  url: string;
  port: number;
  requests: LoggedRequest[];
  experiments: Map<string, ExperimentState>;
  runs: Map<string, RunState>;
  models: Map<string, ModelState>;
  artifacts: Map<string, Uint8Array>;
  /** The next `n` requests answer `status` (default 503). */
  failNext(n: number, status?: number): void;
  /** While down, every request answers 503. */
  setDown(down: boolean): void;
  /**
   * Runs `fn` after each API request is handled, before it is answered:
   * state it changes is what a concurrent client would have changed.
   */
  afterEach(fn: ((req: LoggedRequest) => void) | null): void;
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 with an ephemeral port.
 *
 * @example
 * ```ts
 * import { startMlflowServer } from "./mlflow_server.ts";
 *
 * const server = startMlflowServer({ auth: { token: "t0ken" } });
 * // ... use server.url as the tracking URI ...
 * await server.close();
 * ```
 */
export function startMlflowServer(options: MlflowServerOptions = {}): MlflowTestServer {
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const state = createState();
  const { experiments, runs, models, artifacts } = state;
  const requests: LoggedRequest[] = [];
  let failures = 0;
  let failStatus = 503;
  let down = false;
  let after: ((req: LoggedRequest) => void) | null = null;

  // ---- artifact proxy ------------------------------------------------------------

  const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";
  const safePath = (p: string) => {
    const clean = p.replace(/^\/+|\/+$/g, "");
    if (clean.split("/").some((s) => s === ".." || s === ".")) {
      throw invalid(`Invalid path '${p}'`);
    }
    return clean;
  };
  const listArtifacts = (dir: string) => {
    const prefix = dir ? `${dir}/` : "";
    const entries = new Map<string, { is_dir: boolean; file_size?: number }>();
    for (const [path, data] of artifacts) {
      if (!path.startsWith(prefix)) continue;
      const [name, ...rest] = path.slice(prefix.length).split("/");
      entries.set(name, rest.length ? { is_dir: true } : { is_dir: false, file_size: data.length });
    }
    return [...entries].sort(([a], [b]) => a.localeCompare(b)).map(([path, e]) => ({ path, ...e }));
  };

  async function handleArtifacts(
    req: Request,
    path: string,
    query: URLSearchParams,
    entry: LoggedRequest,
  ) {
    if (path === ARTIFACTS || path === `${ARTIFACTS}/`) {
      if (req.method !== "GET") throw new ApiError("ENDPOINT_NOT_FOUND", "Not found", 404);
      const msg = queryMessage(query, SCHEMAS.listArtifacts);
      return Response.json({ files: listArtifacts(safePath(msg.path ?? "")) });
    }
    const rel = safePath(decodeURIComponent(path.slice(ARTIFACTS.length + 1)));
    if (req.method === "PUT") {
      const data = new Uint8Array(await req.arrayBuffer());
      artifacts.set(rel, data);
      entry.body = data.length;
      return Response.json({});
    }
    if (req.method === "GET") {
      const data = artifacts.get(rel);
      if (!data) throw missing(`Artifact '${rel}' not found`);
      return new Response(data.slice(), {
        headers: { "content-type": "application/octet-stream" },
      });
    }
    throw new ApiError("ENDPOINT_NOT_FOUND", `Method ${req.method} not allowed`, 405);
  }

  // ---- HTTP ---------------------------------------------------------------------

  const authorized = (req: Request): boolean => {
    const auth = options.auth;
    if (!auth) return true;
    const header = req.headers.get("authorization") ?? "";
    if ("token" in auth) return header === `Bearer ${auth.token}`;
    const expected = new TextEncoder().encode(`${auth.username}:${auth.password}`);
    return header === `Basic ${btoa(String.fromCharCode(...expected))}`;
  };

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = base && url.pathname.startsWith(base) ? url.pathname.slice(base.length) : base
      ? "" // outside the base path
      : url.pathname;
    const entry: LoggedRequest = { method: req.method, path, query: url.search, body: undefined };
    requests.push(entry);
    if (down || failures > 0) {
      const status = down ? 503 : failStatus;
      if (!down) failures--;
      await req.body?.cancel();
      return Response.json(
        { error_code: "TEMPORARILY_UNAVAILABLE", message: "Service temporarily unavailable" },
        { status },
      );
    }
    try {
      if (!authorized(req)) {
        await req.body?.cancel();
        return Response.json({
          error_code: "UNAUTHENTICATED",
          message: "You are not authenticated. Please provide valid credentials.",
        }, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="mlflow"' } });
      }
      if (options.forbidden) {
        await req.body?.cancel();
        return Response.json(
          { error_code: "PERMISSION_DENIED", message: "Permission denied" },
          { status: 403 },
        );
      }
      const hostile = options.intercept?.(req, path, url.searchParams);
      if (hostile) {
        await req.body?.cancel();
        return hostile;
      }
      if (path.startsWith(ARTIFACTS)) {
        return await handleArtifacts(req, path, url.searchParams, entry);
      }
      const noRegistry = options.registry === false &&
        /^\/api\/2\.0\/mlflow\/(registered-models|model-versions)\//.test(path);
      const r = noRegistry ? undefined : ROUTES.get(`${req.method} ${path}`);
      if (noRegistry) {
        await req.body?.cancel();
        return new Response("<html><body><h1>404 Not Found</h1></body></html>", {
          status: 404,
          headers: { "content-type": "text/html" },
        });
      }
      if (!r) {
        await req.body?.cancel();
        throw new ApiError("ENDPOINT_NOT_FOUND", `No endpoint ${req.method} ${path}`, 404);
      }
      let msg: Msg;
      if (req.method === "GET") {
        msg = queryMessage(url.searchParams, r.schema);
      } else {
        const type = req.headers.get("content-type") ?? "";
        if (!type.startsWith("application/json")) {
          await req.body?.cancel();
          throw invalid(`Bad content type '${type}': expected application/json`);
        }
        const text = await req.text();
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          throw new ApiError("MALFORMED_REQUEST", "Request body is not valid JSON", 400);
        }
        entry.body = body;
        msg = checkMessage(body, r.schema);
      }
      const answer = r.handler(state, msg);
      after?.(entry);
      return Response.json(answer);
    } catch (e) {
      if (e instanceof ApiError) {
        return Response.json({ error_code: e.code, message: e.message }, { status: e.status });
      }
      return Response.json({ error_code: "INTERNAL_ERROR", message: String(e) }, { status: 500 });
    }
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    port,
    requests,
    experiments,
    runs,
    models,
    artifacts,
    failNext(n, status = 503) {
      failures = n;
      failStatus = status;
    },
    setDown(d) {
      down = d;
    },
    afterEach(fn) {
      after = fn;
    },
    close: () => server.shutdown(),
  };
}
