/**
 * `POST /invocations`: MLflow's scoring protocol, so clients written for
 * `mlflow models serve` point here unchanged. The answer is MLflow's too:
 * `{"predictions": [label, ...]}`.
 *
 * @module
 */
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import { answer } from "../middleware/request_id.ts";
import type { BodyReader } from "../payloads/body.ts";
import { parseInvocationsBody, parseInvocationsCsv } from "../payloads/invocations_request.ts";
import type { Challenger } from "../serving/challenger.ts";
import type { Monitor } from "../telemetry/monitor.ts";
import { labelsOf, pickModels, score, shadowScore } from "./_score.ts";

/** Dependencies of the invocations route. */
export interface InvocationsDeps {
  monitor: Monitor;
  maxBatch: number;
  /** Reads the body within its size and time limits. */
  body: BodyReader;
  /** A second model beside the champion, or null. */
  challenger: Challenger | null;
}

/**
 * The handler (guard it with `requireModel` and a JSON-or-CSV content type check).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EdgeEnv } from "../env.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 * import { guarded } from "../middleware/guard.ts";
 * import { requireModel } from "../middleware/require_model.ts";
 *
 * declare const holder: ModelHolder;
 * import { requireContentType } from "../middleware/content_type.ts";
 * import { BodyReader } from "../payloads/body.ts";
 * import type { Monitor } from "../telemetry/monitor.ts";
 *
 * declare const monitor: Monitor;
 * const body = new BodyReader({ maxBytes: 1 << 20, timeoutMs: 10_000 });
 * const app = new Hono<EdgeEnv>();
 * const scoring = guarded(requireModel(holder), requireContentType("application/json", "text/csv"));
 * app.post("/invocations", scoring(invocationsHandler({ monitor, maxBatch: 1000, body, challenger: null })));
 * ```
 */
export function invocationsHandler(deps: InvocationsDeps): Handler<EdgeEnv> {
  return async function invocations(c) {
    const champion = c.get("model");
    const csv = c.req.header("content-type")?.toLowerCase().startsWith("text/csv") ?? false;
    const instances = csv
      ? await parseInvocationsCsv(await deps.body.text(c), deps.maxBatch)
      : parseInvocationsBody(
        await deps.body.json(c),
        champion.bundle.schema.features.map((f) => f.name),
        deps.maxBatch,
      );
    const { answer: model, shadow } = pickModels(c, deps.challenger);
    const batch = score(model, instances, deps.monitor);
    // Nothing here remembers the shadow's answers, so it scores after the
    // response is on its way, adding nothing to this request's latency.
    if (shadow) setTimeout(shadowScore, 0, shadow, instances, deps.monitor);
    return answer(c, JSON.stringify({ predictions: labelsOf(model, batch) }), model);
  };
}
