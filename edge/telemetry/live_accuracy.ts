/**
 * Accuracy over the most recent feedback: a ring of right/wrong outcomes, so
 * the number tracks the model as it is now, not as it was at start-up.
 *
 * Outcomes may carry a key (a digest of what was judged); one whose key is
 * already in the window is a replay and does not count, so one client
 * repeating the same feedback cannot move the number. Memory stays fixed:
 * keys live in the ring beside their outcomes, indexed by a set of at most
 * `window` entries.
 *
 * @module
 */

/** Accuracy of the last `window` outcomes. */
export interface AccuracySnapshot {
  window: number;
  /** Outcomes currently in the window. */
  n: number;
  correct: number;
  /** `correct / n`, or `null` before any feedback. */
  accuracy: number | null;
}

/** Fixed-size window of feedback outcomes. */
export class LiveAccuracy {
  readonly #ring: Uint8Array;
  /** Key of each outcome in the ring, NaN for none. */
  readonly #keys: Float64Array;
  /** Keys in the window (each at most once: a replay is refused). */
  readonly #inWindow = new Set<number>();
  #next = 0;
  #n = 0;
  #correct = 0;

  /**
   * @example
   * ```ts
   * const acc = new LiveAccuracy(500);
   * acc.add(true);
   * acc.add(false, 42);
   * acc.add(false, 42); // false: a replay, not counted
   * acc.snapshot().accuracy; // 0.5
   * ```
   */
  constructor(window: number) {
    if (!(window >= 1)) throw new RangeError("window must be at least 1");
    this.#ring = new Uint8Array(window);
    this.#keys = new Float64Array(window).fill(NaN);
  }

  /**
   * Records one outcome, evicting the oldest once the window is full. With a
   * `key` already in the window, records nothing and returns false.
   */
  add(correct: boolean, key?: number): boolean {
    if (key !== undefined && this.#inWindow.has(key)) return false;
    const slot = this.#next;
    if (this.#n === this.#ring.length) {
      this.#correct -= this.#ring[slot];
      this.#inWindow.delete(this.#keys[slot]);
    } else this.#n++;
    this.#ring[slot] = correct ? 1 : 0;
    this.#correct += correct ? 1 : 0;
    this.#keys[slot] = key ?? NaN;
    if (key !== undefined) this.#inWindow.add(key);
    this.#next = (slot + 1) % this.#ring.length;
    return true;
  }

  snapshot(): AccuracySnapshot {
    return {
      window: this.#ring.length,
      n: this.#n,
      correct: this.#correct,
      accuracy: this.#n > 0 ? this.#correct / this.#n : null,
    };
  }
}
