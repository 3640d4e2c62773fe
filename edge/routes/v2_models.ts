/**
 * Open Inference Protocol (V2) model endpoints: `GET /v2/models/{name}`
 * (metadata), `GET /v2/models/{name}/ready`, and their
 * `/versions/{version}` variants. A name or version this edge does not
 * serve is a 404 in the protocol's error shape, `{"error": "..."}`.
 *
 * @module
 */
import type { Context, Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { stampModel } from "../middleware/request_id.ts";
import type { Challenger } from "../serving/challenger.ts";
import type { ModelHolder } from "../serving/model_holder.ts";
import type { ServingModel } from "../serving/serving_model.ts";

/** What the protocol calls the model's framework. */
export const PLATFORM = "mlops-random-forest";

/**
 * The served model, if the path's `name` (and `version`, when given) are
 * its; else a 404 naming what is served.
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 *
 * declare const c: Context<EdgeEnv>;
 * const model = servedAs(c, c.get("model")); // throws a 404 for /v2/models/other/...
 * ```
 */
export function servedAs(c: Context<EdgeEnv>, model: ServingModel): ServingModel {
  const name = c.req.param("name");
  const version = c.req.param("version");
  if (name !== model.name) {
    throw new ApiError(
      404,
      "NOT_FOUND",
      `unknown model ${JSON.stringify(name)}; this edge serves ${JSON.stringify(model.name)}`,
    );
  }
  if (version !== undefined && version !== model.version) {
    throw new ApiError(
      404,
      "NOT_FOUND",
      `model ${JSON.stringify(name)} has no version ${JSON.stringify(version)} here; ` +
        (model.version === null ? "it is unregistered" : `version ${model.version} is served`),
    );
  }
  return model;
}

/**
 * `$metadata_model_response`: inputs (one per feature: FP64 for numbers,
 * BYTES for categories), outputs (`label`, `probabilities`), and, beyond the
 * spec, `parameters` with the classes (the probabilities' column order).
 *
 * @example
 * ```ts
 * import type { ServingModel } from "../serving/serving_model.ts";
 *
 * declare const model: ServingModel;
 * (modelMetadata(model).inputs as unknown[])[0]; // { name: "tenure", datatype: "FP64", shape: [-1] }
 * ```
 */
export function modelMetadata(model: ServingModel): Record<string, unknown> {
  const { schema } = model.bundle;
  return {
    name: model.name,
    ...(model.version === null ? {} : { versions: [model.version] }),
    platform: PLATFORM,
    inputs: schema.features.map((f) => ({
      name: f.name,
      datatype: f.kind === "numeric" ? "FP64" : "BYTES",
      shape: [-1],
    })),
    outputs: [
      { name: "label", datatype: "BYTES", shape: [-1] },
      { name: "probabilities", datatype: "FP64", shape: [-1, model.classes.length] },
    ],
    parameters: { classes: model.classes, feature_order: schema.features.map((f) => f.name) },
  };
}

/**
 * The model a V2 path names: the challenger when the path's version is its
 * own (and not also the champion's), else the champion ({@link servedAs},
 * 404 when the path names neither).
 *
 * @example
 * ```ts
 * import type { Context } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ServingModel } from "../serving/serving_model.ts";
 *
 * declare const c: Context<EdgeEnv>; // GET /v2/models/churn/versions/8
 * declare const challenger: ServingModel; // churn, version 8
 * addressed(c, c.get("model"), challenger) === challenger; // true
 * ```
 */
export function addressed(
  c: Context<EdgeEnv>,
  champion: ServingModel,
  challenger: ServingModel | undefined,
): ServingModel {
  const version = c.req.param("version");
  const at = (m: ServingModel) => m.name === c.req.param("name") && m.version === version;
  if (version !== undefined && challenger !== undefined && !at(champion) && at(challenger)) {
    return challenger;
  }
  return servedAs(c, champion);
}

/**
 * `GET /v2/models/{name}[/versions/{version}]` (guard it with
 * `requireModel`): the champion's metadata, or the challenger's when the
 * path names its version.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { guarded } from "../middleware/guard.ts";
 * import { requireModel } from "../middleware/require_model.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * app.get("/v2/models/:name", guarded(requireModel(holder))(v2ModelMetadata(null)));
 * ```
 */
export function v2ModelMetadata(challenger: Challenger | null): Handler<EdgeEnv> {
  return function v2ModelMetadata(c) {
    const model = addressed(c, c.get("model"), challenger?.model);
    return stampModel(c.json(modelMetadata(model)), model);
  };
}

/**
 * `GET /v2/models/{name}[/versions/{version}]/ready`: `{"name", "ready"}`,
 * 200 when it can score, 503 while loading or failed (a probe must see the
 * difference in the status). Unguarded: readiness is what it reports. A
 * path naming the challenger's version is the challenger's readiness.
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * app.get("/v2/models/:name/ready", v2ModelReady(holder, null));
 * ```
 */
export function v2ModelReady(holder: ModelHolder, challenger: Challenger | null): Handler<EdgeEnv> {
  return function v2ModelReady(c) {
    const model = holder.model;
    if (model === undefined) {
      return c.json({ name: c.req.param("name"), ready: false }, 503);
    }
    const named = addressed(c, model, challenger?.model);
    return stampModel(c.json({ name: named.name, ready: true }), named);
  };
}
