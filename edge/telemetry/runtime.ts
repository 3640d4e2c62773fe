/**
 * Process health the model cannot see: memory and event-loop lag.
 *
 * Lag is how late a timer fires: a busy or blocked loop delays every
 * request, so it is the first sign that a batch is too big for one isolate.
 *
 * @module
 */
import { after } from "../../lib/timer.ts";

/** Memory in bytes, or null where the runtime does not report it. */
export interface MemorySnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

/**
 * Current memory use.
 *
 * @example
 * ```ts
 * memorySnapshot()?.rssBytes; // e.g. 61_440_000
 * ```
 */
export function memorySnapshot(): MemorySnapshot | null {
  try {
    const m = Deno.memoryUsage();
    return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal };
  } catch {
    return null;
  }
}

/**
 * Samples event-loop lag with a self-rescheduling timer ({@link after}, so
 * that starting it costs a cold start nothing).
 */
export class EventLoopLag implements Disposable {
  /** Bumped by every start and stop: a sample of an older run is dropped. */
  #run = 0;
  #last = 0;

  /** Lag of the most recent sample, in seconds. */
  get seconds(): number {
    return this.#last;
  }

  /**
   * Starts sampling every `intervalMs`. While it runs, the pending sample
   * keeps the process alive (a server's is anyway); dispose (or call
   * `stop`) to end it, and the process may exit one interval later.
   *
   * @example
   * ```ts
   * using lag = new EventLoopLag().start(500);
   * lag.seconds; // 0.0003
   * ```
   */
  start(intervalMs = 500): this {
    const run = ++this.#run;
    const sample = () => {
      const expected = performance.now() + intervalMs;
      after(intervalMs, () => {
        if (run !== this.#run) return;
        this.#last = Math.max(0, performance.now() - expected) / 1000;
        sample();
      });
    };
    sample();
    return this;
  }

  stop(): void {
    this.#run++;
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
