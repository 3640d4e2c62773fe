/**
 * One JSON line per request, for platforms that collect stdout. It holds
 * what an operator needs and nothing a client sent: no bodies, headers,
 * query strings or keys — except the request id, which is only ever a
 * short safe token (see `request_id.ts`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../env.ts";
import type { ModelHolder } from "../serving/model_holder.ts";
import { answeringModel, modelRef, requestIdOf } from "./request_id.ts";
import { methodLabel, routeLabel } from "./route_label.ts";

/**
 * Logs request id, method, route template, status, duration and the model
 * that answered (or was being served; absent while none is).
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeConfig } from "../config.ts";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const config: EdgeConfig;
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * if (config.accessLog) app.use(accessLog(holder));
 * // {"ts":"2025-01-01T00:00:00.000Z","request_id":"3b2c…","method":"POST","route":"/v1/predict",
 * //  "status":200,"ms":0.41,"model":{"name":"tiny","version":"7"}}
 * ```
 */
export function accessLog(
  holder: ModelHolder,
  write: (line: string) => void = console.log,
): MiddlewareHandler<EdgeEnv> {
  return async function accessLog(c, next) {
    const start = performance.now();
    await next();
    const model = answeringModel(c, holder);
    write(JSON.stringify({
      ts: new Date().toISOString(),
      request_id: requestIdOf(c),
      method: methodLabel(c),
      route: routeLabel(c),
      status: c.res.status,
      ms: Math.round((performance.now() - start) * 1000) / 1000,
      ...(model ? { model: modelRef(model) } : {}),
    }));
  };
}
