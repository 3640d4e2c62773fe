/**
 * HTTP transport for MLflow's REST API: authentication, retries with
 * exponential backoff and jitter, and MLflow's error JSON turned into
 * {@link MlflowError}s. Knows nothing about runs or models.
 *
 * @module
 */
import { UserError } from "../errors.ts";
import { readCapped } from "../read_capped.ts";
import { registerSecrets } from "../redact.ts";
import { env } from "./_env.ts";
import { MlflowError, MlflowUnavailableError } from "./errors.ts";
import { networkReason, neverSent } from "../net.ts";

/** How to authenticate: MLflow's basic auth or a bearer token (DagsHub, Databricks). */
export type Credentials =
  | { kind: "basic"; username: string; password: string }
  | { kind: "bearer"; token: string };

/** Tuning and test seams of the client. */
export interface RestClientOptions {
  /**
   * Credentials; default: from `MLFLOW_TRACKING_USERNAME`/`_PASSWORD` or
   * `_TOKEN`, else from the URL's userinfo (`https://user:password@host`).
   */
  credentials?: Credentials | null;
  /** Attempts per request, including the first; default 5 (`MLFLOW_HTTP_REQUEST_MAX_RETRIES` + 1). */
  maxAttempts?: number;
  /** Delay before retry `attempt` (1-based), in ms; default exponential with full jitter. */
  backoff?: (attempt: number) => number;
  /** Waits `ms`; replace in tests to retry instantly. */
  sleep?: (ms: number) => Promise<void>;
  /** Per-request timeout in ms; default 120 s (`MLFLOW_HTTP_REQUEST_TIMEOUT`, in seconds). */
  timeoutMs?: number;
  /** The fetch implementation. */
  fetch?: typeof fetch;
  /**
   * Most bytes read from one API answer (JSON); default 64 MiB
   * (`MLOPS_MAX_ANSWER_MB`, in MiB). A server that sends more is cut off.
   */
  maxAnswerBytes?: number;
}

/** Default cap on one API answer: far above any page MLflow sends, far below a machine's memory. */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** What is kept of an error answer's body: enough for MLflow's error JSON. */
const MAX_ERROR_BYTES = 64 * 1024;

/**
 * The `Authorization` header for `creds`. The secret parts, and the exact
 * header value, become known secrets (see `registerSecrets`): wherever they
 * came from (the environment, a URI typed on the command line), a server
 * that echoes them cannot get them printed.
 */
function authorization(creds: Credentials | null): string | null {
  if (creds?.kind === "basic") {
    const pair = new TextEncoder().encode(`${creds.username}:${creds.password}`);
    const encoded = btoa(String.fromCharCode(...pair));
    registerSecrets(creds.password, encodeURIComponent(creds.password), encoded);
    // `https://<token>@host`: a lone user part is how tokens ride in URIs.
    if (!creds.password) registerSecrets(creds.username, encodeURIComponent(creds.username));
    return `Basic ${encoded}`;
  }
  if (creds?.kind === "bearer") {
    registerSecrets(creds.token);
    return `Bearer ${creds.token}`;
  }
  return null;
}

/** The start of an error answer's body (MLflow's error JSON fits); "" for more or none. */
async function errorText(res: Response): Promise<string> {
  if (!res.body) return "";
  try {
    const bytes = await readCapped(res.body, {
      maxBytes: MAX_ERROR_BYTES,
      tooLarge: () => new Error("too large"),
    });
    return new TextDecoder().decode(bytes);
  } catch {
    return "";
  }
}

/** `n` bytes in MiB (or KiB below 1 MiB), for messages. */
function formatBytes(n: number): string {
  return n >= 1024 * 1024
    ? `${+(n / 1024 / 1024).toFixed(1)} MiB`
    : `${+(n / 1024).toFixed(1)} KiB`;
}

/** HTTP statuses worth retrying: throttling and server-side failures. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * Reads credentials from MLflow's environment variables; basic auth wins
 * when both are set, as in MLflow's client.
 *
 * @example
 * ```ts
 * import { credentialsFromEnv } from "./rest_client.ts";
 *
 * const creds = credentialsFromEnv(); // null when none are set
 * ```
 */
export function credentialsFromEnv(): Credentials | null {
  const username = env("MLFLOW_TRACKING_USERNAME");
  const password = env("MLFLOW_TRACKING_PASSWORD");
  if (username !== undefined && password !== undefined) {
    return { kind: "basic", username, password };
  }
  const token = env("MLFLOW_TRACKING_TOKEN");
  return token !== undefined ? { kind: "bearer", token } : null;
}

/**
 * Default backoff: 0.5 s, 1 s, 2 s, ... capped at 16 s, each scaled by a
 * random factor ("full jitter") so many clients do not retry in lockstep.
 *
 * @example
 * ```ts
 * import { defaultBackoff } from "./rest_client.ts";
 *
 * const ms = defaultBackoff(3); // somewhere in [0, 2000)
 * ```
 */
export function defaultBackoff(attempt: number): number {
  return Math.random() * Math.min(16_000, 500 * 2 ** (attempt - 1));
}

/** HTTP methods MLflow's API uses. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * Splits credentials off a URL: `https://ada:pw@host/x` is `https://host/x`
 * with basic credentials ada/pw (a lone user part is a username with an
 * empty password, as browsers and `requests` send it). The URL without them
 * is safe to show.
 *
 * @example
 * ```ts
 * import { splitCredentials } from "./rest_client.ts";
 *
 * splitCredentials("https://ada:pw@host/"); // { url: "https://host", credentials: {...} }
 * ```
 */
export function splitCredentials(raw: string): { url: string; credentials: Credentials | null } {
  const trimmed = raw.replace(/\/+$/, "");
  let u: URL;
  try {
    u = new URL(trimmed);
  } catch {
    return { url: trimmed, credentials: null };
  }
  if (!u.username && !u.password) return { url: trimmed, credentials: null };
  const credentials: Credentials = {
    kind: "basic",
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
  u.username = "";
  u.password = "";
  return { url: u.href.replace(/\/+$/, ""), credentials };
}

/**
 * A client for one tracking server. `baseUrl` is the tracking URI, which may
 * carry a path (DagsHub: `https://dagshub.com/<user>/<repo>.mlflow`) and
 * credentials (`https://user:password@host`): those are sent as an
 * `Authorization` header and kept out of `baseUrl`, which errors show.
 *
 * @example
 * ```ts
 * import { RestClient } from "./rest_client.ts";
 *
 * const client = new RestClient("http://127.0.0.1:5000");
 * const res = await client.call<{ experiment: { experiment_id: string } }>(
 *   "GET", "mlflow/experiments/get-by-name", { experiment_name: "churn" },
 * );
 * ```
 */
export class RestClient {
  readonly baseUrl: string;
  readonly #creds: Credentials | null;
  /** The `Authorization` header sent, if any. */
  readonly #authorization: string | null;
  readonly #maxAnswerBytes: number;
  readonly #maxAttempts: number;
  readonly #backoff: (attempt: number) => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, options: RestClientOptions = {}) {
    const { url, credentials } = splitCredentials(baseUrl);
    this.baseUrl = url;
    this.#creds = options.credentials === undefined
      ? credentialsFromEnv() ?? credentials
      : options.credentials;
    this.#authorization = authorization(this.#creds);
    const maxMb = Number(env("MLOPS_MAX_ANSWER_MB"));
    this.#maxAnswerBytes = options.maxAnswerBytes ??
      (maxMb > 0 ? Math.floor(maxMb * 1024 * 1024) : DEFAULT_MAX_ANSWER_BYTES);
    const retries = Number(env("MLFLOW_HTTP_REQUEST_MAX_RETRIES"));
    this.#maxAttempts = options.maxAttempts ??
      (Number.isInteger(retries) && retries >= 0 ? retries + 1 : 5);
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const timeoutS = Number(env("MLFLOW_HTTP_REQUEST_TIMEOUT"));
    this.#timeoutMs = options.timeoutMs ?? (timeoutS > 0 ? timeoutS * 1000 : 120_000);
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * Calls `/api/2.0/<endpoint>`. GET sends `params` as a query string
   * (arrays as repeated keys); other methods send them as a JSON body.
   * `once` is for requests that create something (see {@link request}).
   */
  async call<T>(
    method: Method,
    endpoint: string,
    params: Record<string, unknown> = {},
    options: { once?: boolean } = {},
  ): Promise<T> {
    let url = `${this.baseUrl}/api/2.0/${endpoint}`;
    let body: string | undefined;
    if (method === "GET") {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) {
        if (v === undefined || v === null) continue;
        for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
      }
      if ([...q].length) url += `?${q}`;
    } else {
      body = JSON.stringify(params);
    }
    const res = await this.request(method, url, {
      body,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      once: options.once,
    });
    return await this.readJson<T>(res, `${method} ${endpoint}`);
  }

  /**
   * The JSON body of an answer (`{}` when empty), read up to the answer cap:
   * a server that sends more (or announces more) gets one error naming it
   * and the cap, and no more is read. `what` names the request in errors.
   */
  async readJson<T>(res: Response, what: string): Promise<T> {
    const max = this.#maxAnswerBytes;
    const tooLarge = () =>
      new UserError(
        `MLflow at ${this.baseUrl} sent more than ${formatBytes(max)} for ${what}: not reading ` +
          `on (an answer that large is not MLflow's; MLOPS_MAX_ANSWER_MB raises the cap)`,
        { code: "MLFLOW_TOO_LARGE" },
      );
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > max) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    let bytes: Uint8Array;
    try {
      bytes = res.body
        ? await readCapped(res.body, {
          maxBytes: max,
          tooLarge,
          expected: Number.isInteger(declared) && declared >= 0 ? declared : undefined,
        })
        : new Uint8Array();
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new MlflowUnavailableError(
        this.baseUrl,
        `${what}: the answer was cut off (${networkReason(e)})`,
      );
    }
    const text = new TextDecoder().decode(bytes);
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch {
      throw new UserError(`MLflow at ${this.baseUrl} sent invalid JSON for ${what}`, {
        code: "MLFLOW_PROTOCOL",
      });
    }
  }

  /**
   * Sends one request with retries and returns the successful response
   * (body unread). Throws {@link MlflowUnavailableError} when retries run
   * out, a credentials `UserError` on 401/403, and {@link MlflowError} on
   * other errors. With `allow404`, a 404 is returned instead of thrown.
   *
   * With `once` (a request that creates something: a run, a model version),
   * a connection lost after the request may have reached the server is not
   * retried: a retry could create it twice. The caller gets
   * {@link MlflowUnavailableError} and can look before trying again.
   */
  async request(
    method: Method,
    url: string,
    init: {
      body?: BodyInit;
      headers?: Record<string, string>;
      allow404?: boolean;
      once?: boolean;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#authorization) headers.Authorization = this.#authorization;
    const what = `${method} ${url.slice(this.baseUrl.length) || "/"}`;
    let lastProblem = "";
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (attempt > 1) await this.#sleep(this.#backoff(attempt - 1));
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers,
          body: init.body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (e) {
        lastProblem = `${what}: ${networkReason(e)}`;
        if (init.once && !neverSent(e)) {
          throw new MlflowUnavailableError(
            this.baseUrl,
            `${lastProblem} (not retried: the server may have done it already)`,
          );
        }
        continue;
      }
      if (res.ok || (init.allow404 && res.status === 404)) return res;
      if (RETRY_STATUSES.has(res.status)) {
        await res.body?.cancel().catch(() => {});
        lastProblem = `${what} answered ${res.status} ${res.statusText}`.trim();
        const retryAfter = Number(res.headers.get("retry-after"));
        if (retryAfter > 0 && attempt < this.#maxAttempts) {
          await this.#sleep(Math.min(retryAfter, 30) * 1000);
        }
        continue;
      }
      throw this.#error(res, await errorText(res), what);
    }
    throw new MlflowUnavailableError(
      this.baseUrl,
      `${lastProblem} (gave up after ${this.#maxAttempts} attempt${
        this.#maxAttempts === 1 ? "" : "s"
      })`,
    );
  }

  #error(res: Response, text: string, what: string): Error {
    let code = "HTTP_" + res.status;
    let message = text.slice(0, 300).trim() || res.statusText;
    try {
      const j = JSON.parse(text);
      if (typeof j.error_code === "string") code = j.error_code;
      if (typeof j.message === "string") message = j.message;
    } catch {
      // Not MLflow's error JSON (a proxy's HTML page, say): keep the raw text.
    }
    if (res.status === 403 && this.#creds) {
      // The credentials were accepted (a wrong password is a 401) but this user may
      // not do this: MLflow's basic-auth app answers so per experiment or model.
      return new UserError(
        `MLflow at ${this.baseUrl} refused ${what} (403${
          code.startsWith("HTTP_") ? "" : ` ${code}`
        }): the user is signed in but ` +
          `lacks permission for it; ask the server's admin for access (${message})`,
        { code: "MLFLOW_PERMISSION" },
      );
    }
    if (res.status === 401 || res.status === 403) {
      const verb = this.#creds ? "rejected the credentials" : "requires credentials";
      return new UserError(
        `MLflow at ${this.baseUrl} ${verb} (${res.status}): check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN`,
        { code: "MLFLOW_AUTH" },
      );
    }
    return new MlflowError(
      code,
      `MLflow at ${this.baseUrl}: ${what} failed (${code}): ${message}`,
      {
        status: res.status,
      },
    );
  }
}
