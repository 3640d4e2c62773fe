/**
 * `POST /v2/models/{name}[/versions/{version}]/infer`: the Open Inference
 * Protocol's inference (`$inference_request` in, `$inference_response`
 * out). Outputs: `label` (BYTES, `[N]`) and `probabilities` (FP64,
 * `[N, classes]`, columns in the order of the model metadata's
 * `parameters.classes`, also repeated in the output's `parameters`).
 *
 * @module
 */
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { requestIdOf } from "../middleware/request_id.ts";
import type { BodyReader } from "../payloads/body.ts";
import { parseInferBody } from "../payloads/oip_request.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { labelsOf, score } from "./_score.ts";
import { servedAs } from "./v2_models.ts";

/** Dependencies of the infer route. */
export interface V2InferDeps {
  monitor: Monitor;
  maxBatch: number;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
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
 * declare const deps: V2InferDeps;
 * app.post("/v2/models/:name/infer", guarded(requireModel(holder))(v2InferHandler(deps)));
 * ```
 */
export function v2InferHandler(deps: V2InferDeps): Handler<EdgeEnv> {
  return async function v2Infer(c) {
    const model = servedAs(c, c.get("model"));
    const request = parseInferBody(
      await deps.body.json(c),
      model.bundle.schema.features.map((f) => f.name),
      deps.maxBatch,
    );
    const batch = score(model, request.instances, deps.monitor);
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
    return c.json({
      model_name: model.name,
      ...(model.version === null ? {} : { model_version: model.version }),
      // The spec echoes the request's id; without one, the X-Request-Id.
      id: request.id ?? requestIdOf(c),
      outputs,
    });
  };
}
