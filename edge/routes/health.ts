/**
 * Probes. `/healthz` answers whenever the process can answer at all, so an
 * orchestrator does not restart an edge whose only problem is a bad bundle;
 * `/readyz` says whether it can score, and if not, why.
 *
 * @module
 */
import type { Handler } from "hono";
import type { Challenger } from "../serving/challenger.ts";
import type { ModelHolder } from "../serving/model_holder.ts";

/**
 * How the challenger stands, for `/readyz` and `/v1/model`: its mode (and
 * share), and its model or why it is not served. Readiness itself is the
 * champion's: an edge whose challenger was refused still answers.
 *
 * @example
 * ```ts
 * import type { Challenger } from "../serving/challenger.ts";
 *
 * declare const challenger: Challenger;
 * challengerState(challenger); // { mode: "shadow", status: "ready", model: { name: "telco", version: "5" } }
 * ```
 */
export function challengerState(challenger: Challenger): Record<string, unknown> {
  const s = challenger.holder.state;
  const how = {
    mode: challenger.mode,
    ...(challenger.mode === "split" ? { share: challenger.share } : {}),
  };
  switch (s.status) {
    case "ready":
      return {
        ...how,
        status: "ready",
        model: { name: s.model.name, version: s.model.version },
        loaded_at: s.loadedAt,
        load_ms: Math.round(s.loadMs),
      };
    case "loading":
      return { ...how, status: "loading", reason: "challenger is still loading", since: s.since };
    case "failed":
      return { ...how, status: "failed", reason: s.reason, at: s.at };
  }
}

/**
 * `GET /healthz`: always 200 while the process runs.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * app.get("/healthz", healthz);
 * ```
 */
export const healthz: Handler = function healthz(c) {
  return c.json({ status: "ok" });
};

/**
 * `GET /readyz`: 200 with the model's identity once it serves, else 503
 * with the state (`loading` or `failed`) and the reason. With a challenger
 * configured, its state too (see {@link challengerState}).
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * app.get("/readyz", readyz(holder, null));
 * ```
 */
export function readyz(holder: ModelHolder, challenger: Challenger | null = null): Handler {
  return function readyz(c) {
    const s = holder.state;
    switch (s.status) {
      case "ready":
        return c.json({
          status: "ready",
          model: { name: s.model.name, version: s.model.version },
          loaded_at: s.loadedAt,
          load_ms: Math.round(s.loadMs),
          ...(challenger ? { challenger: challengerState(challenger) } : {}),
        });
      case "loading":
        return c.json({ status: "loading", reason: "model is still loading", since: s.since }, 503);
      case "failed":
        return c.json({ status: "failed", reason: s.reason, at: s.at }, 503);
    }
  };
}
