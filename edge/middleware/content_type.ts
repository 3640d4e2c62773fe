/**
 * Rejects bodies in a media type the route cannot read, before reading them.
 *
 * @module
 */
import type { Env } from "hono";
import { ApiError } from "../errors.ts";
import type { Guard } from "./guard.ts";

/**
 * Allows only the given media types (parameters such as `charset` are
 * ignored); anything else, or no `Content-Type` at all, is a 415.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { guarded } from "./guard.ts";
 *
 * const app = new Hono();
 * app.post("/echo", guarded(requireContentType("application/json"))(async (c) => c.json(await c.req.json())));
 * ```
 */
export function requireContentType<E extends Env>(...types: string[]): Guard<E> {
  const allowed = new Set(types.map((t) => t.toLowerCase()));
  const expected = types.join(" or ");
  return function requireContentType(c) {
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
  };
}
