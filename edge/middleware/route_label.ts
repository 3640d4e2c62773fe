/**
 * The route label for metrics and logs: the matched route template, never
 * the raw path, so label values stay a small fixed set whatever clients send.
 *
 * @module
 */
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** Label for requests that matched no route (404s, probes, scanners). */
export const UNMATCHED = "unmatched";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The template of the route that handled `c` (call after `await next()`).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use(async (c, next) => {
 *   await next();
 *   console.log(routeLabel(c)); // "/v1/predict" or "unmatched"
 * });
 * ```
 */
export function routeLabel(c: Context): string {
  const path = matchedRoutes(c).at(-1)?.path;
  // Only wildcard middleware matched: no handler owns this request.
  return path === undefined || path.includes("*") ? UNMATCHED : path;
}

/**
 * The request method, folded to a fixed set for labels.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 *
 * declare const c: Context;
 * methodLabel(c); // "POST", or "OTHER" for e.g. PROPFIND
 * ```
 */
export function methodLabel(c: Context): string {
  return methodOf(c.req.method);
}

/**
 * A request method folded to a fixed set for labels.
 *
 * @example
 * ```ts
 * methodOf("PROPFIND"); // "OTHER"
 * ```
 */
export function methodOf(method: string): string {
  return METHODS.has(method) ? method : "OTHER";
}
