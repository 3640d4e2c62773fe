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
import { after } from "../../lib/timer.ts";
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
  /** Settles when the state leaves `loading`; made for the first waiter. */
  #left: PromiseWithResolvers<void> | null = null;

  /** The current state; `ready` carries the model. */
  get state(): ModelState {
    return this.#state;
  }

  /** The model if one is ready. */
  get model(): ServingModel | undefined {
    return this.#state.status === "ready" ? this.#state.model : undefined;
  }

  /**
   * The state once it is no longer `loading`, or as it is after `ms`,
   * whichever comes first: at once when nothing is loading. The state only
   * reads `loading` before the first model is served (a reload keeps the old
   * model until the new one is ready), so only a fresh process makes anyone wait.
   *
   * @example
   * ```ts
   * const holder = new ModelHolder();
   * const state = await holder.settled(10_000); // "ready", "failed", or still "loading" after 10 s
   * ```
   */
  settled(ms: number): Promise<ModelState> {
    if (this.#state.status !== "loading" || !(ms > 0)) return Promise.resolve(this.#state);
    const left = (this.#left ??= Promise.withResolvers()).promise;
    return new Promise((resolve) => {
      left.then(() => resolve(this.#state));
      after(ms, () => resolve(this.#state));
    });
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
    this.#left?.resolve();
    this.#left = null;
    return this.#state;
  }
}

function reasonOf(e: unknown): string {
  if (isUserError(e)) return e.message;
  // A bug rather than a bad bundle: keep the name, which is safe to show.
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
