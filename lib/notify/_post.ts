/**
 * One JSON POST with the retry policy every channel shares: a bounded
 * number of attempts, each with a timeout; retried after a connection that
 * never reached the receiver, a 429 (waiting as long as it asks, within
 * limits) or a 5xx. After a request may have arrived (a timeout, a reset),
 * it is retried only for receivers that deduplicate by the notification's
 * id; any other answer is final.
 *
 * @module
 */
import { networkReason, neverSent } from "../net.ts";
import type { Fetch } from "./types.ts";

/** How one POST is tried. */
export interface PostPolicy {
  fetch?: Fetch;
  /** Attempts in all (default 3). */
  attempts?: number;
  /** Per-attempt timeout in ms (default 10 s). */
  timeoutMs?: number;
  /** Longest wait between attempts in ms, whatever a 429 asks (default 30 s). */
  maxWaitMs?: number;
  /** The receiver drops a second copy of the same notification (the bot's endpoint). */
  idempotent?: boolean;
  /** Waits; tests pass a fast one. */
  sleep?: (ms: number) => Promise<void>;
}

/** A receiver's final answer. */
export interface PostAnswer {
  status: number;
  /** The body, parsed when it is JSON. */
  body: unknown;
  text: string;
}

/**
 * POSTs `body` as JSON to `url`; resolves with the last answer (any status),
 * or throws a one-line error when no answer came. `label` names the receiver
 * in errors (never the URL, which may carry a token).
 */
export async function postJson(
  label: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  policy: PostPolicy = {},
): Promise<PostAnswer> {
  const attempts = policy.attempts ?? 3;
  const doFetch = policy.fetch ?? fetch;
  const sleep = policy.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const maxWait = policy.maxWaitMs ?? 30_000;
  let problem = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(policy.timeoutMs ?? 10_000),
      });
    } catch (e) {
      problem = `${label}: ${networkReason(e)}`;
      if (!neverSent(e) && !policy.idempotent) {
        throw new Error(`${problem} (not retried: it may have arrived)`);
      }
      if (attempt < attempts) await sleep(backoff(attempt));
      continue;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const answer = { status: res.status, body: parsed, text };
    if (res.status !== 429 && res.status < 500) return answer;
    problem = `${label}: answered ${res.status}`;
    if (attempt < attempts) {
      const asked = retryAfterMs(res.headers.get("retry-after"), parsed);
      await sleep(Math.min(maxWait, asked ?? backoff(attempt)));
    } else return answer;
  }
  throw new Error(`${problem} after ${attempts} attempts`);
}

function backoff(attempt: number): number {
  return 500 * 2 ** (attempt - 1);
}

/** Retry-After (seconds) or Telegram's `parameters.retry_after`, in ms. */
function retryAfterMs(header: string | null, body: unknown): number | null {
  const fromBody = (body as { parameters?: { retry_after?: unknown } } | null)?.parameters
    ?.retry_after;
  const s = typeof fromBody === "number" ? fromBody : Number(header);
  return header !== null || typeof fromBody === "number"
    ? (Number.isFinite(s) && s >= 0 ? s * 1000 : null)
    : null;
}
