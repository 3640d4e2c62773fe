/**
 * Calls to HTTP backends (Prometheus, Alertmanager, the edge) from the bot
 * and the CLI, bounded in time and size, with every failure turned into one
 * line that names the backend and what went wrong — which is what the chat
 * and the terminal show instead of silence or a stack trace.
 *
 * @module
 */
import { readCapped } from "./read_capped.ts";
import { redactUri } from "./redact.ts";

/** A backend that is not configured, unreachable, or answered an error. */
export class BackendError extends Error {
  override name = "BackendError";
  constructor(readonly backend: string, message: string) {
    super(message);
  }
}

/** Most bytes of an answer read: a hostile or broken backend cannot exhaust memory. */
export const BACKEND_MAX_BYTES = 16 << 20;

/** Default time a backend gets to answer. */
export const BACKEND_TIMEOUT_MS = 4000;

/**
 * JSON from `url`, or a {@link BackendError}.
 *
 * @example
 * ```ts
 * const body = await fetchJson("Prometheus", "http://127.0.0.1:9090/api/v1/query?query=up");
 * ```
 */
export async function fetchJson<T>(
  backend: string,
  url: string,
  init: RequestInit = {},
  timeoutMs = BACKEND_TIMEOUT_MS,
): Promise<T> {
  const text = await fetchOk(backend, url, init, timeoutMs);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BackendError(backend, `${backend} answered something that is not JSON`);
  }
}

/** The body of a 2xx answer from `url`, or a {@link BackendError}. */
export async function fetchOk(
  backend: string,
  url: string,
  init: RequestInit = {},
  timeoutMs = BACKEND_TIMEOUT_MS,
): Promise<string> {
  const where = `${backend} at ${redactUri(new URL(url).origin)}`;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const text = `${e} ${(e as { cause?: unknown }).cause ?? ""}`;
    const why = e instanceof DOMException && e.name === "TimeoutError"
      ? `no answer within ${timeoutMs / 1000} s`
      : /refused/i.test(text)
      ? "connection refused"
      : /dns|lookup|resolve/i.test(text)
      ? "host name not found"
      : /reset|closed/i.test(text)
      ? "connection reset"
      : "unreachable";
    throw new BackendError(backend, `${where} is down: ${why}`);
  }
  const text = await readCapped(res.body ?? new Blob().stream(), {
    maxBytes: BACKEND_MAX_BYTES,
    tooLarge: () =>
      new BackendError(backend, `${where} answered more than ${BACKEND_MAX_BYTES >> 20} MiB`),
  }).then((b) => new TextDecoder().decode(b), (e) => {
    if (e instanceof BackendError) throw e;
    return "";
  });
  if (!res.ok) {
    let detail = "";
    try {
      const j = JSON.parse(text);
      detail = j.error ?? j.message ?? j.error_code ?? "";
    } catch {
      detail = text.slice(0, 120);
    }
    throw new BackendError(
      backend,
      `${where} answered ${res.status}${detail ? `: ${String(detail).slice(0, 200)}` : ""}`,
    );
  }
  return text;
}

/** A backend that is needed but has no URL configured. */
export function notConfigured(backend: string, variable: string): BackendError {
  return new BackendError(backend, `${backend} is not configured (set ${variable})`);
}
