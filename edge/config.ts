/**
 * Edge configuration: every knob comes from an environment variable, so the
 * same code runs under `deno task serve` and on Deno Deploy.
 *
 * | Variable | Default | Meaning |
 * |---|---|---|
 * | `PORT` | `8000` | Port for `deno task serve` (Deploy ignores it). |
 * | `HOST` | `0.0.0.0` | Interface to listen on. |
 * | `MODEL_PATH` | `edge/model/` | Bundle file, or a directory holding `model.mlops.json`. |
 * | `MODEL_URL` | — | Fetch the bundle from this URL at start instead. |
 * | `MAX_MODEL_BYTES` | `268435456` | Largest bundle `MODEL_URL` may send (256 MiB). |
 * | `MAX_BATCH` | `1000` | Most instances accepted in one request. |
 * | `MAX_BODY_BYTES` | `1048576` | Largest request body (413 above). |
 * | `BODY_TIMEOUT_MS` | `10000` | Time a request body has to arrive (408 after; see edge/README.md). |
 * | `API_KEYS` | — | Comma-separated bearer keys guarding predict and feedback. |
 * | `CORS_ORIGINS` | — | `*` or comma-separated origins; unset sends no CORS headers. |
 * | `OTEL_DENO` | `false` | Also export metrics over OTLP through Deno's built-in OpenTelemetry. |
 * | `ACCURACY_WINDOW` | `500` | Feedback events in the live-accuracy window. |
 * | `DRIFT_WINDOW` | `5000` | Recent instances compared with training statistics. |
 * | `PREDICTION_MEMORY` | `10000` | Recent prediction ids that feedback can refer to. |
 * | `ACCESS_LOG` | `false` | One JSON line per request (never bodies or headers). |
 * | `PROMETHEUS_URL` | — | Prometheus for the public status page's 24 h / 7 d figures and incidents. |
 * | `ALERTMANAGER_URL` | — | Alertmanager for the status page's current incidents and alerting health. |
 * | `STATUS_JOB` | `mlops-edge` | The Prometheus job the status page describes. |
 * | `STATUS_CACHE_SECONDS` | `15` | How long the status page reuses Prometheus' and Alertmanager's answers. |
 *
 * @module
 */
import { UserError } from "../lib/errors.ts";

/** Where the model bundle comes from. */
export type ModelSource =
  | { kind: "path"; path: string }
  | { kind: "url"; url: string };

/** Everything the edge needs to know, resolved and validated. */
export interface EdgeConfig {
  port: number;
  hostname: string;
  model: ModelSource;
  /** Largest bundle a `MODEL_URL` download may send, in bytes. */
  maxModelBytes: number;
  /** Most instances per request. */
  maxBatch: number;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Time a request body has to arrive once its route reads it, in milliseconds. */
  bodyTimeoutMs: number;
  /** Bearer keys; empty means predict and feedback are open. */
  apiKeys: readonly string[];
  /** Allowed CORS origins (`["*"]` for any); empty means no CORS headers. */
  corsOrigins: readonly string[];
  /** Mirror metrics into Deno's OTLP exporter. */
  otel: boolean;
  accuracyWindow: number;
  driftWindow: number;
  predictionMemory: number;
  accessLog: boolean;
  /** Where the public status page reads history and incidents; null: this instance only. */
  prometheusUrl: string | null;
  alertmanagerUrl: string | null;
  /** The Prometheus `job` label of this edge's series. */
  statusJob: string;
  /** How long the status page reuses backend answers, in seconds. */
  statusCacheSeconds: number;
}

/** Reads one environment variable; `Deno.env.get` fits. */
export type EnvReader = (name: string) => string | undefined;

/**
 * The bundle directory next to this module, so the default does not depend
 * on the working directory (Deploy and `deno task serve` differ there).
 */
export const DEFAULT_MODEL_PATH: string = decodeURIComponent(
  new URL("./model/", import.meta.url).pathname,
);

/** Defaults for everything but the model source. */
export const DEFAULTS: Omit<EdgeConfig, "model"> = {
  port: 8000,
  hostname: "0.0.0.0",
  maxModelBytes: 256 * 1024 * 1024,
  maxBatch: 1000,
  maxBodyBytes: 1024 * 1024,
  bodyTimeoutMs: 10_000,
  apiKeys: [],
  corsOrigins: [],
  otel: false,
  accuracyWindow: 500,
  driftWindow: 5000,
  predictionMemory: 10_000,
  accessLog: false,
  prometheusUrl: null,
  alertmanagerUrl: null,
  statusJob: "mlops-edge",
  statusCacheSeconds: 15,
};

/**
 * Builds a config from environment variables, rejecting malformed values with
 * a message that names the variable (but never echoes key material).
 *
 * @example
 * ```ts
 * import { createEdge } from "./edge.ts";
 *
 * const config = configFromEnv((name) => Deno.env.get(name));
 * Deno.serve({ port: config.port }, createEdge(config).app.fetch);
 * ```
 */
export function configFromEnv(env: EnvReader): EdgeConfig {
  const path = nonEmpty(env("MODEL_PATH"));
  const url = nonEmpty(env("MODEL_URL"));
  if (path && url) {
    throw new UserError("set MODEL_PATH or MODEL_URL, not both", { code: "BAD_CONFIG" });
  }
  return {
    port: int(env, "PORT", DEFAULTS.port, 0, 65535),
    hostname: nonEmpty(env("HOST")) ?? DEFAULTS.hostname,
    model: url
      ? { kind: "url", url: checkedUrl(url) }
      : { kind: "path", path: path ?? DEFAULT_MODEL_PATH },
    maxModelBytes: int(env, "MAX_MODEL_BYTES", DEFAULTS.maxModelBytes, 1024, 1 << 30),
    maxBatch: int(env, "MAX_BATCH", DEFAULTS.maxBatch, 1, 1_000_000),
    maxBodyBytes: int(env, "MAX_BODY_BYTES", DEFAULTS.maxBodyBytes, 64, 1 << 30),
    bodyTimeoutMs: int(env, "BODY_TIMEOUT_MS", DEFAULTS.bodyTimeoutMs, 100, 600_000),
    apiKeys: apiKeys(env("API_KEYS")),
    corsOrigins: list(env("CORS_ORIGINS")),
    otel: bool(env, "OTEL_DENO"),
    accuracyWindow: int(env, "ACCURACY_WINDOW", DEFAULTS.accuracyWindow, 1, 1_000_000),
    driftWindow: int(env, "DRIFT_WINDOW", DEFAULTS.driftWindow, 10, 1_000_000),
    predictionMemory: int(env, "PREDICTION_MEMORY", DEFAULTS.predictionMemory, 0, 10_000_000),
    accessLog: bool(env, "ACCESS_LOG"),
    prometheusUrl: backendUrl(env, "PROMETHEUS_URL"),
    alertmanagerUrl: backendUrl(env, "ALERTMANAGER_URL"),
    statusJob: nonEmpty(env("STATUS_JOB")) ?? DEFAULTS.statusJob,
    statusCacheSeconds: int(env, "STATUS_CACHE_SECONDS", DEFAULTS.statusCacheSeconds, 0, 3600),
  };
}

/** An http(s) base URL, trailing slashes removed; the message never echoes it (it may hold a password). */
function backendUrl(env: EnvReader, name: string): string | null {
  const raw = nonEmpty(env(name));
  if (raw === undefined) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`${name} is not a valid URL`, { code: "BAD_CONFIG" });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new UserError(`${name} must be http(s), got ${u.protocol}`, { code: "BAD_CONFIG" });
  }
  return raw.replace(/\/+$/, "");
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function list(v: string | undefined): string[] {
  return (v ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Bearer tokens must be RFC 6750 `b64token`s, or no client could send them.
 * The message never repeats a key.
 */
function apiKeys(raw: string | undefined): string[] {
  const keys = list(raw);
  keys.forEach((k, i) => {
    if (!/^[A-Za-z0-9._~+/-]+=*$/.test(k)) {
      throw new UserError(
        `API_KEYS entry ${i + 1} has characters a bearer token cannot carry ` +
          "(allowed: letters, digits and . _ ~ + / - with trailing =)",
        { code: "BAD_CONFIG" },
      );
    }
  });
  return keys;
}

function int(env: EnvReader, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env(name));
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`, {
      code: "BAD_CONFIG",
    });
  }
  return n;
}

function bool(env: EnvReader, name: string): boolean {
  const raw = nonEmpty(env(name))?.toLowerCase();
  if (raw === undefined) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new UserError(`${name} must be true or false, got "${raw}"`, { code: "BAD_CONFIG" });
}

function checkedUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError("MODEL_URL is not a valid URL", { code: "BAD_CONFIG" });
  }
  if (u.protocol !== "https:" && u.protocol !== "http:" && u.protocol !== "file:") {
    throw new UserError(`MODEL_URL must be http(s) or file, got ${u.protocol}`, {
      code: "BAD_CONFIG",
    });
  }
  return raw;
}
