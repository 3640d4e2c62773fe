/**
 * Reads the model bundle from wherever the config points: a file, a
 * directory holding `model.mlops.json`, or a URL fetched once at start.
 *
 * @module
 */
import { UserError } from "../../lib/errors.ts";
import { redact, redactUrl } from "../../lib/redact.ts";
import { type ModelBundle, parseBundleBytes, readBundle } from "../../lib/model/mod.ts";
import { DEFAULTS, type ModelSource } from "../config.ts";
import { readCapped } from "../../lib/read_capped.ts";

/** Options for {@link loadBundle}. */
export interface LoadBundleOptions {
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Give up on `MODEL_URL` after this long. */
  timeoutMs?: number;
  /** Largest `MODEL_URL` answer, in bytes (`MAX_MODEL_BYTES`). */
  maxBytes?: number;
}

/**
 * Loads and validates a bundle. Throws {@link UserError} with a reason fit for
 * `/readyz` on a missing, unreachable, corrupt, oversized or incompatible
 * bundle.
 *
 * A download is capped at `maxBytes` twice over: a declared `Content-Length`
 * past the cap fails before reading, and the bytes are counted as they
 * arrive, for a server that sends no length, streams chunks without end, or
 * sends more than it said. Memory follows what arrived, never what was
 * declared.
 *
 * @example
 * ```ts
 * const bundle = await loadBundle({ kind: "path", path: "edge/model/" });
 * ```
 */
export async function loadBundle(
  source: ModelSource,
  options: LoadBundleOptions = {},
): Promise<ModelBundle> {
  if (source.kind === "path") {
    try {
      return await readBundle(source.path);
    } catch (e) {
      throw asUserError(e, `cannot read model bundle at ${source.path}`);
    }
  }
  const where = redactUrl(source.url);
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? DEFAULTS.maxModelBytes;
  const tooLarge = (what: string) =>
    new UserError(
      `MODEL_URL ${where} ${what} MAX_MODEL_BYTES (${maxBytes} bytes); ` +
        "raise MAX_MODEL_BYTES if the bundle really is that large",
      { code: "MODEL_TOO_LARGE" },
    );
  let bytes: Uint8Array;
  try {
    const res = await doFetch(source.url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new UserError(`MODEL_URL ${where} answered ${res.status} ${res.statusText}`.trim(), {
        code: "MODEL_FETCH",
      });
    }
    const declared = res.headers.get("content-length");
    if (declared !== null && Number(declared) > maxBytes) {
      await res.body?.cancel();
      throw tooLarge(`declares ${declared} bytes, over`);
    }
    bytes = res.body === null ? new Uint8Array(0) : await readCapped(res.body, {
      maxBytes,
      tooLarge: () => tooLarge("sent more than"),
    });
  } catch (e) {
    throw asUserError(e, `cannot fetch MODEL_URL ${where}`);
  }
  try {
    return await parseBundleBytes(bytes, where);
  } catch (e) {
    throw asUserError(e, `MODEL_URL ${where} is not a valid bundle`);
  }
}

/** The edge's form of `MODEL_URL` in `/readyz` and logs (see lib/redact.ts). */
export { redactUrl } from "../../lib/redact.ts";

function asUserError(e: unknown, context: string): UserError {
  if (e instanceof UserError) return e;
  const detail = redact(e instanceof Error ? e.message : String(e));
  return new UserError(`${context}: ${detail}`, { code: "MODEL_LOAD", cause: e });
}
