/**
 * Prediction ids: what `/v1/predict` hands out and `/v1/feedback` takes
 * back. The one place that knows their format.
 *
 * An id is self-contained and signed, so any isolate (any process holding
 * the secret) checks it without shared memory:
 *
 *     p1.<payload>.<tag>
 *
 * `payload` is base64url JSON — the model name, its answers
 * (`[[version, label], ...]`; the first is the one the client got, a
 * shadow model's follows), the issue time in epoch milliseconds, the API
 * key's identity when keys are set (a digest, never the key) and a random
 * 96-bit nonce that makes every id unique (replay protection remembers
 * nonces). `tag` is HMAC-SHA256 over `p1.<payload>` with the first secret,
 * truncated to 128 bits (RFC 2104 §5: at least half the hash), base64url.
 * Verification tries every configured secret, so a new secret can be
 * prepended while ids signed with the old one stay good until it is dropped.
 *
 * The payload is readable by whoever holds the id (it is the client's own
 * prediction); it is authenticated, not encrypted.
 *
 * @module
 */
import { equalBytes, HmacSha256 } from "../../lib/sha256.ts";

/** One model's answer for one instance. */
export interface Answer {
  /** The model's registry version; null when unregistered. */
  version: string | null;
  label: string;
}

/** What a verified id says. */
export interface PredictionClaims {
  /** The model name the prediction was made by. */
  model: string;
  /** The answers, first the one returned to the client. */
  answers: Answer[];
  /** Issue time, epoch milliseconds. */
  issuedAt: number;
  /** Identity of the API key that asked (`keyIdentity`), when keys were set. */
  client?: string;
  /** Random, unique per id: the key replay protection remembers. */
  nonce: string;
}

/** Why an id is refused. */
export type IdProblem = "malformed" | "forged" | "expired";

/** The outcome of {@link PredictionIds.verify}. */
export type Verified =
  | {
    ok: true;
    claims: PredictionClaims; /** When the id stops being accepted, epoch ms. */
    expiresAt: number;
  }
  | { ok: false; problem: IdProblem };

const PREFIX = "p1.";
const TAG_BYTES = 16;
const NONCE_BYTES = 9;
/** Ids issued this far in the future (another machine's clock) are still accepted. */
const CLOCK_SKEW_MS = 5 * 60_000;
const B64 = { alphabet: "base64url", omitPadding: true } as const;
const B64_TEXT = /^[A-Za-z0-9_-]+$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Randomness is drawn in blocks: one `getRandomValues` call per 455 nonces, not per id. */
const pool = new Uint8Array(4095);
let used = pool.length;

function nonce(): string {
  if (used + NONCE_BYTES > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const bytes = pool.subarray(used, used += NONCE_BYTES);
  return bytes.toBase64(B64);
}

/** Issues and verifies ids with a set of secrets; build it once with {@link createPredictionIds}. */
export interface PredictionIds {
  /**
   * One id per instance: `answers[i]` are instance i's answers (first the
   * returned one), `client` the API key's identity when keys are set.
   */
  issue(model: string, answers: readonly (readonly Answer[])[], client?: string): string[];
  /** Checks signature, shape and age of `id`. */
  verify(id: string): Verified;
  /** How long an id is accepted, in milliseconds. */
  readonly ttlMs: number;
}

/** Options for {@link createPredictionIds}. */
export interface PredictionIdOptions {
  /** HMAC secrets: the first signs, all verify. At least one. */
  secrets: readonly string[];
  /** How long an id is accepted, in milliseconds. */
  ttlMs: number;
  /** Injected for tests; epoch milliseconds. */
  now?: () => number;
}

/**
 * Prepares each secret's HMAC key once (its inner and outer pad states);
 * the returned functions only sign and compare, synchronously. Web Crypto
 * was the first choice, but its promise per signature cost 25–140 µs per
 * prediction under load, more than scoring; the plain-TS HMAC in
 * `lib/sha256.ts` (checked against Web Crypto and RFC 4231) takes a few.
 *
 * @example
 * ```ts
 * const ids = createPredictionIds({ secrets: ["0123456789abcdef0123456789abcdef"], ttlMs: 7 * 86_400_000 });
 * const [id] = ids.issue("churn", [[{ version: "3", label: "Yes" }]]);
 * ids.verify(id).ok; // true
 * ```
 */
export function createPredictionIds(options: PredictionIdOptions): PredictionIds {
  if (options.secrets.length === 0) throw new Error("createPredictionIds needs a secret");
  const keys = options.secrets.map((s) => new HmacSha256(encoder.encode(s)));
  const now = options.now ?? Date.now;
  const { ttlMs } = options;
  const full = new Uint8Array(32);
  const tag = (key: HmacSha256, signed: Uint8Array) => key.mac(signed, full).subarray(0, TAG_BYTES);
  // Reused between ids: the payload's UTF-8, then the signed text's bytes.
  let scratch = new Uint8Array(1024);

  /**
   * `p1.<payload>.<tag>` for `payload`, the JSON text of the claims. Written
   * into one reused buffer instead of through `TextEncoder.encode` twice: at a
   * prediction per id, the copies cost as much as the HMAC.
   */
  function sign(payload: string): string {
    // UTF-8 is at most 3 bytes per UTF-16 unit, its base64 at most 4 characters.
    const need = PREFIX.length + payload.length * 4 + 4;
    if (scratch.length < need) scratch = new Uint8Array(need * 2);
    const { written } = encoder.encodeInto(payload, scratch);
    const signed = PREFIX + scratch.subarray(0, written).toBase64(B64);
    // The signed text is ASCII: its bytes are its code units.
    const n = encoder.encodeInto(signed, scratch).written;
    return signed + "." + tag(keys[0], scratch.subarray(0, n)).toBase64(B64);
  }

  return {
    ttlMs,
    issue(model, answers, client) {
      // The payload is built as text, exactly as JSON.stringify would write
      // {m, a, t, k?, n} (ids issued before this are the same bytes).
      const head = '{"m":' + JSON.stringify(model) + ',"a":';
      const tail = ',"t":' + JSON.stringify(now()) +
        (client === undefined ? "" : ',"k":' + JSON.stringify(client)) + ',"n":"';
      const out = new Array<string>(answers.length);
      for (let i = 0; i < answers.length; i++) {
        out[i] = sign(head + answersJson(answers[i]) + tail + nonce() + '"}');
      }
      return out;
    },
    verify(id) {
      if (!id.startsWith(PREFIX)) return MALFORMED;
      const dot = id.lastIndexOf(".");
      const body = id.slice(PREFIX.length, dot), tagText = id.slice(dot + 1);
      if (dot <= PREFIX.length || !B64_TEXT.test(body) || !B64_TEXT.test(tagText)) {
        return MALFORMED;
      }
      let presented: Uint8Array;
      try {
        presented = Uint8Array.fromBase64(tagText, B64);
      } catch {
        return MALFORMED;
      }
      // Only the exact text issued: a tag with other trailing bits is another id.
      if (presented.length !== TAG_BYTES || presented.toBase64(B64) !== tagText) return FORGED;
      const signed = encoder.encode(id.slice(0, dot));
      let genuine = false;
      for (const key of keys) genuine = equalBytes(tag(key, signed), presented) || genuine;
      if (!genuine) return FORGED;
      const claims = parsePayload(body);
      // Signed by us but not a payload we write: a secret shared with something else.
      if (claims === null) return FORGED;
      const t = now();
      const expiresAt = claims.issuedAt + ttlMs;
      if (t >= expiresAt || claims.issuedAt > t + CLOCK_SKEW_MS) return EXPIRED;
      return { ok: true, claims, expiresAt };
    },
  };
}

/** `[[version, label], ...]` as JSON. */
function answersJson(answers: readonly Answer[]): string {
  let out = "[";
  for (let j = 0; j < answers.length; j++) {
    const { version, label } = answers[j];
    out += (j === 0 ? "[" : ",[") + (version === null ? "null" : JSON.stringify(version)) + "," +
      JSON.stringify(label) + "]";
  }
  return out + "]";
}

const MALFORMED: Verified = { ok: false, problem: "malformed" };
const FORGED: Verified = { ok: false, problem: "forged" };
const EXPIRED: Verified = { ok: false, problem: "expired" };

function parsePayload(body: string): PredictionClaims | null {
  let p: unknown;
  try {
    p = JSON.parse(decoder.decode(Uint8Array.fromBase64(body, B64)));
  } catch {
    return null;
  }
  if (p === null || typeof p !== "object") return null;
  const { m, a, t, k, n } = p as Record<string, unknown>;
  if (typeof m !== "string" || typeof t !== "number" || typeof n !== "string") return null;
  if (k !== undefined && typeof k !== "string") return null;
  if (!Array.isArray(a) || a.length === 0) return null;
  const answers: Answer[] = [];
  for (const x of a) {
    if (!Array.isArray(x) || x.length !== 2) return null;
    const [version, label] = x;
    if ((version !== null && typeof version !== "string") || typeof label !== "string") return null;
    answers.push({ version, label });
  }
  return { model: m, answers, issuedAt: t, nonce: n, ...(k === undefined ? {} : { client: k }) };
}

/**
 * A random secret for a process started without `PREDICTION_ID_SECRETS`:
 * its ids verify only in that process, and only until it stops.
 *
 * @example
 * ```ts
 * const ids = createPredictionIds({ secrets: [randomSecret()], ttlMs: 60_000 });
 * ```
 */
export function randomSecret(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64(B64);
}
