/**
 * Optional bearer keys (RFC 6750's `Authorization: Bearer <token>`).
 *
 * Comparison takes time that depends only on the configured keys, never on
 * what the client sent: every key is compared in full, with no early exit,
 * and a length mismatch is folded into the same difference. So timing
 * reveals neither a key's contents nor which key matched.
 *
 * @module
 */
import type { Env } from "hono";
import { sha256Hex } from "../../lib/sha256.ts";
import { ApiError } from "../errors.ts";
import type { Guard } from "./guard.ts";

/** Environments whose context carries the key's identity. */
export type ClientEnv = Env & { Variables: { client: string | undefined } };

// RFC 6750 b64token.
const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750's
 * b64token), or undefined when the header is missing or not that form.
 *
 * @example
 * ```ts
 * import { bearerToken } from "./api_key.ts";
 *
 * bearerToken("Bearer abc.def"); // "abc.def"
 * bearerToken("Basic YWJj"); // undefined
 * ```
 */
export function bearerToken(header: string | null | undefined): string | undefined {
  return BEARER.exec(header ?? "")?.[1];
}

/**
 * A verifier that returns the identity of the key `token` equals (see
 * {@link keyIdentity}), or null when it matches none.
 *
 * @example
 * ```ts
 * const verify = createKeyVerifier(["k1", "k2"]);
 * verify("k2"); // keyIdentity("k2")
 * verify("k3"); // null
 * ```
 */
export function createKeyVerifier(keys: readonly string[]): (token: string) => string | null {
  const encoder = new TextEncoder();
  const encoded = keys.map((k) => encoder.encode(k));
  const identities = keys.map(keyIdentity);
  return (token) => {
    const presented = encoder.encode(token);
    let matched = -1;
    for (let k = 0; k < encoded.length; k++) {
      const key = encoded[k];
      let diff = key.length ^ presented.length;
      // Out-of-range reads give undefined, which `| 0` turns into 0.
      for (let i = 0; i < key.length; i++) diff |= key[i] ^ (presented[i] | 0);
      matched = diff === 0 ? k : matched;
    }
    return matched === -1 ? null : identities[matched];
  };
}

/**
 * What the edge remembers about the key behind a request (so feedback is
 * accepted only from the key that made the prediction): a digest, never the
 * key itself.
 *
 * @example
 * ```ts
 * keyIdentity("s3cret"); // "key:" + 16 hex digits of SHA-256("s3cret")
 * ```
 */
export function keyIdentity(key: string): string {
  return "key:" + sha256Hex(key).slice(0, 16);
}

/**
 * Requires `Authorization: Bearer <key>` when `keys` is non-empty (401
 * without it or with a wrong key, 400 for a malformed header) and sets the
 * `client` variable to the key's {@link keyIdentity}; with no keys
 * configured the route is open and `client` unset.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { guarded } from "./guard.ts";
 *
 * const app = new Hono<EdgeEnv>();
 * app.post("/v1/predict", guarded(apiKeyAuth(["k3y-one", "k3y-two"]))((c) => c.json({ ok: true })));
 * ```
 */
export function apiKeyAuth<E extends ClientEnv>(keys: readonly string[]): Guard<E> {
  if (keys.length === 0) return () => {};
  const verify = createKeyVerifier(keys);
  return function apiKeyAuth(c) {
    const header = c.req.header("authorization");
    if (!header) {
      c.header("WWW-Authenticate", 'Bearer realm="mlops"');
      throw new ApiError(401, "UNAUTHORIZED", "missing bearer token");
    }
    const token = bearerToken(header);
    if (token === undefined) {
      c.header("WWW-Authenticate", 'Bearer error="invalid_request"');
      throw new ApiError(400, "UNAUTHORIZED", "malformed Authorization header");
    }
    const client = verify(token);
    if (client === null) {
      c.header("WWW-Authenticate", 'Bearer error="invalid_token"');
      throw new ApiError(401, "UNAUTHORIZED", "invalid API key");
    }
    c.set("client", client);
  };
}
