/**
 * Loopback stand-ins for where notifications go, strict about what they
 * accept, counting what they deliver:
 *
 * - Telegram's Bot API `sendMessage` (as documented: `/bot<token>/<method>`,
 *   JSON body, `chat_id`, `text` of 1–4096 characters after entity parsing,
 *   `parse_mode: "HTML"` with only the documented tags and entities, answers
 *   `{ok, result}` or `{ok: false, error_code, description}`);
 * - a Slack incoming webhook (JSON `text`, answers `ok`);
 * - the mlops bot's `POST /notify` (the contract in lib/notify/bot.ts:
 *   bearer token, `title`/`text`/`severity`, optional `url` and `id`; one
 *   delivery per id).
 *
 * `failNext` makes the next requests fail (a status, or a hang past the
 * sender's timeout that still delivers: a lost answer), to test retries.
 *
 * @module
 */

/** Every variable that configures a notification channel, unset (mlops reads "" as unset). */
export const NO_CHANNELS: Record<string, string> = {
  BOT_URL: "",
  ALERT_WEBHOOK_TOKEN: "",
  TELEGRAM_BOT_TOKEN: "",
  TELEGRAM_CHAT_ID: "",
  TELEGRAM_API_ROOT: "",
  SLACK_WEBHOOK_URL: "",
};

/** One delivered message, as a person would read it. */
export interface Delivered {
  kind: "telegram" | "slack" | "bot";
  /** Telegram: the text after entity parsing; Slack: the text; bot: title + text. */
  text: string;
  /** The raw JSON body. */
  body: Record<string, unknown>;
}

/** A running receiver. */
export interface Receivers extends AsyncDisposable {
  url: string;
  token: string;
  chatId: string;
  alertToken: string;
  delivered: Delivered[];
  /** Requests that arrived, delivered or not. */
  requests: number;
  /** The next `n` requests answer `status` (or, with "hang", deliver but answer too late). */
  failNext(n: number, how: number | "hang", retryAfter?: number): void;
  /** Environment that points `mlops` (lib/notify) here for `kind`. */
  env(kind: "telegram" | "slack" | "bot"): Record<string, string>;
}

const TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "code",
  "pre",
  "a",
]);
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * The text a Telegram reader sees for `html` in HTML parse mode, or throws
 * the Bot API's "can't parse entities" for what the documentation forbids:
 * an unescaped `<`, `>` or `&`, an unknown tag or entity, unbalanced tags.
 */
export function parseTelegramHtml(html: string): string {
  let out = "";
  const open: string[] = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i];
    if (c === "<") {
      const end = html.indexOf(">", i);
      if (end < 0) throw new Error("can't parse entities: unclosed start tag");
      const raw = html.slice(i + 1, end);
      const close = raw.startsWith("/");
      const name = (close ? raw.slice(1) : raw).split(/\s/)[0].toLowerCase();
      if (!TAGS.has(name)) throw new Error(`can't parse entities: unsupported start tag "${name}"`);
      if (close) {
        if (open.pop() !== name) throw new Error(`can't parse entities: unmatched end tag ${name}`);
      } else {
        if (name === "a" && !/^a\s+href="[^"<>]*"$/.test(raw)) {
          throw new Error("can't parse entities: bad <a> tag");
        }
        open.push(name);
      }
      i = end + 1;
    } else if (c === ">") {
      throw new Error("can't parse entities: unescaped >");
    } else if (c === "&") {
      const m = /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i.exec(html.slice(i, i + 12));
      if (!m) throw new Error("can't parse entities: unescaped &");
      const e = m[1];
      if (e[0] === "#") {
        out += String.fromCodePoint(
          e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)),
        );
      } else if (ENTITIES[e] !== undefined) out += ENTITIES[e];
      else throw new Error(`can't parse entities: unsupported entity &${e};`);
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  if (open.length) throw new Error(`can't parse entities: unclosed ${open.at(-1)}`);
  return out;
}

/**
 * Starts the receivers on a free loopback port.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 *
 * await using r = await startReceivers();
 * // ... run what notifies, with r.env("telegram") ...
 * assert.equal(r.delivered.length, 1);
 * ```
 */
export function startReceivers(): Promise<Receivers> {
  const token = "123456789:AAHmlops-test-token-0123456789abcdefg";
  const chatId = "-1001234567890";
  const alertToken = "alert-webhook-token-0123456789";
  const delivered: Delivered[] = [];
  const seenIds = new Set<string>();
  const failures: { how: number | "hang"; retryAfter?: number }[] = [];
  const hung: Promise<void>[] = [];
  const state = { requests: 0 };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    Response.json(body, { status, headers });
  const tgError = (code: number, description: string, extra: object = {}) =>
    json(code, { ok: false, error_code: code, description, ...extra });

  /** Applies a queued failure; returns a response to send instead, or null to go on. */
  const injected = (kind: string, ok: () => Response): Promise<Response> | Response | null => {
    const f = failures.shift();
    if (!f) return null;
    if (f.how === "hang") {
      // Delivered, but the answer comes after the sender gave up.
      const late = new Promise<Response>((r) => setTimeout(() => r(ok()), 1_500));
      hung.push(late.then(() => {}));
      return late;
    }
    if (kind === "telegram") {
      return tgError(
        f.how,
        f.how === 429
          ? `Too Many Requests: retry after ${f.retryAfter ?? 1}`
          : "Internal Server Error",
        f.how === 429 ? { parameters: { retry_after: f.retryAfter ?? 1 } } : {},
      );
    }
    return new Response(f.how === 429 ? "rate_limited" : "server error", {
      status: f.how,
      headers: f.how === 429 ? { "retry-after": String(f.retryAfter ?? 1) } : {},
    });
  };

  const handler = async (req: Request): Promise<Response> => {
    state.requests++;
    const path = new URL(req.url).pathname;
    if (req.method !== "POST") return new Response("method not allowed", { status: 405 });
    let body: Record<string, unknown>;
    try {
      body = await req.json();
    } catch {
      return path.startsWith("/bot")
        ? tgError(400, "Bad Request: invalid JSON")
        : new Response("invalid_payload", { status: 400 });
    }
    if (path.startsWith("/bot")) {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(path);
      if (!m || m[1] !== token) return tgError(401, "Unauthorized");
      if (m[2] !== "sendMessage") return tgError(404, "Not Found: method not found");
      if (!(req.headers.get("content-type") ?? "").startsWith("application/json")) {
        return tgError(400, "Bad Request: wrong content type");
      }
      if (String(body.chat_id) !== chatId) return tgError(400, "Bad Request: chat not found");
      if (body.parse_mode !== "HTML") return tgError(400, "Bad Request: expected parse_mode HTML");
      if (typeof body.text !== "string") return tgError(400, "Bad Request: message text is empty");
      let text: string;
      try {
        text = parseTelegramHtml(body.text);
      } catch (e) {
        return tgError(400, `Bad Request: ${(e as Error).message}`);
      }
      if (text.trim().length === 0) return tgError(400, "Bad Request: message text is empty");
      if (text.length > 4096) return tgError(400, "Bad Request: message is too long");
      const ok = () => {
        delivered.push({ kind: "telegram", text, body });
        return json(200, { ok: true, result: { message_id: delivered.length, text } });
      };
      return (await injected("telegram", ok)) ?? ok();
    }
    if (path === "/slack") {
      if (typeof body.text !== "string" || !body.text) {
        return new Response("invalid_payload", { status: 400 });
      }
      const ok = () => {
        delivered.push({ kind: "slack", text: body.text as string, body });
        return new Response("ok");
      };
      return (await injected("slack", ok)) ?? ok();
    }
    if (path === "/notify") {
      if (req.headers.get("authorization") !== `Bearer ${alertToken}`) {
        return json(401, { error: "unauthorized" });
      }
      const severity = body.severity;
      if (typeof body.title !== "string" || !body.title.trim() || body.title.includes("\n")) {
        return json(400, { error: "title: one non-empty line" });
      }
      if (typeof body.text !== "string") return json(400, { error: "text: a string" });
      if (severity !== "info" && severity !== "warning" && severity !== "critical") {
        return json(400, { error: "severity: info, warning or critical" });
      }
      if (body.url !== undefined && !/^https?:\/\//.test(String(body.url))) {
        return json(400, { error: "url: http(s) only" });
      }
      const ok = () => {
        const id = typeof body.id === "string" ? body.id : null;
        if (id === null || !seenIds.has(id)) {
          if (id !== null) seenIds.add(id);
          delivered.push({ kind: "bot", text: `${body.title}\n${body.text}`, body });
        }
        return json(202, { queued: true });
      };
      return (await injected("bot", ok)) ?? ok();
    }
    return new Response("not found", { status: 404 });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const receivers: Receivers = {
    url,
    token,
    chatId,
    alertToken,
    delivered,
    get requests() {
      return state.requests;
    },
    failNext(n, how, retryAfter) {
      for (let i = 0; i < n; i++) failures.push({ how, retryAfter });
    },
    env(kind): Record<string, string> {
      if (kind === "telegram") {
        return { TELEGRAM_BOT_TOKEN: token, TELEGRAM_CHAT_ID: chatId, TELEGRAM_API_ROOT: url };
      }
      if (kind === "slack") return { SLACK_WEBHOOK_URL: `${url}/slack` };
      return { BOT_URL: url, ALERT_WEBHOOK_TOKEN: alertToken };
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(hung);
      await server.shutdown();
    },
  };
  return Promise.resolve(receivers);
}
