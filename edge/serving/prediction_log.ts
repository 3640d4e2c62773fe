/**
 * The recent predictions, remembered so feedback can say "that prediction
 * was right (or wrong)": each id's predicted label, its random token, which
 * client (API key) asked for it, and when (so the label's lag is known).
 *
 * A ring of fixed size holds the last `capacity` predictions; the slot is
 * the id's sequence number modulo the capacity (see `prediction_id.ts`), so
 * recording and recalling are O(1) with no hashing, and memory is fixed:
 * labels and clients are shared strings, tokens bytes in one typed array.
 * The oldest are forgotten first. Feedback must reach the instance (Deploy
 * isolate) that made the prediction.
 *
 * @module
 */
import { newPredictionId, parsePredictionId, TOKEN_BYTES } from "./prediction_id.ts";
import type { ServingModel } from "./serving_model.ts";

/** One model's answer for a prediction. */
export interface Answer {
  model: ServingModel;
  label: string;
}

/** One model's answers for a batch, in instance order. */
export interface BatchAnswers {
  model: ServingModel;
  labels: readonly string[];
}

/** What feedback finds for an id. */
export type Recall =
  | {
    found: true;
    /** The label the client got (`answers[0].label`). */
    label: string;
    /** The client's answer first, then a shadow challenger's. */
    answers: Answer[];
    /** When the prediction was made, epoch ms. */
    at: number;
  }
  | { found: false; reason: "unknown" | "already_recorded" | "other_client" };

const UNKNOWN: Recall = { found: false, reason: "unknown" };
const ALREADY_RECORDED: Recall = { found: false, reason: "already_recorded" };
const OTHER_CLIENT: Recall = { found: false, reason: "other_client" };

/** Issues ids and remembers each one's predicted label and client. */
export class PredictionLog {
  readonly #capacity: number;
  #next = 0;
  /** Label of sequence `s` at `s % capacity`; `null` once feedback used it. */
  readonly #labels: (string | null)[];
  /** The model that gave that label. */
  readonly #models: (ServingModel | undefined)[];
  /** A shadow challenger's answer beside it, when one scored the prediction. */
  readonly #shadow: (Answer | undefined)[];
  /** Identity of the API key that asked, or undefined without keys. */
  readonly #clients: (string | undefined)[];
  readonly #tokens: Uint8Array;
  /** When each was made, epoch milliseconds. */
  readonly #times: Float64Array;
  readonly #now: () => number;
  /** The token of the id being recalled. */
  readonly #presented = new Uint8Array(TOKEN_BYTES);

  /**
   * @example
   * ```ts
   * const log = new PredictionLog(10_000);
   * const [id] = log.record({ model, labels: ["Yes"] }, "key:3f2a");
   * log.recall(id, "key:3f2a"); // { found: true, label: "Yes", answers: [{ model, label: "Yes" }], at: 1767225600000 }
   * ```
   */
  constructor(capacity: number, now: () => number = Date.now) {
    this.#capacity = capacity;
    this.#now = now;
    this.#times = new Float64Array(capacity);
    this.#labels = new Array(capacity).fill(null);
    this.#models = new Array(capacity).fill(undefined);
    this.#shadow = new Array(capacity).fill(undefined);
    this.#clients = new Array(capacity).fill(undefined);
    // With no memory, tokens still need somewhere to go.
    this.#tokens = new Uint8Array(Math.max(1, capacity) * TOKEN_BYTES);
  }

  /**
   * Assigns one id per answer of `answered` (what the client gets),
   * remembered as `client`'s, with a shadow challenger's answers beside them.
   */
  record(answered: BatchAnswers, client?: string, shadow?: BatchAnswers): string[] {
    const labels = answered.labels;
    const ids = new Array<string>(labels.length);
    const capacity = this.#capacity;
    const at = labels.length > 0 && capacity > 0 ? this.#now() : 0;
    for (let i = 0; i < labels.length; i++) {
      const seq = this.#next++;
      const slot = capacity > 0 ? seq % capacity : 0;
      ids[i] = newPredictionId(seq, this.#tokens, slot * TOKEN_BYTES);
      if (capacity === 0) continue;
      this.#labels[slot] = labels[i];
      this.#models[slot] = answered.model;
      this.#shadow[slot] = shadow && { model: shadow.model, label: shadow.labels[i] };
      this.#clients[slot] = client;
      this.#times[slot] = at;
    }
    return ids;
  }

  /**
   * Looks `id` up for `client` and marks it used, so one prediction counts
   * once. Another client's id is refused without using it up.
   */
  recall(id: string, client?: string): Recall {
    const seq = parsePredictionId(id, this.#presented);
    if (seq < 0 || seq >= this.#next || seq < this.#next - this.#capacity) return UNKNOWN;
    const slot = seq % this.#capacity;
    const tokens = this.#tokens, presented = this.#presented, at = slot * TOKEN_BYTES;
    let diff = 0;
    for (let i = 0; i < TOKEN_BYTES; i++) diff |= tokens[at + i] ^ presented[i];
    if (diff !== 0) return UNKNOWN;
    if (this.#clients[slot] !== client) return OTHER_CLIENT;
    const label = this.#labels[slot];
    if (label === null) return ALREADY_RECORDED;
    this.#labels[slot] = null;
    const answers: Answer[] = [{ model: this.#models[slot]!, label }];
    const shadow = this.#shadow[slot];
    if (shadow !== undefined) answers.push(shadow);
    return { found: true, label, answers, at: this.#times[slot] };
  }

  /** Ids currently remembered. */
  get size(): number {
    return Math.min(this.#next, this.#capacity);
  }
}
