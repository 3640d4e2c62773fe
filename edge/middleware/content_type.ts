/**
 * Rejects bodies in a media type the route cannot read, before reading them.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors.ts";

/**
 * Allows only the given media types (parameters such as `charset` are
 * ignored); anything else, or no `Content-Type` at all, is a 415.
 *
 * @example
 * ```ts
 * app.post("/v1/predict", requireContentType("application/json"), handler);
 * ```
 */
export function requireContentType(...types: string[]): MiddlewareHandler {
  const allowed = new Set(types.map((t) => t.toLowerCase()));
  const expected = types.join(" or ");
  // Not async: a guard that only throws or passes on adds no promise of its own.
  return function requireContentType(c, next) {
    const header = c.req.header("content-type");
    const type = header?.split(";", 1)[0].trim().toLowerCase();
    if (!type || !allowed.has(type)) {
      throw new ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        type
          ? `Content-Type ${JSON.stringify(type)} is not supported; send ${expected}`
          : `missing Content-Type; send ${expected}`,
      );
    }
    return next();
  };
}
