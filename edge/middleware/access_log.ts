/**
 * One JSON line per request, for platforms that collect stdout. It holds
 * what an operator needs and nothing a client sent: no bodies, headers,
 * query strings or keys.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { methodLabel, routeLabel } from "./route_label.ts";

/**
 * Logs method, route template, status and duration.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.use(accessLog());
 * // {"ts":"2025-01-01T00:00:00.000Z","method":"POST","route":"/v1/predict","status":200,"ms":0.41}
 * ```
 */
export function accessLog(write: (line: string) => void = console.log): MiddlewareHandler {
  return async function accessLog(c, next) {
    const start = performance.now();
    await next();
    write(JSON.stringify({
      ts: new Date().toISOString(),
      method: methodLabel(c),
      route: routeLabel(c),
      status: c.res.status,
      ms: Math.round((performance.now() - start) * 1000) / 1000,
    }));
  };
}
