/**
 * The edge's HTTP pieces that other servers reuse (the bot's webhook intake
 * and `/notify`): JSON errors in the edge's shape, bearer keys compared in
 * constant time, bounded body reading, and `/metrics` over the same meters.
 * Importing this loads none of the serving app (`mod.ts`): no model, no routes.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { ApiError, bearerToken, createKeyVerifier } from "./http.ts";
 *
 * const verify = createKeyVerifier(["s3cret"]);
 * const app = new Hono().post("/hook", (c) => {
 *   const token = bearerToken(c.req.header("authorization"));
 *   if (token === undefined || verify(token) === null) {
 *     throw new ApiError(401, "UNAUTHORIZED", "a valid bearer key is required");
 *   }
 *   return c.body(null, 204);
 * });
 * ```
 *
 * @module
 */
export {
  ApiError,
  type ErrorBody,
  type ErrorCode,
  type FieldError,
  invalidInput,
} from "./errors.ts";
export { bearerToken, createKeyVerifier } from "./middleware/api_key.ts";
export { type BodyLimits, BodyReader } from "./payloads/body.ts";
export { metricsHandler } from "./routes/metrics.ts";
export { createMeters, type Meters, type MetersOptions } from "./telemetry/meters.ts";
