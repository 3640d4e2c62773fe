/**
 * Deadlines for work that may never finish, such as reading the body of a
 * client that stopped sending.
 *
 * One coarse timer serves every pending deadline instead of a timer per
 * request: `setTimeout` plus `clearTimeout` cost about 2.5 µs in Deno, a
 * tenth of the CPU a prediction takes, and even reading the clock costs
 * 0.2 µs. Here the timer counts ticks and each piece of work notes the tick
 * it is due at, so tracking one costs a set insertion and deletion. The
 * price is precision: a deadline fires up to one tick (a quarter of its
 * length, at most a second) late, never early.
 *
 * @module
 */
import { after } from "../../lib/timer.ts";

interface Pending {
  readonly due: number;
  readonly expire: () => void;
}

/** Settles work within a fixed time, or runs its expiry. */
export class Deadlines {
  readonly #ms: number;
  readonly #tickMs: number;
  /** Ticks from now until a deadline has surely passed. */
  readonly #ticks: number;
  /** In insertion order, which is also deadline order: every entry waits as long. */
  readonly #pending = new Set<Pending>();
  #ticking = false;
  /** Ticks so far; it only advances while work is pending. */
  #now = 0;

  /**
   * @example
   * ```ts
   * declare const request: Request;
   * const deadlines = new Deadlines(10_000);
   * const body = await deadlines.within(request.json(), () => new Error("too slow"));
   * ```
   */
  constructor(ms: number) {
    if (!(ms > 0)) throw new RangeError("a deadline must be positive");
    this.#ms = ms;
    this.#tickMs = Math.min(1000, Math.max(10, Math.floor(ms / 4)));
    // Work added just before a tick has waited almost nothing at it: one more.
    this.#ticks = Math.ceil(ms / this.#tickMs) + 1;
  }

  /** The time work is given, in milliseconds. */
  get ms(): number {
    return this.#ms;
  }

  /**
   * Resolves or rejects as `work` does, unless the deadline passes first: then
   * `expire` runs (to cancel what it can) and the promise rejects with what it
   * returns. A late settlement of `work` is ignored, so it never goes unhandled.
   */
  within<T>(work: Promise<T>, expire: () => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { due: this.#now + this.#ticks, expire: () => reject(expire()) };
      this.#pending.add(entry);
      if (!this.#ticking) this.#schedule();
      work.then((value) => {
        this.#pending.delete(entry);
        resolve(value);
      }, (error) => {
        this.#pending.delete(entry);
        reject(error);
      });
    });
  }

  /** Work still waiting. */
  get size(): number {
    return this.#pending.size;
  }

  #tick(): void {
    const now = ++this.#now;
    for (const entry of this.#pending) {
      if (entry.due > now) break;
      this.#pending.delete(entry);
      entry.expire();
    }
    // Ticks only while work is pending.
    if (this.#pending.size === 0) this.#ticking = false;
    else this.#schedule();
  }

  /** The next tick, by {@link after}: the first request pays no timer set-up. */
  #schedule(): void {
    this.#ticking = true;
    after(this.#tickMs, () => this.#tick());
  }
}
