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
import { ApiError } from "../errors.ts";
import type { Guard } from "./guard.ts";

// RFC 6750 b64token.
const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * A verifier that is true when `token` equals one of `keys`.
 *
 * @example
 * ```ts
 * const verify = createKeyVerifier(["k1", "k2"]);
 * verify("k2"); // true
 * ```
 */
export function createKeyVerifier(keys: readonly string[]): (token: string) => boolean {
  const encoder = new TextEncoder();
  const encoded = keys.map((k) => encoder.encode(k));
  return (token) => {
    const presented = encoder.encode(token);
    let matched = 0;
    for (const key of encoded) {
      let diff = key.length ^ presented.length;
      // Out-of-range reads give undefined, which `| 0` turns into 0.
      for (let i = 0; i < key.length; i++) diff |= key[i] ^ (presented[i] | 0);
      matched |= diff === 0 ? 1 : 0;
    }
    return matched === 1;
  };
}

/**
 * Requires `Authorization: Bearer <key>` when `keys` is non-empty (401
 * without it or with a wrong key, 400 for a malformed header); with no keys
 * configured the route is open.
 *
 * @example
 * ```ts
 * app.post("/v1/predict", guarded(apiKeyAuth(config.apiKeys))(handler));
 * ```
 */
export function apiKeyAuth<E extends Env>(keys: readonly string[]): Guard<E> {
  if (keys.length === 0) return () => {};
  const verify = createKeyVerifier(keys);
  return function apiKeyAuth(c) {
    const header = c.req.header("authorization");
    if (!header) {
      c.header("WWW-Authenticate", 'Bearer realm="mlops"');
      throw new ApiError(401, "UNAUTHORIZED", "missing bearer token");
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      c.header("WWW-Authenticate", 'Bearer error="invalid_request"');
      throw new ApiError(400, "UNAUTHORIZED", "malformed Authorization header");
    }
    if (!verify(token)) {
      c.header("WWW-Authenticate", 'Bearer error="invalid_token"');
      throw new ApiError(401, "UNAUTHORIZED", "invalid API key");
    }
  };
}
