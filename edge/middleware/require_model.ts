/**
 * Gates scoring routes on a loaded model and hands it to the handler, so a
 * handler cannot forget the check or see a model swapped mid-request.
 *
 * @module
 */
import type { Context } from "hono";
import type { EdgeEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { ModelHolder, ModelState } from "../serving/model_holder.ts";
import type { Guard } from "./guard.ts";

/**
 * Sets the `model` and `answeredBy` variables (`c.get("model")`), or answers 503 with why
 * there is none. (Handlers read it with `c.get`: Hono builds a fresh object
 * on every `c.var` access.)
 *
 * A request that arrives while the first model loads waits for it, up to
 * `waitMs` (`LOAD_WAIT_MS`): a fresh isolate's first request, which is what
 * started it on Deno Deploy, is answered once the model is ready rather than
 * turned away with a 503 to retry. After `waitMs`, or at once with 0, it is
 * the 503 with `Retry-After: 1`; a failed load answers 503 at once.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import { guarded } from "./guard.ts";
 *
 * declare const holder: ModelHolder;
 * const app = new Hono<EdgeEnv>();
 * app.get("/v1/model", guarded(requireModel(holder))((c) => c.json(c.get("model").classes)));
 * ```
 */
export function requireModel(holder: ModelHolder, waitMs = 0): Guard<EdgeEnv> {
  const use = (c: Context<EdgeEnv>, state: ModelState) => {
    if (state.status !== "ready") {
      const why = state.status === "loading" ? "model is still loading" : state.reason;
      c.header("Retry-After", state.status === "loading" ? "1" : "30");
      throw new ApiError(503, "MODEL_NOT_READY", `no model is being served: ${why}`);
    }
    c.set("model", state.model);
    // Who answers unless a scoring step decides otherwise (X-Model-* headers).
    c.set("answeredBy", state.model);
  };
  return function requireModel(c) {
    const state = holder.state;
    if (state.status === "loading" && waitMs > 0) {
      return holder.settled(waitMs).then((settled) => use(c, settled));
    }
    use(c, state);
  };
}
