/**
 * Gates scoring routes on a loaded model and hands it to the handler, so a
 * handler cannot forget the check or see a model swapped mid-request.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import type { EdgeEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { ModelHolder } from "../serving/model_holder.ts";

/**
 * Sets `c.var.model`, or answers 503 with why there is none.
 *
 * @example
 * ```ts
 * app.post("/v1/predict", requireModel(holder), (c) => c.json({ classes: c.var.model.classes }));
 * ```
 */
export function requireModel(holder: ModelHolder) {
  return createMiddleware<EdgeEnv>(function requireModel(c, next) {
    const state = holder.state;
    if (state.status !== "ready") {
      const why = state.status === "loading" ? "model is still loading" : state.reason;
      c.header("Retry-After", state.status === "loading" ? "1" : "30");
      throw new ApiError(503, "MODEL_NOT_READY", `no model is being served: ${why}`);
    }
    c.set("model", state.model);
    return next();
  });
}
