/**
 * One redaction helper for everything that prints, logs, tags or serves text:
 * the CLI, the edge and the bot. A secret is anything that grants access —
 * URI userinfo, the values of the secret environment variables, bearer
 * tokens and Telegram bot tokens — and becomes `***` wherever it appears.
 *
 * Redaction is by value as well as by shape: a password that was read from
 * `MLFLOW_TRACKING_PASSWORD` is replaced even where no URI surrounds it (an
 * error message a server echoed, a stack trace).
 *
 * @example
 * ```ts
 * import { redact, redactUri } from "./redact.ts";
 *
 * redactUri("https://ada:s3cret@mlflow.example.com/"); // "https://ada:***@mlflow.example.com/"
 * redact("token 123456:AAE-example-token-value-that-is-long failed"); // "token *** failed"
 * ```
 *
 * @module
 */

/** What secrets are replaced with. */
export const REDACTED = "***";

/**
 * Environment variables whose values are secrets. Their values are redacted
 * wherever they appear, whatever surrounds them.
 */
export const SECRET_ENV = [
  "MLFLOW_TRACKING_PASSWORD",
  "MLFLOW_TRACKING_TOKEN",
  "MLFLOW_TRACKING_URI", // only its userinfo is secret; see knownSecrets
  "API_KEYS",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "ALERT_WEBHOOK_TOKEN",
  "EDGE_API_KEY",
  "FEEDBACK_SECRET",
  "SLACK_WEBHOOK_URL",
  "DENO_DEPLOY_TOKEN",
  "MODEL_URL", // only its userinfo and query are secret
] as const;

// scheme://user:password@ or scheme://token@ — the userinfo of a URI.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(?::([^\s/@]*))?@/gi;
// A Telegram bot token (`<bot id>:<35 chars>`), bare or in a Bot API URL path.
const BOT_TOKEN = /\b(bot)?\d{5,}:[A-Za-z0-9_-]{30,}/g;
// `Authorization: Bearer xyz` / `Basic xyz` as printed in a header dump.
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
// Query parameters that carry credentials.
const SECRET_QUERY =
  /([?&](?:token|access_token|api_key|apikey|key|password|secret|sig|signature)=)[^&#\s]+/gi;

/**
 * The secret values in `env` (defaults to this process' environment): each
 * secret variable's value, the parts of `API_KEYS`, and the userinfo of the
 * URIs. Values shorter than 4 characters are left out: replacing every "a"
 * would make output unreadable and protects nothing.
 */
export function knownSecrets(
  get: (name: string) => string | undefined = safeEnv,
): string[] {
  const out = new Set<string>();
  for (const name of SECRET_ENV) {
    const v = get(name);
    if (!v) continue;
    if (name === "MLFLOW_TRACKING_URI" || name === "MODEL_URL") {
      for (const m of v.matchAll(USERINFO)) {
        if (m[3]) out.add(m[3]);
        else out.add(m[2]);
      }
      continue;
    }
    out.add(v);
    if (name === "API_KEYS") { for (const k of v.split(",")) out.add(k.trim()); }
  }
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * A URI with its password (or a lone token in the user part) replaced by
 * `***` and credential query parameters blanked. Anything that does not look
 * like a URI comes back unchanged.
 */
export function redactUri(uri: string): string {
  return uri
    .replace(
      USERINFO,
      (_m, scheme: string, user: string, pass: string | undefined) =>
        pass === undefined ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
    )
    .replace(SECRET_QUERY, `$1${REDACTED}`);
}

/**
 * A URI without its userinfo and with credential query parameters blanked:
 * the form to store (a tag) or suggest in a command, where credentials must
 * come from the environment or be typed again.
 *
 * @example
 * ```ts
 * import { stripCredentials } from "./redact.ts";
 *
 * stripCredentials("https://ada:s3cret@mlflow.example.com/"); // "https://mlflow.example.com/"
 * ```
 */
export function stripCredentials(uri: string): string {
  return uri.replace(USERINFO, "$1").replace(SECRET_QUERY, `$1${REDACTED}`);
}

/**
 * A URL cut down to scheme, host and path, with `?…` for any query: for URLs
 * whose query may be signed (`MODEL_URL` on a bucket), where any parameter
 * can be a credential.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 *
 * redactUrl("https://u:pw@host/m.json?sig=abc"); // "https://host/m.json?…"
 * ```
 */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "<invalid url>";
  }
}

/**
 * `text` with every secret replaced: URI userinfo, bot tokens, bearer and
 * basic credentials, credential query parameters, and each value of
 * `secrets` (default: {@link knownSecrets} of this process' environment).
 */
export function redact(text: string, secrets: readonly string[] = knownSecrets()): string {
  let out = redactUri(text)
    .replace(BOT_TOKEN, (_m, bot: string | undefined) => `${bot ?? ""}${REDACTED}`)
    .replace(AUTH_HEADER, `$1 ${REDACTED}`);
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
