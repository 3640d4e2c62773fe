/**
 * The recent predictions, remembered so feedback can say "that prediction
 * was right (or wrong)": each id's predicted label, and which client (API
 * key) asked for it.
 *
 * A map in insertion order holds the last `capacity` ids; the oldest are
 * forgotten first. Feedback must reach the instance (Deploy isolate) that
 * made the prediction. Ids themselves come from `prediction_id.ts`.
 *
 * @module
 */
import { isPredictionId, newPredictionId } from "./prediction_id.ts";

/** What feedback finds for an id. */
export type Recall =
  | { found: true; label: string }
  | { found: false; reason: "unknown" | "already_recorded" | "other_client" };

interface Entry {
  /** `null` once feedback used it. */
  label: string | null;
  /** Identity of the API key that asked, or undefined without keys. */
  readonly client: string | undefined;
}

const UNKNOWN: Recall = { found: false, reason: "unknown" };
const ALREADY_RECORDED: Recall = { found: false, reason: "already_recorded" };
const OTHER_CLIENT: Recall = { found: false, reason: "other_client" };

/** Issues ids and remembers each one's predicted label and client. */
export class PredictionLog {
  readonly #capacity: number;
  readonly #entries = new Map<string, Entry>();

  /**
   * @example
   * ```ts
   * const log = new PredictionLog(10_000);
   * const [id] = log.record(["Yes"], "key:3f2a");
   * log.recall(id, "key:3f2a"); // { found: true, label: "Yes" }
   * ```
   */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Assigns one id per label, remembered as `client`'s. */
  record(labels: readonly string[], client?: string): string[] {
    const ids = new Array<string>(labels.length);
    const entries = this.#entries;
    for (let i = 0; i < labels.length; i++) {
      const id = ids[i] = newPredictionId();
      if (this.#capacity === 0) continue;
      entries.set(id, { label: labels[i], client });
      if (entries.size > this.#capacity) entries.delete(entries.keys().next().value!);
    }
    return ids;
  }

  /**
   * Looks `id` up for `client` and marks it used, so one prediction counts
   * once. Another client's id is refused without using it up.
   */
  recall(id: string, client?: string): Recall {
    if (!isPredictionId(id)) return UNKNOWN;
    const entry = this.#entries.get(id);
    if (entry === undefined) return UNKNOWN;
    if (entry.client !== client) return OTHER_CLIENT;
    const label = entry.label;
    if (label === null) return ALREADY_RECORDED;
    entry.label = null;
    return { found: true, label };
  }

  /** Ids currently remembered. */
  get size(): number {
    return this.#entries.size;
  }
}
