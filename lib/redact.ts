/**
 * One redaction helper for everything that prints, logs, tags or serves text:
 * the CLI, the edge and the bot. A secret is anything that grants access —
 * URI userinfo, the values of the secret environment variables, bearer
 * tokens and Telegram bot tokens — and becomes `***` wherever it appears.
 *
 * Redaction is by value as well as by shape: a password that was read from
 * `MLFLOW_TRACKING_PASSWORD` is replaced even where no URI surrounds it (an
 * error message a server echoed, a stack trace). Credentials that come from
 * elsewhere (a URI typed on the command line) are made known with
 * {@link registerSecrets} by whoever takes them, together with the exact
 * form they are sent in (the base64 of `user:password`).
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
// `Authorization: Bearer xyz` / `Basic xyz` as printed in a header dump. Case-sensitive:
// "basic authentication" in prose is not a credential.
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
// An authorization header or field in any case (`authorization: basic xyz`,
// `"authorization":"Bearer xyz"`): its value, scheme kept.
const AUTH_FIELD =
  /\b(authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi;
// Query parameters that carry credentials.
const SECRET_QUERY =
  /([?&](?:token|access_token|api_key|apikey|key|password|secret|sig|signature)=)[^&#\s]+/gi;

/** Secrets made known by {@link registerSecrets}, for the life of the process. */
const registered = new Set<string>();

/**
 * Makes `values` secrets for every later {@link redact} in this process:
 * credentials that did not come from the environment (a tracking URI given
 * with `--tracking-uri https://user:password@host`) and the forms they are
 * sent in (the base64 of `user:password` in a Basic header), so a server
 * that echoes them back cannot get them printed. Values shorter than 4
 * characters are ignored, as in {@link knownSecrets}.
 *
 * @example
 * ```ts
 * import { redact, registerSecrets } from "./redact.ts";
 *
 * registerSecrets("PwUri-77aa");
 * redact("server said pw=PwUri-77aa"); // "server said pw=***"
 * ```
 */
export function registerSecrets(...values: string[]): void {
  for (const v of values) if (v.length >= 4) registered.add(v);
}

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
 * basic credentials, authorization headers, credential query parameters,
 * each value of `secrets` (default: {@link knownSecrets} of this process'
 * environment) and each value made known by {@link registerSecrets}.
 */
export function redact(text: string, secrets: readonly string[] = knownSecrets()): string {
  let out = redactUri(text)
    .replace(BOT_TOKEN, (_m, bot: string | undefined) => `${bot ?? ""}${REDACTED}`)
    .replace(
      AUTH_FIELD,
      (_m, field: string, scheme: string | undefined) =>
        `${field}${scheme ? `${scheme} ` : ""}${REDACTED}`,
    )
    .replace(AUTH_HEADER, `$1 ${REDACTED}`);
  // Longest first: a secret that contains another must not be left half-replaced.
  const all = [...new Set([...secrets, ...registered])].sort((a, b) => b.length - a.length);
  for (const s of all) if (s && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
