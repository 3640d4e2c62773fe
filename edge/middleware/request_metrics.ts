/**
 * Times and counts every request, including the ones that fail, at the one
 * place every request passes: the app's `fetch`.
 *
 * Why not a Hono middleware: a wildcard middleware puts every route through
 * Hono's `compose`, an awaited async frame per layer; wrapping `fetch` costs
 * one promise reaction and leaves single-handler routes on Hono's direct
 * path. The route label is the registered path the request's method and path
 * match — for routes with parameters (`/v2/models/:name/infer`) the template
 * — else `unmatched`, so labels stay a small fixed set whatever clients send.
 *
 * @module
 */
import type { Env, Hono } from "hono";
import { getPath } from "hono/utils/url";
import type { Monitor, RouteMetrics } from "../telemetry/monitor.ts";
import { methodOf, UNMATCHED } from "./route_label.ts";

/** Options for {@link withRequestMetrics}. */
export interface RequestMetricsOptions {
  /** Routes that count as traffic on the status page (the API, not probes). */
  liveRoutes: ReadonlySet<string>;
}

/**
 * Makes `app.fetch` (and so `app.request`) record count, latency and
 * in-flight requests into `monitor`. Call it after registering every route;
 * routes with wildcards are not supported (their requests would count as
 * unmatched), and the edge has none.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const monitor: Monitor;
 * const routes = new Hono().get("/healthz", (c) => c.text("ok"));
 * const app = withRequestMetrics(routes, monitor, { liveRoutes: new Set(["/v1/predict"]) });
 * Deno.serve(app.fetch);
 * ```
 */
export function withRequestMetrics<E extends Env>(
  app: Hono<E>,
  monitor: Monitor,
  options: RequestMetricsOptions,
): Hono<E> {
  const paths = new Set<string>();
  const templates: { method: string; pattern: RegExp; path: string }[] = [];
  const byKey = new Map<string, RouteMetrics>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" || path.includes("*")) continue;
    if (path.includes(":")) {
      const pattern = new RegExp("^" + path.replace(/:[^/]+/g, "[^/]+") + "$");
      templates.push({ method, pattern, path });
    } else paths.add(method + " " + path);
  }
  const template = (method: string, path: string): string | undefined =>
    templates.find((t) => t.method === method && t.pattern.test(path))?.path;
  // Resolved once per method and path; unknown paths share one entry per
  // method, so the map stays as small as the route table.
  const resolve = (request: Request): RouteMetrics => {
    const method = request.method, path = getPath(request);
    const key = method + " " + path;
    let route = byKey.get(key);
    if (route) return route;
    const matched = paths.has(key) || (method === "HEAD" && paths.has("GET " + path));
    // Paths with parameters are not cached: clients choose them, the map would grow.
    const label = matched
      ? path
      : (template(method, path) ?? (method === "HEAD" ? template("GET", path) : undefined) ??
        UNMATCHED);
    route = monitor.route(methodOf(method), label, options.liveRoutes.has(label));
    if (matched) byKey.set(key, route);
    return route;
  };

  const dispatch = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    const start = performance.now();
    monitor.requestStarted();
    const finish = (status: number) =>
      monitor.requestFinished(resolve(request), status, (performance.now() - start) / 1000);
    let res: Response | Promise<Response>;
    try {
      res = dispatch(request, env, executionCtx);
    } catch (e) {
      finish(500);
      throw e;
    }
    if (!(res instanceof Promise)) {
      finish(res.status);
      return res;
    }
    return res.then((r) => {
      finish(r.status);
      return r;
    }, (e) => {
      finish(500);
      throw e;
    });
  };
  return app;
}
