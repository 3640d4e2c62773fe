/**
 * The challenger: a second model served beside the champion, either in
 * *shadow* (it scores every request, its answers are recorded, clients only
 * ever see the champion's) or in *split* mode (it answers a share of the
 * clients, sticky per client).
 *
 * A challenger must take exactly the champion's requests and name the same
 * classes, or its answers could not be compared with the champion's (nor
 * scored against the same feedback): {@link checkChallenger} refuses one
 * whose features (names and kinds) or classes differ. What may differ is
 * everything learnt — trees, bins, the categories seen in training — and the
 * model name and version.
 *
 * @module
 */
import { UserError } from "../../lib/errors.ts";
import type { ModelBundle } from "../../lib/model/mod.ts";
import type { ChallengerMode } from "../config.ts";
import type { ModelHolder } from "./model_holder.ts";
import type { ServingModel } from "./serving_model.ts";

/** Which part a model plays on this edge (the `model_role` metric label). */
export type ModelRole = "champion" | "challenger";

/**
 * Throws a {@link UserError} naming the first difference when `challenger`
 * cannot stand beside `champion`.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../../lib/model/mod.ts";
 *
 * declare const championBundle: ModelBundle;
 * declare const challengerBundle: ModelBundle;
 * checkChallenger(championBundle, challengerBundle); // throws when classes or features differ
 * ```
 */
export function checkChallenger(champion: ModelBundle, challenger: ModelBundle): void {
  const refuse = (why: string) => {
    throw new UserError(`challenger refused: ${why}`, { code: "BAD_CHALLENGER" });
  };
  const a = champion.schema, b = challenger.schema;
  const classes = (s: typeof a) => [...s.classes].sort();
  if (classes(a).join("\u0000") !== classes(b).join("\u0000")) {
    refuse(
      `its classes ${list(b.classes)} differ from the champion's ${list(a.classes)}`,
    );
  }
  const kinds = new Map(a.features.map((f) => [f.name, f.kind]));
  const missing = b.features.filter((f) => !kinds.has(f.name)).map((f) => f.name);
  if (missing.length > 0) {
    refuse(`it uses features the champion does not take: ${list(missing)}`);
  }
  const theirs = new Set(b.features.map((f) => f.name));
  const lacking = a.features.filter((f) => !theirs.has(f.name)).map((f) => f.name);
  if (lacking.length > 0) refuse(`it lacks features the champion takes: ${list(lacking)}`);
  for (const f of b.features) {
    if (kinds.get(f.name) !== f.kind) {
      refuse(
        `feature ${JSON.stringify(f.name)} is ${f.kind} there, ${
          kinds.get(f.name)
        } in the champion`,
      );
    }
  }
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => JSON.stringify(n)).join(", ");
  return names.length > 5 ? `${shown} (and ${names.length - 5} more)` : shown;
}

/** Which model answers a request, and which scores it unseen. */
export interface Pick {
  answer: ServingModel;
  shadow: ServingModel | undefined;
}

/**
 * Routes requests between the champion and a loaded challenger.
 *
 * Split mode is sticky: a client (its API key's identity, else its
 * `X-Client-Id`) always meets the same model, so a user does not see answers
 * flip between two models. The choice hashes the client with the
 * challenger's name and version, the same on every instance and isolate, and
 * different for the next challenger (not always the same guinea pigs).
 * Requests with neither are drawn at random, each on its own.
 */
export class Challenger {
  readonly holder: ModelHolder;
  readonly mode: ChallengerMode;
  readonly share: number;
  #salted: { of: ServingModel; salt: number } | undefined;

  /**
   * @example
   * ```ts
   * import { ModelHolder } from "./model_holder.ts";
   * import type { ServingModel } from "./serving_model.ts";
   *
   * declare const champion: ServingModel;
   * const challenger = new Challenger(new ModelHolder(), "split", 0.1);
   * challenger.pick(champion, "key:3f2a9c1b7e5d4a60").answer; // the same model every time for this key
   * ```
   */
  constructor(holder: ModelHolder, mode: ChallengerMode, share: number) {
    this.holder = holder;
    this.mode = mode;
    this.share = share;
  }

  /** The challenger's model when it loaded, else undefined (the champion serves alone). */
  get model(): ServingModel | undefined {
    return this.holder.model;
  }

  /** Who answers (and who shadows) a request from `client` (undefined: unknown client). */
  pick(champion: ServingModel, client: string | undefined): Pick {
    const model = this.holder.model;
    if (model === undefined) return { answer: champion, shadow: undefined };
    if (this.mode === "shadow") return { answer: champion, shadow: model };
    const draw = client === undefined ? Math.random() : this.#draw(model, client);
    return { answer: draw < this.share ? model : champion, shadow: undefined };
  }

  /** A number in [0, 1) fixed by the client and the challenger's identity. */
  #draw(model: ServingModel, client: string): number {
    if (this.#salted?.of !== model) {
      this.#salted = { of: model, salt: fnv1a(`${model.name}@${model.version ?? "none"}`) };
    }
    return mix(fnv1a(client, this.#salted.salt)) / 0x1_0000_0000;
  }
}

/** FNV-1a over UTF-16 code units, 32 bits. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finalizer: FNV's high bits alone are uneven for similar strings. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
