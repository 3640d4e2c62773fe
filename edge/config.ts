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
 * | `LOAD_WAIT_MS` | `10000` | How long a request that needs the model (scoring, `/v1/model`, `/v2/models/…`) waits for one that loads (503 after; 0: at once). |
 * | `API_KEYS` | — | Comma-separated bearer keys guarding predict and feedback. |
 * | `CORS_ORIGINS` | — | `*` or comma-separated origins; unset sends no CORS headers. |
 * | `OTEL_DENO` | `false` | Also export metrics over OTLP through Deno's built-in OpenTelemetry. |
 * | `ACCURACY_WINDOW` | `500` | Feedback events in the live-accuracy window. |
 * | `DRIFT_WINDOW` | `5000` | Recent instances compared with training statistics. |
 * | `PREDICTION_MEMORY` | `100000` | Feedback ids remembered against replays when there is no KV (per process). |
 * | `PREDICTION_ID_SECRETS` | random | Comma-separated HMAC secrets for prediction ids: the first signs, all verify. |
 * | `PREDICTION_ID_TTL` | `604800` | Seconds a prediction id is accepted by `/v1/feedback` (7 days). |
 * | `FEEDBACK_KV_PATH` | — | Deno KV file remembering judged ids (on Deno Deploy its KV is used without it). |
 * | `ACCESS_LOG` | `false` | One JSON line per request (never bodies or headers). |
 * | `PROMETHEUS_URL` | — | Prometheus for the public status page's 24 h / 7 d figures and incidents. |
 * | `ALERTMANAGER_URL` | — | Alertmanager for the status page's current incidents and alerting health. |
 * | `STATUS_JOB` | `mlops-edge` | The Prometheus job the status page describes. |
 * | `STATUS_CACHE_SECONDS` | `15` | How long the status page reuses Prometheus' and Alertmanager's answers. |
 * | `CHALLENGER_MODEL_PATH` | — | A second model served beside the champion (same rules as `MODEL_PATH`). |
 * | `CHALLENGER_MODEL_URL` | — | Fetch the challenger's bundle at start instead. |
 * | `CHALLENGER_MODE` | `shadow` | `shadow`: scores every request, never answers; `split`: answers a share. |
 * | `CHALLENGER_SHARE` | `0.1` | Share of clients the challenger answers in `split` mode, 0..1. |
 *
 * @module
 */
import { UserError } from "../lib/errors.ts";

/** Where the model bundle comes from. */
export type ModelSource =
  | { kind: "path"; path: string }
  | { kind: "url"; url: string };

/** Where replay protection for feedback keeps judged ids. */
export type FeedbackStore =
  | { kind: "kv"; /** A file; undefined: the platform's default KV (Deno Deploy). */ path?: string }
  | { kind: "memory" };

/** How a challenger takes part: scoring every request unseen, or answering a share. */
export type ChallengerMode = "shadow" | "split";

/** A second model served beside the champion (edge/README.md, "Champion and challenger"). */
export interface ChallengerConfig {
  model: ModelSource;
  mode: ChallengerMode;
  /** Share of clients the challenger answers in `split` mode (0..1). */
  share: number;
}

/** Everything the edge needs to know, resolved and validated. */
export interface EdgeConfig {
  port: number;
  hostname: string;
  model: ModelSource;
  /** The challenger, when `CHALLENGER_MODEL_PATH` or `CHALLENGER_MODEL_URL` is set. */
  challenger: ChallengerConfig | null;
  /** Largest bundle a `MODEL_URL` download may send, in bytes. */
  maxModelBytes: number;
  /** Most instances per request. */
  maxBatch: number;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Time a request body has to arrive once its route reads it, in milliseconds. */
  bodyTimeoutMs: number;
  /** How long a request that needs the model waits for it while it loads, in milliseconds. */
  loadWaitMs: number;
  /** Bearer keys; empty means predict and feedback are open. */
  apiKeys: readonly string[];
  /** Allowed CORS origins (`["*"]` for any); empty means no CORS headers. */
  corsOrigins: readonly string[];
  /** Mirror metrics into Deno's OTLP exporter. */
  otel: boolean;
  accuracyWindow: number;
  driftWindow: number;
  /** Judged prediction ids remembered per process when there is no KV. */
  predictionMemory: number;
  /** HMAC secrets for prediction ids (first signs, all verify); empty: a random one per process. */
  predictionIdSecrets: readonly string[];
  /** How long a prediction id is accepted, in seconds. */
  predictionIdTtlSeconds: number;
  /** Where judged ids are remembered: a KV file, the platform's KV (Deploy), or this process. */
  feedbackStore: FeedbackStore;
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

/** Share of clients a split-mode challenger answers when `CHALLENGER_SHARE` is unset. */
export const DEFAULT_CHALLENGER_SHARE = 0.1;

/** Defaults for everything but the model source. */
export const DEFAULTS: Omit<EdgeConfig, "model"> = {
  challenger: null,
  port: 8000,
  hostname: "0.0.0.0",
  maxModelBytes: 256 * 1024 * 1024,
  maxBatch: 1000,
  maxBodyBytes: 1024 * 1024,
  bodyTimeoutMs: 10_000,
  loadWaitMs: 10_000,
  apiKeys: [],
  corsOrigins: [],
  otel: false,
  accuracyWindow: 500,
  driftWindow: 5000,
  predictionMemory: 100_000,
  predictionIdSecrets: [],
  predictionIdTtlSeconds: 7 * 24 * 3600,
  feedbackStore: { kind: "memory" },
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
  return {
    port: int(env, "PORT", DEFAULTS.port, 0, 65535),
    hostname: nonEmpty(env("HOST")) ?? DEFAULTS.hostname,
    model: modelSource(env, "MODEL") ?? { kind: "path", path: DEFAULT_MODEL_PATH },
    challenger: challenger(env),
    maxModelBytes: int(env, "MAX_MODEL_BYTES", DEFAULTS.maxModelBytes, 1024, 1 << 30),
    maxBatch: int(env, "MAX_BATCH", DEFAULTS.maxBatch, 1, 1_000_000),
    maxBodyBytes: int(env, "MAX_BODY_BYTES", DEFAULTS.maxBodyBytes, 64, 1 << 30),
    bodyTimeoutMs: int(env, "BODY_TIMEOUT_MS", DEFAULTS.bodyTimeoutMs, 100, 600_000),
    loadWaitMs: int(env, "LOAD_WAIT_MS", DEFAULTS.loadWaitMs, 0, 600_000),
    apiKeys: apiKeys(env("API_KEYS")),
    corsOrigins: list(env("CORS_ORIGINS")),
    otel: bool(env, "OTEL_DENO"),
    accuracyWindow: int(env, "ACCURACY_WINDOW", DEFAULTS.accuracyWindow, 1, 1_000_000),
    driftWindow: int(env, "DRIFT_WINDOW", DEFAULTS.driftWindow, 10, 1_000_000),
    // At least 1: without KV, this set is the only replay protection there is.
    predictionMemory: int(env, "PREDICTION_MEMORY", DEFAULTS.predictionMemory, 1, 10_000_000),
    predictionIdSecrets: secrets(env("PREDICTION_ID_SECRETS")),
    predictionIdTtlSeconds: int(
      env,
      "PREDICTION_ID_TTL",
      DEFAULTS.predictionIdTtlSeconds,
      1,
      366 * 24 * 3600,
    ),
    feedbackStore: feedbackStore(env),
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

/** Shortest accepted secret: 32 characters, e.g. `openssl rand -base64 32` gives 44. */
const MIN_SECRET_LENGTH = 32;

/** The message names the entry, never its text. */
function secrets(raw: string | undefined): string[] {
  const all = list(raw);
  all.forEach((s, i) => {
    if (s.length < MIN_SECRET_LENGTH) {
      throw new UserError(
        `PREDICTION_ID_SECRETS entry ${i + 1} is shorter than ${MIN_SECRET_LENGTH} characters ` +
          "(make one with: openssl rand -base64 32)",
        { code: "BAD_CONFIG" },
      );
    }
  });
  return all;
}

/**
 * `FEEDBACK_KV_PATH` when set; else Deno Deploy's own KV when running there
 * (`DENO_DEPLOYMENT_ID` is set on Deploy); else this process's memory.
 */
function feedbackStore(env: EnvReader): FeedbackStore {
  const path = nonEmpty(env("FEEDBACK_KV_PATH"));
  if (path !== undefined) return { kind: "kv", path };
  if (nonEmpty(env("DENO_DEPLOYMENT_ID")) !== undefined) return { kind: "kv" };
  return { kind: "memory" };
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

/**
 * `<prefix>_PATH` or `<prefix>_URL` (one of them), or undefined when neither
 * is set: the champion's `MODEL_*` and the challenger's `CHALLENGER_MODEL_*`
 * follow the same rules.
 */
function modelSource(env: EnvReader, prefix: string): ModelSource | undefined {
  const path = nonEmpty(env(`${prefix}_PATH`));
  const url = nonEmpty(env(`${prefix}_URL`));
  if (path && url) {
    throw new UserError(`set ${prefix}_PATH or ${prefix}_URL, not both`, { code: "BAD_CONFIG" });
  }
  if (url) return { kind: "url", url: checkedUrl(url, `${prefix}_URL`) };
  return path ? { kind: "path", path } : undefined;
}

/**
 * The challenger's settings. Mode and share without a challenger, or a share
 * in shadow mode (where it would mean nothing), are refused rather than
 * ignored: they say the operator expects something the edge would not do.
 */
function challenger(env: EnvReader): ChallengerConfig | null {
  const model = modelSource(env, "CHALLENGER_MODEL");
  const rawMode = nonEmpty(env("CHALLENGER_MODE"))?.toLowerCase();
  const rawShare = nonEmpty(env("CHALLENGER_SHARE"));
  if (!model) {
    const set = rawMode !== undefined
      ? "CHALLENGER_MODE"
      : rawShare !== undefined
      ? "CHALLENGER_SHARE"
      : null;
    if (set === null) return null;
    throw new UserError(
      `${set} is set but there is no challenger: set CHALLENGER_MODEL_PATH or CHALLENGER_MODEL_URL`,
      { code: "BAD_CONFIG" },
    );
  }
  if (rawMode !== undefined && rawMode !== "shadow" && rawMode !== "split") {
    throw new UserError(`CHALLENGER_MODE must be shadow or split, got "${rawMode}"`, {
      code: "BAD_CONFIG",
    });
  }
  const mode: ChallengerMode = rawMode === "split" ? "split" : "shadow";
  if (mode === "shadow" && rawShare !== undefined) {
    throw new UserError(
      "CHALLENGER_SHARE applies to CHALLENGER_MODE=split only (in shadow mode the challenger scores every request)",
      { code: "BAD_CONFIG" },
    );
  }
  let share = DEFAULT_CHALLENGER_SHARE;
  if (rawShare !== undefined) {
    share = Number(rawShare);
    if (!/^[0-9.eE+-]+$/.test(rawShare) || !Number.isFinite(share) || share < 0 || share > 1) {
      throw new UserError(`CHALLENGER_SHARE must be a number in [0, 1], got "${rawShare}"`, {
        code: "BAD_CONFIG",
      });
    }
  }
  return { model, mode, share };
}

function checkedUrl(raw: string, name: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`${name} is not a valid URL`, { code: "BAD_CONFIG" });
  }
  if (u.protocol !== "https:" && u.protocol !== "http:" && u.protocol !== "file:") {
    throw new UserError(`${name} must be http(s) or file, got ${u.protocol}`, {
      code: "BAD_CONFIG",
    });
  }
  return raw;
}
