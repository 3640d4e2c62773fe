/**
 * The check both of the bot's HTTP entries (`/alerts`, `/notify`) make:
 * `Authorization: Bearer <ALERT_WEBHOOK_TOKEN>`, compared in constant time
 * (the edge's verifier); 401 otherwise, before the body is read.
 *
 * @module
 */
import type { Context } from "hono";
import { ApiError, bearerToken, createKeyVerifier } from "../../edge/http.ts";

/**
 * A check that throws the 401 (after calling `refused`, for the metrics)
 * unless the request carries `token`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * let refusals = 0;
 * const auth = requireBearer("s3cret-token", () => refusals++);
 * const app = new Hono();
 * app.post("/alerts", (c) => {
 *   auth(c); // throws the 401 ApiError unless `Authorization: Bearer s3cret-token`
 *   return c.json({ status: "ok" });
 * });
 * ```
 */
export function requireBearer(token: string, refused: () => void): (c: Context) => void {
  const verify = createKeyVerifier([token]);
  return (c) => {
    const presented = bearerToken(c.req.header("authorization"));
    if (presented !== undefined && verify(presented) !== null) return;
    refused();
    c.header("WWW-Authenticate", 'Bearer realm="mlops-bot"');
    throw new ApiError(
      401,
      "UNAUTHORIZED",
      "missing or wrong bearer token (ALERT_WEBHOOK_TOKEN)",
    );
  };
}
