/**
 * `GET /v1/model`: what is being served — identity, schema (the request
 * contract), classes, training metrics and provenance.
 *
 * @module
 */
import type { Handler } from "hono";
import type { EdgeEnv } from "../env.ts";
import type { Challenger } from "../serving/challenger.ts";
import type { ServingModel } from "../serving/serving_model.ts";
import { challengerState } from "./health.ts";

/**
 * A JSON description of `model`, in the API's snake_case.
 *
 * @example
 * ```ts
 * import type { ServingModel } from "../serving/serving_model.ts";
 *
 * declare const model: ServingModel;
 * describeModel(model).classes; // ["No", "Yes"]
 * ```
 */
export function describeModel(model: ServingModel): Record<string, unknown> {
  const b = model.bundle;
  const t = b.training;
  return {
    name: b.name,
    version: b.version,
    created_at: b.createdAt,
    promoted_at: b.promotedAt,
    format: b.format,
    format_version: b.formatVersion,
    target: b.schema.target,
    classes: b.schema.classes,
    features: b.schema.features,
    dropped: b.schema.dropped,
    forest: {
      trees: b.forest.nTrees,
      nodes: b.forest.feature.length,
      encoded_features: b.forest.nFeatures,
    },
    training: {
      metrics: t.metrics,
      oob_score: t.oobScore,
      params: t.params,
      dataset: t.dataset,
      n_train: t.nTrain,
      n_test: t.nTest,
      fit_ms: t.fitMs,
      trained_by: t.trainedBy,
    },
    importances: b.schema.encodedNames
      .map((feature, i) => ({ feature, importance: b.importances[i] ?? 0 }))
      .sort((a, b) => b.importance - a.importance),
  };
}

/**
 * The handler (guard it with `requireModel`): the champion, and under
 * `challenger` the challenger's state, mode and (once loaded) the same
 * description of it.
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
 * app.get("/v1/model", guarded(requireModel(holder))(modelHandler(null)));
 * ```
 */
export function modelHandler(challenger: Challenger | null): Handler<EdgeEnv> {
  return function model(c) {
    const champion = describeModel(c.get("model"));
    if (!challenger) return c.json(champion);
    const other = challenger.model;
    return c.json({
      ...champion,
      challenger: { ...challengerState(challenger), ...(other ? describeModel(other) : {}) },
    });
  };
}
