/**
 * Open Inference Protocol (V2) server endpoints: `GET /v2/health/live`,
 * `GET /v2/health/ready` and `GET /v2` (server metadata).
 *
 * @module
 */
import type { Handler } from "hono";
import { VERSION } from "../../lib/version.ts";
import type { ModelHolder } from "../serving/model_holder.ts";

/**
 * `GET /v2/health/live`: `{"live": true}` while the process answers.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * app.get("/v2/health/live", v2Live);
 * ```
 */
export const v2Live: Handler = function v2Live(c) {
  return c.json({ live: true });
};

/**
 * `GET /v2/health/ready`: `{"ready": true}` (200) once the model serves,
 * `{"ready": false}` (503) before, so a readiness probe needs no body.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * app.get("/v2/health/ready", v2Ready(holder));
 * ```
 */
export function v2Ready(holder: ModelHolder): Handler {
  return function v2Ready(c) {
    const ready = holder.model !== undefined;
    return c.json({ ready }, ready ? 200 : 503);
  };
}

/**
 * `GET /v2`: `$metadata_server_response`.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * app.get("/v2", v2ServerMetadata);
 * ```
 */
export const v2ServerMetadata: Handler = function v2ServerMetadata(c) {
  return c.json({ name: "mlops-edge", version: VERSION, extensions: [] });
};
