/**
 * Telegram's flood limits, kept before they are hit: at most one message per
 * `chatIntervalMs` to a private chat, one per `groupIntervalMs` to a group
 * (negative chat id; Telegram allows about 20 a minute), and `globalRate`
 * per second over all chats. A 429 pushes the chat back by its
 * `retry_after`.
 *
 * @module
 */

/** Pacing settings. */
export interface PacerOptions {
  chatIntervalMs: number;
  groupIntervalMs: number;
  globalRate: number;
  now?: () => number;
}

/** Decides when each chat may be sent to next. */
export class Pacer {
  readonly #next = new Map<number, number>();
  readonly #recent: number[] = []; // send times within the last second
  readonly #now: () => number;
  constructor(readonly options: PacerOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Least time between two sends to `chat`. */
  interval(chat: number): number {
    return chat < 0 ? this.options.groupIntervalMs : this.options.chatIntervalMs;
  }

  /** Milliseconds until `chat` may be sent to (0: now). */
  wait(chat: number): number {
    const now = this.#now();
    while (this.#recent.length > 0 && this.#recent[0] <= now - 1000) this.#recent.shift();
    const chatWait = Math.max(0, (this.#next.get(chat) ?? 0) - now);
    const globalWait = this.#recent.length >= this.options.globalRate
      ? this.#recent[this.#recent.length - this.options.globalRate] + 1000 - now
      : 0;
    return Math.max(chatWait, globalWait);
  }

  /** Records a send to `chat` now. */
  take(chat: number): void {
    const now = this.#now();
    this.#recent.push(now);
    this.#next.set(chat, Math.max(this.#next.get(chat) ?? 0, now + this.interval(chat)));
  }

  /**
   * Restarts `chat`'s interval when a call completes: Telegram counts from
   * when a request arrives, which is after we sent it, so counting from
   * our own send time could land two requests closer than the interval.
   */
  settle(chat: number): void {
    const now = this.#now();
    this.#next.set(chat, Math.max(this.#next.get(chat) ?? 0, now + this.interval(chat)));
  }

  /** Holds `chat` back for `ms` (Telegram's `retry_after`). */
  delay(chat: number, ms: number): void {
    const now = this.#now();
    this.#next.set(chat, Math.max(this.#next.get(chat) ?? 0, now + ms));
  }
}
