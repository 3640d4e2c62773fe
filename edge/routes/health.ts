/**
 * Probes. `/healthz` answers whenever the process can answer at all, so an
 * orchestrator does not restart an edge whose only problem is a bad bundle;
 * `/readyz` says whether it can score, and if not, why.
 *
 * @module
 */
import type { Handler } from "hono";
import type { ModelHolder } from "../serving/model_holder.ts";

/**
 * `GET /healthz`: always 200 while the process runs.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.get("/healthz", healthz);
 * ```
 */
export const healthz: Handler = function healthz(c) {
  return c.json({ status: "ok" });
};

/**
 * `GET /readyz`: 200 with the model's identity once it serves, else 503
 * with the state (`loading` or `failed`) and the reason.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { ModelHolder } from "../serving/model_holder.ts";
 *
 * const holder = new ModelHolder();
 * const app = new Hono();
 * app.get("/readyz", readyz(holder)); // 503 until holder.load(...) succeeds
 * ```
 */
export function readyz(holder: ModelHolder): Handler {
  return function readyz(c) {
    const s = holder.state;
    switch (s.status) {
      case "ready":
        return c.json({
          status: "ready",
          model: { name: s.model.name, version: s.model.version },
          loaded_at: s.loadedAt,
          load_ms: Math.round(s.loadMs),
        });
      case "loading":
        return c.json({ status: "loading", reason: "model is still loading", since: s.since }, 503);
      case "failed":
        return c.json({ status: "failed", reason: s.reason, at: s.at }, 503);
    }
  };
}
