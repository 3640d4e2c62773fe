/**
 * What a failed `fetch` tells a caller that wants to retry: whether the
 * request ever left (only then can a retry duplicate what it asked for), and
 * the most specific reason, for a one-line message. Shared by the MLflow
 * client and the notifiers.
 *
 * @module
 */

/**
 * True when a fetch failure happened before the request left (no connection,
 * no such host): only then is retrying a request that creates something safe.
 *
 * @example
 * ```ts
 * import { neverSent } from "./net.ts";
 *
 * neverSent(new TypeError("error sending request: client error (Connect): tcp connect error")); // true
 * ```
 */
export function neverSent(e: unknown): boolean {
  const text = e instanceof Error
    ? `${e.message} ${e.cause instanceof Error ? e.cause.message : ""}`
    : String(e);
  return /client error \(Connect\)|tcp connect error|dns error|connection refused/i.test(text);
}

/**
 * The most specific reason of a fetch failure ("Connection refused", a timeout, ...).
 *
 * @example
 * ```ts
 * import { networkReason } from "./net.ts";
 *
 * networkReason(new DOMException("signal timed out", "TimeoutError")); // "timed out"
 * ```
 */
export function networkReason(e: unknown): string {
  if (e instanceof DOMException && e.name === "TimeoutError") return "timed out";
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : null;
  const msg = cause ?? (e instanceof Error ? e.message : String(e));
  // "error sending request for url (...): client error (Connect): tcp connect error: X" → X
  return msg.split(": ").pop() || msg;
}
