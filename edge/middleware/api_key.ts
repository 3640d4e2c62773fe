/**
 * Optional bearer keys. Comparison hashes the presented token once and
 * checks it against every configured key without stopping early, so timing
 * reveals neither a key's contents nor which key matched.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { ErrorBody } from "../errors.ts";

/**
 * A verifier that is true when `token` equals one of `keys`.
 *
 * @example
 * ```ts
 * const verify = createKeyVerifier(["k1", "k2"]);
 * await verify("k2"); // true
 * ```
 */
export function createKeyVerifier(keys: readonly string[]): (token: string) => Promise<boolean> {
  const digests = Promise.all(keys.map(sha256));
  return async (token) => {
    const presented = await sha256(token);
    let matched = 0;
    for (const d of await digests) {
      let diff = 0;
      for (let i = 0; i < d.length; i++) diff |= d[i] ^ presented[i];
      matched |= diff === 0 ? 1 : 0;
    }
    return matched === 1;
  };
}

/**
 * Requires `Authorization: Bearer <key>` when `keys` is non-empty; with no
 * keys configured the route is open and this is a no-op.
 *
 * @example
 * ```ts
 * app.post("/v1/predict", apiKeyAuth(config.apiKeys), handler);
 * ```
 */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler {
  // No keys: pass straight through (no extra async frame on the hot path).
  if (keys.length === 0) return (_c, next) => next();
  const body = (message: string): ErrorBody => ({ error_code: "UNAUTHORIZED", message });
  return bearerAuth({
    verifyToken: createKeyVerifier(keys),
    noAuthenticationHeader: { message: body("missing bearer token") },
    invalidAuthenticationHeader: { message: body("malformed Authorization header") },
    invalidToken: { message: body("invalid API key") },
  });
}

async function sha256(text: string): Promise<Uint8Array> {
  const data = new TextEncoder().encode(text);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}
