/**
 * Guards: the checks a route makes before its handler runs (auth, a loaded
 * model, the content type). A guard passes by returning and rejects by
 * throwing an `ApiError`, which the app's error handler renders. It is
 * synchronous, except that it may return a promise when it has to wait
 * (`requireModel` while the model loads): the rest of the route then runs
 * once that settles, and only that request pays the promise.
 *
 * Why not Hono middleware: Hono's `compose` runs every layer in an async
 * frame of its own, awaited whether the layer is async or not. A route with
 * four checks paid five frames per request — a tenth of the edge's CPU time
 * per prediction. A route built with {@link guarded} is a single handler,
 * which Hono calls directly, and its checks are plain calls.
 *
 * @module
 */
import type { Context, Env, Handler, Next } from "hono";
import type { EdgeEnv } from "../env.ts";

/** A check before a handler: returns to pass, throws an `ApiError` to reject, or returns a promise of either. */
export type Guard<E extends Env = EdgeEnv> = (c: Context<E>) => void | Promise<void>;

/**
 * Composes guards, run in order, in front of a handler. The handler's
 * response is returned as it is, with no promise hop after it: a route
 * whose answer may come from another model than the one served (a
 * challenger) says so in its own headers (`answer` in `request_id.ts`);
 * every other response gets the served model's from `withRequestIdentity`,
 * and errors get the answering model's from the error handler.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { apiKeyAuth } from "./api_key.ts";
 * import { requireContentType } from "./content_type.ts";
 * import { requireModel } from "./require_model.ts";
 * import { predictHandler, type PredictDeps } from "../routes/predict.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const holder: ModelHolder;
 * declare const deps: PredictDeps;
 * const app = new Hono<EdgeEnv>();
 * const scoring = guarded(apiKeyAuth(["k3y"]), requireModel(holder), requireContentType("application/json"));
 * app.post("/v1/predict", scoring(predictHandler(deps)));
 * ```
 */
export function guarded<E extends Env = EdgeEnv>(
  ...guards: Guard<E>[]
): (handler: Handler<E>) => Handler<E> {
  return (handler) => {
    const from = (i: number, c: Context<E>, next: Next): ReturnType<Handler<E>> => {
      for (; i < guards.length; i++) {
        const wait = guards[i](c);
        if (wait !== undefined) {
          const rest = i + 1;
          return wait.then(() => from(rest, c, next)) as ReturnType<Handler<E>>;
        }
      }
      return handler(c, next);
    };
    return function guardedHandler(c, next) {
      return from(0, c, next);
    } as Handler<E>;
  };
}
