/**
 * `POST /v2/models/{name}[/versions/{version}]/infer`: the Open Inference
 * Protocol's inference (`$inference_request` in, `$inference_response`
 * out). Outputs: `label` (BYTES, `[N]`) and `probabilities` (FP64,
 * `[N, classes]`, columns in the order of the model metadata's
 * `parameters.classes`, also repeated in the output's `parameters`).
 *
 * With a challenger, infer takes part like `/v1/predict`: in shadow mode the
 * challenger scores every request (just after the answer is sent: nothing
 * here remembers its labels), in split mode it answers its share of clients.
 * A path naming a version is answered by that version — the champion's or
 * the challenger's — so a client can pin a model; a pinned champion is still
 * shadowed, a pinned challenger is not.
 *
 * @module
 */
import type { Context, Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { answer, requestIdOf } from "../middleware/request_id.ts";
import type { BodyReader } from "../payloads/body.ts";
import { parseInferBody } from "../payloads/oip_request.ts";
import type { Challenger, Pick } from "../serving/challenger.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { labelsOf, pickModels, score, shadowScore } from "./_score.ts";
import { addressed, servedAs } from "./v2_models.ts";

/** Dependencies of the infer route. */
export interface V2InferDeps {
  monitor: Monitor;
  maxBatch: number;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
  /** A second model beside the champion, or null. */
  challenger: Challenger | null;
}

/**
 * The handler (guard it with `requireModel` and a JSON content type).
 *
 * @example
 * ```ts
 * import type { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import { guarded } from "../middleware/guard.ts";
 * import { requireModel } from "../middleware/require_model.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import type { V2InferDeps } from "./v2_infer.ts";
 *
 * declare const app: Hono<EdgeEnv>;
 * declare const holder: ModelHolder;
 * declare const deps: Omit<V2InferDeps, "challenger">; // monitor, maxBatch, body
 * app.post("/v2/models/:name/infer", guarded(requireModel(holder))(v2InferHandler({ ...deps, challenger: null })));
 * ```
 */
export function v2InferHandler(deps: V2InferDeps): Handler<EdgeEnv> {
  return async function v2Infer(c) {
    const { answer: model, shadow } = pinned(c, deps.challenger);
    // A 2-D tensor's columns follow the metadata of the path's model: the
    // champion's unless a version pins the challenger.
    const request = parseInferBody(
      await deps.body.json(c),
      (c.req.param("version") === undefined ? c.get("model") : model).bundle.schema.features
        .map((f) => f.name),
      deps.maxBatch,
    );
    const batch = score(model, request.instances, deps.monitor);
    if (shadow) setTimeout(shadowScore, 0, shadow, request.instances, deps.monitor);
    const K = model.classes.length;
    const outputs = request.outputs.map((name) =>
      name === "label"
        ? { name, shape: [batch.n], datatype: "BYTES", data: labelsOf(model, batch) }
        : {
          name,
          shape: [batch.n, K],
          datatype: "FP64",
          parameters: { classes: model.classes },
          data: batch.proba,
        }
    );
    const body = JSON.stringify({
      model_name: model.name,
      ...(model.version === null ? {} : { model_version: model.version }),
      // The spec echoes the request's id; without one, the X-Request-Id.
      id: request.id ?? requestIdOf(c),
      outputs,
    });
    return answer(c, body, model);
  };
}

/**
 * Who answers and who shadows: without a version in the path, split or
 * shadow as for `/v1/predict`; a version pins the model it names — the
 * champion (which a shadow still scores) or the challenger (which nothing
 * shadows). Anything else is `servedAs`'s 404, which names the champion.
 */
function pinned(c: Context<EdgeEnv>, challenger: Challenger | null): Pick {
  const champion = c.get("model");
  if (c.req.param("version") === undefined) {
    servedAs(c, champion);
    return pickModels(c, challenger);
  }
  const model = addressed(c, champion, challenger?.model);
  if (model !== champion) {
    c.set("answeredBy", model);
    return { answer: model, shadow: undefined };
  }
  return { answer: champion, shadow: challenger?.mode === "shadow" ? challenger.model : undefined };
}
