/**
 * Every response says who answered: `X-Request-Id` (the client's when it is
 * a safe token, else a fresh UUID), and `X-Model-Name` / `X-Model-Version`
 * for the model that answered (or, on routes that score nothing, the model
 * being served). The same id and model go into error bodies and the access
 * log, so a client's bug report, the log line and the metrics meet.
 *
 * The id is assigned where every request passes, `app.fetch` (as request
 * metrics are: see `request_metrics.ts` for why not a Hono middleware), and
 * kept beside the `Request` object, so anything holding the Hono context
 * reads it with {@link requestIdOf}. Which model answered is the context
 * variable `answeredBy`: `requireModel` sets it to the served model and a
 * scoring step that lets another model answer overwrites it.
 *
 * @module
 */
import type { Context, Env, Hono } from "hono";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { ServingModel } from "../serving/serving_model.ts";

/** Header names, as sent. */
export const REQUEST_ID_HEADER = "X-Request-Id";
export const MODEL_NAME_HEADER = "X-Model-Name";
export const MODEL_VERSION_HEADER = "X-Model-Version";

/** What `X-Model-Version` (and error bodies' `model.version`) say for an unregistered model. */
export const UNREGISTERED = "none";

/**
 * Client ids kept as sent: 1–128 characters a log line, a header and a JSON
 * string carry without escaping (UUIDs, W3C trace ids, ULIDs, base64).
 */
const SAFE_ID = /^[A-Za-z0-9._:+/=@-]{1,128}$/;

const ids = new WeakMap<Request, string>();

/** How `withRequestIdentity` hands the id to the routes: in `app.fetch`'s env argument. */
const REQUEST_ID = Symbol("requestId");
const BUILT = Symbol("built");
interface Carrier {
  [REQUEST_ID]: string;
  /** The response {@link answer} built with every identity header, if any. */
  [BUILT]?: Response;
  /** What the server passed (Deno.serve's connection info), kept. */
  info: unknown;
}

/**
 * The id for a request that sent `header`: the header itself when it is a
 * safe token, else a new random UUID (an unsafe header is never echoed).
 *
 * @example
 * ```ts
 * requestIdFor("req-42"); // "req-42"
 * requestIdFor("bad id\n"); // e.g. "0b7c2a3e-5f4d-4a51-9d0e-2f0b6c1d8e77"
 * requestIdFor(null); // a new UUID
 * ```
 */
export function requestIdFor(header: string | null | undefined): string {
  return header != null && SAFE_ID.test(header) ? header : crypto.randomUUID();
}

/**
 * The id of the request `c` is handling (assigned by
 * {@link withRequestIdentity}; an app built without it gets one on first
 * use, so callers never see none).
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * app.onError((_err, c) => c.json({ request_id: requestIdOf(c) }, 500));
 * ```
 */
export function requestIdOf(c: Context): string {
  // Given by withRequestIdentity through the env argument: no per-request
  // WeakMap entry on the hot path (short-lived weak keys cost the GC).
  const given = (c.env as Partial<Carrier> | undefined)?.[REQUEST_ID];
  if (given !== undefined) return given;
  const raw = c.req.raw;
  let id = ids.get(raw);
  if (id === undefined) ids.set(raw, id = requestIdFor(raw.headers.get(REQUEST_ID_HEADER)));
  return id;
}

/** Environments whose context says which model answered. */
export type AnsweredEnv = Env & { Variables: { answeredBy: ServingModel } };

/**
 * The model that answered `c`'s request: the `answeredBy` variable when a
 * scoring route set it, else the model the holder serves (if any).
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const c: Context<EdgeEnv>;
 * declare const holder: ModelHolder;
 * answeringModel(c, holder)?.name; // "telco-customer-churn"
 * ```
 */
export function answeringModel<E extends AnsweredEnv>(
  c: Context<E>,
  holder: ModelHolder,
): ServingModel | undefined {
  return (c.get("answeredBy") as ServingModel | undefined) ?? holder.model;
}

/**
 * `{name, version}` of `model` as error bodies and logs carry it.
 *
 * @example
 * ```ts
 * import type { ServingModel } from "../serving/serving_model.ts";
 *
 * declare const model: ServingModel;
 * modelRef(model); // { name: "tiny", version: "7" }
 * ```
 */
export function modelRef(model: ServingModel): { name: string; version: string } {
  return { name: model.name, version: model.version ?? UNREGISTERED };
}

/**
 * Sets the model headers on `res` for `model` (nothing without one). Used
 * where the context is known: scoring routes and the error handler.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * function answer(c: Context<EdgeEnv>, body: unknown): Response {
 *   return stampModel(c.json(body), c.get("answeredBy"));
 * }
 * ```
 */
export function stampModel(res: Response, model: ServingModel | undefined): Response {
  if (model !== undefined) {
    const [name, version] = modelHeaderValues(model);
    res.headers.set(MODEL_NAME_HEADER, name);
    res.headers.set(MODEL_VERSION_HEADER, version);
  }
  return res;
}

/** Each model's two header values, worked out once. */
const modelHeaders = new WeakMap<ServingModel, readonly [string, string]>();

/** `model`'s `X-Model-Name` and `X-Model-Version` values. */
function modelHeaderValues(model: ServingModel): readonly [string, string] {
  let values = modelHeaders.get(model);
  if (values === undefined) {
    values = [headerValue(model.name), headerValue(model.version ?? UNREGISTERED)];
    modelHeaders.set(model, values);
  }
  return values;
}

/**
 * A 200 JSON response of `json` (already serialized) with every identity
 * header — content type, `X-Request-Id`, and `model`'s name and version —
 * set where it is built, for routes that score (whose answer may come from
 * a challenger): {@link withRequestIdentity} knows this response and
 * leaves it alone, and no promise hop is spent stamping it afterwards.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * declare const c: Context<EdgeEnv>;
 * const res = answer(c, JSON.stringify({ predictions: ["No"] }), c.get("model"));
 * res.headers.get("X-Model-Name"); // "telco-customer-churn"
 * ```
 */
export function answer(c: Context, json: string, model: ServingModel): Response {
  const values = modelHeaderValues(model);
  // Set one by one: Deno converts a `headers` init (record or pairs) through
  // WebIDL at about 5 µs a response, where four `set`s take under one.
  const res = new Response(json);
  const headers = res.headers;
  headers.set("content-type", "application/json");
  headers.set(REQUEST_ID_HEADER, requestIdOf(c));
  headers.set(MODEL_NAME_HEADER, values[0]);
  headers.set(MODEL_VERSION_HEADER, values[1]);
  const carrier = c.env as Partial<Carrier> | undefined;
  if (carrier?.[REQUEST_ID] !== undefined) carrier[BUILT] = res;
  return res;
}

const PRINTABLE_ASCII = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * A name as a header value: printable ASCII as is; anything else (non-ASCII
 * letters, control characters, edge spaces — a bundle's name is whatever its
 * maker wrote) percent-encoded as `encodeURIComponent` does, since header
 * values cannot carry them and setting one would throw.
 *
 * @example
 * ```ts
 * headerValue("telco-churn"); // "telco-churn"
 * headerValue("модель"); // "%D0%BC%D0%BE%D0%B4%D0%B5%D0%BB%D1%8C"
 * ```
 */
export function headerValue(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : encodeURIComponent(text);
}

/**
 * Makes `app.fetch` give each request its id before any route runs, and
 * stamp `X-Request-Id` on every response (and the served model's headers on
 * those no route stamped: probes, pages, 404s, early rejections). Call it
 * last, around everything else.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 * import { type RequestMetricsOptions, withRequestMetrics } from "./request_metrics.ts";
 *
 * declare const routes: Hono<EdgeEnv>;
 * declare const monitor: Monitor;
 * declare const opts: RequestMetricsOptions;
 * declare const holder: ModelHolder;
 * const app = withRequestIdentity(withRequestMetrics(routes, monitor, opts), holder);
 * Deno.serve(app.fetch);
 * ```
 */
export function withRequestIdentity<E extends Env>(app: Hono<E>, holder: ModelHolder): Hono<E> {
  const dispatch = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    const id = requestIdFor(request.headers.get(REQUEST_ID_HEADER));
    // Nothing here reads `c.env` (Deno.serve's connection info) otherwise.
    const carrier: Carrier = { [REQUEST_ID]: id, info: env };
    env = carrier as typeof env;
    const stamp = (res: Response): Response => {
      if (res === carrier[BUILT]) return res;
      try {
        res.headers.set(REQUEST_ID_HEADER, id);
      } catch {
        // Immutable headers (a response passed through from fetch): copy it.
        res = new Response(res.body, res);
        res.headers.set(REQUEST_ID_HEADER, id);
      }
      if (!res.headers.has(MODEL_NAME_HEADER)) stampModel(res, holder.model);
      return res;
    };
    const res = dispatch(request, env, executionCtx);
    return res instanceof Promise ? res.then(stamp) : stamp(res);
  };
  return app;
}
