/**
 * A one-shot timer for code on a server's start-up path.
 *
 * In Deno 2.9 the first use of the global `setTimeout` or `setInterval`
 * loads Node's timers module and its dependencies (async hooks, errors,
 * `util.inspect`): about 14 ms of a cold start, spent before the first
 * request could be answered. `AbortSignal.timeout` runs on the runtime's own
 * timers and costs under a millisecond the first time, so a server that
 * times its work with {@link after} answers sooner.
 *
 * @module
 */

/**
 * Runs `fn` once, `ms` milliseconds from now (at the earliest).
 *
 * Unlike `setTimeout`, the timer cannot be cancelled or unref'd: it keeps
 * the process alive until it fires. Callers that stop early ignore the late
 * call (see `EventLoopLag` and `Deadlines`).
 *
 * @example
 * ```ts
 * import { after } from "./timer.ts";
 *
 * let done = false;
 * after(10, () => (done = true));
 * ```
 */
export function after(ms: number, fn: () => void): void {
  AbortSignal.timeout(Math.max(0, Math.round(ms))).onabort = fn;
}
