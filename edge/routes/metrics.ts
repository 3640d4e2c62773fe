/**
 * `GET /metrics`: Prometheus text, served by the app itself on its own port
 * (Deploy exposes one port, and a second server would be a second thing to
 * secure).
 *
 * @module
 */
import type { Handler } from "hono";

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Serves whatever `scrape` renders.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createMeters } from "../telemetry/meters.ts";
 *
 * const app = new Hono();
 * const meters = createMeters({ otlp: false });
 * app.get("/metrics", metricsHandler(meters.scrape));
 * ```
 */
export function metricsHandler(scrape: () => Promise<string>): Handler {
  return async function metrics(c) {
    const text = await scrape();
    return c.body(text, 200, {
      "content-type": PROMETHEUS_CONTENT_TYPE,
      "cache-control": "no-store",
    });
  };
}
