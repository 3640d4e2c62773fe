/**
 * The Hono environment shared by every route: what middleware puts on the
 * context for handlers to read.
 *
 * @module
 */
import type { ServingModel } from "./serving/serving_model.ts";

/**
 * Context variables: `model` is set by `requireModel` before scoring routes;
 * `answeredBy`, the model whose answer the client gets (the response's
 * `X-Model-*` headers), starts as that model and is overwritten by a scoring
 * step that lets another model answer; `client`, the identity of the
 * request's API key, is set by `apiKeyAuth` when keys are configured.
 */
export type EdgeEnv = {
  Variables: {
    model: ServingModel;
    answeredBy: ServingModel;
    client: string | undefined;
  };
};
