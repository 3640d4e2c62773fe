/**
 * Holds the model the edge serves and the story of how it got there.
 *
 * The state only ever moves to `ready` with a fully built
 * {@link ServingModel}, swapped in with one assignment: a request sees the
 * old state or the new one, never a half-loaded model.
 *
 * @module
 */
import { isUserError } from "../../lib/errors.ts";
import type { ModelBundle } from "../../lib/model/mod.ts";
import { ServingModel } from "./serving_model.ts";

/** Where loading stands. */
export type ModelState =
  | { status: "loading"; since: string }
  | { status: "ready"; model: ServingModel; loadedAt: string; loadMs: number }
  | { status: "failed"; reason: string; at: string };

/** The current model, for routes and readiness probes. */
export class ModelHolder {
  #state: ModelState = { status: "loading", since: new Date().toISOString() };

  /** The current state; `ready` carries the model. */
  get state(): ModelState {
    return this.#state;
  }

  /** The model if one is ready. */
  get model(): ServingModel | undefined {
    return this.#state.status === "ready" ? this.#state.model : undefined;
  }

  /**
   * Runs `load`, builds the serving model, and only then makes it current.
   * Never throws: a failure becomes the `failed` state with its reason.
   *
   * @example
   * ```ts
   * const holder = new ModelHolder();
   * import { readBundle } from "../../lib/model/mod.ts";
   *
   * await holder.load(() => readBundle("edge/model/"));
   * if (holder.state.status === "failed") console.error(holder.state.reason);
   * ```
   */
  async load(load: () => Promise<ModelBundle> | ModelBundle): Promise<ModelState> {
    const t0 = performance.now();
    try {
      const model = new ServingModel(await load());
      this.#state = {
        status: "ready",
        model,
        loadedAt: new Date().toISOString(),
        loadMs: performance.now() - t0,
      };
    } catch (e) {
      this.#state = { status: "failed", reason: reasonOf(e), at: new Date().toISOString() };
    }
    return this.#state;
  }
}

function reasonOf(e: unknown): string {
  if (isUserError(e)) return e.message;
  // A bug rather than a bad bundle: keep the name, which is safe to show.
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
