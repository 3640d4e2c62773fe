/**
 * The Hono environment shared by every route: what middleware puts on the
 * context for handlers to read.
 *
 * @module
 */
import type { ServingModel } from "./serving/serving_model.ts";

/**
 * Context variables: `model` is set by `requireModel` before scoring routes;
 * `client`, the identity of the request's API key, by `apiKeyAuth` when keys
 * are configured; `answeredBy`, the model whose answer a scoring route
 * returns (the champion, or a split-mode challenger), for the response
 * headers.
 */
export type EdgeEnv = {
  Variables: {
    model: ServingModel;
    client: string | undefined;
    answeredBy: ServingModel;
  };
};
