/**
 * Human-facing routes: the public status page at `/` and the JSON it polls
 * (`/v1/status`), the operator view at `/ops`, the API docs at `/docs`, and
 * the machine-readable `/openapi.json` they are built from.
 *
 * @module
 */
import type { Handler } from "hono";
import { buildOpenApi, type SpecOptions } from "../openapi/spec.ts";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { StatusBoard } from "../status/public_status.ts";
import { renderDocsPage } from "../ui/docs_page.ts";
import { OPS_PAGE_HTML } from "../ui/ops_page.ts";
import { STATUS_PAGE_HTML } from "../ui/status_page.ts";

/**
 * `GET /`: the public status page (static; its script fetches `/v1/status`).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.get("/", statusPage);
 * ```
 */
export const statusPage: Handler = function statusPage(c) {
  return c.html(STATUS_PAGE_HTML);
};

/**
 * `GET /ops`: the operator view (static and without data; its script
 * fetches `/v1/ops` with the API key it asks for).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 *
 * const app = new Hono();
 * app.get("/ops", opsPage);
 * ```
 */
export const opsPage: Handler = function opsPage(c) {
  return c.html(OPS_PAGE_HTML);
};

/**
 * `GET /v1/status`: the public status document.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { StatusBoard } from "../status/public_status.ts";
 *
 * declare const board: StatusBoard;
 * const app = new Hono();
 * app.get("/v1/status", publicStatusHandler(board));
 * ```
 */
export function publicStatusHandler(board: StatusBoard): Handler {
  return async function publicStatus(c) {
    c.header("cache-control", "no-store");
    return c.json(await board.status());
  };
}

/**
 * `GET /openapi.json` for the model currently served. The document is
 * rebuilt only when the model changes.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const holder: ModelHolder;
 * const app = new Hono();
 * app.get("/openapi.json", openApiHandler(holder, { maxBatch: 1000, maxBodyBytes: 1 << 20, auth: false }));
 * ```
 */
export function openApiHandler(holder: ModelHolder, options: SpecOptions): Handler {
  const spec = cachedSpec(holder, options);
  return function openApi(c) {
    return c.json(spec());
  };
}

/**
 * `GET /docs`: the same document as HTML.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const holder: ModelHolder;
 * const app = new Hono();
 * app.get("/docs", docsHandler(holder, { maxBatch: 1000, maxBodyBytes: 1 << 20, auth: true }));
 * ```
 */
export function docsHandler(holder: ModelHolder, options: SpecOptions): Handler {
  const spec = cachedSpec(holder, options);
  return function docs(c) {
    return c.html(renderDocsPage(spec()));
  };
}

function cachedSpec(holder: ModelHolder, options: SpecOptions) {
  let forModel: unknown = null;
  let spec: Record<string, unknown> | undefined;
  return () => {
    const model = holder.model;
    if (spec === undefined || model !== forModel) {
      spec = buildOpenApi(model, options);
      forModel = model;
    }
    return spec;
  };
}
