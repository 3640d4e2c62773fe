/**
 * A Telegram Bot API server on loopback, strict the way Telegram is, written
 * from the published Bot API documentation (core.telegram.org/bots/api), not
 * from the bot's code:
 *
 * - `https://<root>/bot<token>/<method>`; wrong token → 401 `Unauthorized`,
 *   unknown method → 404 `Not Found`; parameters as query string, JSON,
 *   urlencoded or multipart form; every answer `{ok, result}` or
 *   `{ok: false, error_code, description, parameters?}`;
 * - `sendMessage` / `editMessageText`: text 1-4096 characters after entity
 *   parsing, `parse_mode=HTML` parsed strictly (see `telegram_html.ts`),
 *   inline keyboards with `callback_data` of 1-64 bytes, `reply_parameters`,
 *   "message is not modified", "message to edit not found", "message can't
 *   be edited" (after `editableForMs`);
 * - flood control: per chat (one message per `chatIntervalMs`), per group
 *   (`groupPerMinute` in `groupWindowMs`), overall (`globalPerSecond`); over
 *   it → 429 `Too Many Requests: retry after N` with `parameters.retry_after`;
 * - `getUpdates` long polling with offsets (409 while a webhook is set, 409
 *   for a poll replaced by a newer one), `setWebhook` with `secret_token`
 *   (HTTPS only unless `allowHttpWebhook`), pushing updates to it;
 * - `answerCallbackQuery` for known, unanswered, recent queries only;
 * - `setMyCommands` validation.
 *
 * Test controls: simulated users sending messages and pressing buttons,
 * `failNext(n, code)` (5xx), `stop()` / `start()` that really close and
 * reopen the port, per-request latency, a request log, and `waitFor`.
 *
 * @module
 */
import { type Entity, EntityParseError, parseHtml } from "./telegram_html.ts";

/** A user of the emulated Telegram. */
export interface User {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

/** A chat. */
export interface Chat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
  first_name?: string;
}

/** An inline keyboard button (the kinds the emulator checks). */
export interface Button {
  text: string;
  callback_data?: string;
  url?: string;
}

/** A message as stored (and returned). */
export interface Message {
  message_id: number;
  from: User;
  chat: Chat;
  date: number;
  text: string;
  entities?: Entity[];
  reply_markup?: { inline_keyboard: Button[][] };
  reply_to_message?: Message;
  edit_date?: number;
  /** Emulator bookkeeping: every text this message had, oldest first. */
  history?: string[];
  /** Emulator bookkeeping: `parse_mode` of the latest text. */
  parse_mode?: string;
  /** Emulator bookkeeping: creation time in ms. */
  sent_ms?: number;
}

/** Options. */
export interface EmulatorOptions {
  token: string;
  /** The bot's own user (getMe). */
  bot?: Partial<User>;
  chatIntervalMs?: number;
  groupPerMinute?: number;
  groupWindowMs?: number;
  globalPerSecond?: number;
  /** Messages older than this cannot be edited (default: never too old). */
  editableForMs?: number;
  /** Callback queries older than this cannot be answered (default 15 s). */
  callbackTimeoutMs?: number;
  /** Delay before answering each request. */
  latencyMs?: number;
  allowHttpWebhook?: boolean;
}

/** One request as the emulator saw it. */
export interface LoggedRequest {
  method: string;
  params: Record<string, unknown>;
  status: number;
  at: number;
}

class ApiFailure extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

const bad = (d: string) => new ApiFailure(400, `Bad Request: ${d}`);

type Update = { update_id: number } & Record<string, unknown>;

/** The emulator. */
export class TelegramEmulator {
  readonly o: Required<Omit<EmulatorOptions, "bot" | "editableForMs">> & {
    editableForMs: number;
  };
  readonly botUser: User;
  readonly chats = new Map<number, Chat>();
  readonly messages = new Map<number, Message[]>();
  readonly blocked = new Set<number>();
  readonly requests: LoggedRequest[] = [];
  readonly answers: { id: string; text?: string; show_alert?: boolean }[] = [];
  commands: { command: string; description: string }[] = [];
  webhook: { url: string; secret_token?: string } | null = null;

  #server: Deno.HttpServer | null = null;
  #port = 0;
  #nextMessageId = new Map<number, number>();
  #updates: Update[] = [];
  #nextUpdateId = 1;
  #pollWaiters: (() => void)[] = [];
  #activePoll: AbortController | null = null;
  #queries = new Map<string, { at: number; answered: boolean; from: User }>();
  #sends = new Map<number, number[]>();
  #global: number[] = [];
  #fail: { n: number; code: number; description: string } = { n: 0, code: 500, description: "" };
  #pushing = false;
  #refuseEntities = 0;

  constructor(options: EmulatorOptions) {
    this.o = {
      token: options.token,
      chatIntervalMs: options.chatIntervalMs ?? 1000,
      groupPerMinute: options.groupPerMinute ?? 20,
      groupWindowMs: options.groupWindowMs ?? 60_000,
      globalPerSecond: options.globalPerSecond ?? 30,
      editableForMs: options.editableForMs ?? Infinity,
      callbackTimeoutMs: options.callbackTimeoutMs ?? 15_000,
      latencyMs: options.latencyMs ?? 0,
      allowHttpWebhook: options.allowHttpWebhook ?? false,
    };
    this.botUser = {
      id: Number(options.token.split(":")[0]),
      is_bot: true,
      first_name: "mlops",
      username: "mlops_test_bot",
      ...options.bot,
    };
  }

  /** The API root to give the bot (`TELEGRAM_API_ROOT`). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Whether the server is listening. */
  get up(): boolean {
    return this.#server !== null;
  }

  /** Listens (again) on its port (a free one the first time). */
  start(): Promise<void> {
    const ready = Promise.withResolvers<void>();
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: this.#port,
      onListen: ({ port }) => {
        this.#port = port;
        ready.resolve();
      },
    }, (req) => this.#handle(req));
    return ready.promise;
  }

  /** Stops listening: connections are refused until `start()`. */
  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    for (const w of this.#pollWaiters.splice(0)) w();
    if (s) await s.shutdown();
  }

  /** Registers a chat the bot may write to. */
  addChat(id: number, title?: string): Chat {
    const chat: Chat = id > 0 ? { id, type: "private", first_name: title ?? `user${id}` } : {
      id,
      type: id < -1_000_000_000_000 ? "supergroup" : "group",
      title: title ?? `group${id}`,
    };
    this.chats.set(id, chat);
    if (!this.messages.has(id)) this.messages.set(id, []);
    return chat;
  }

  /** The next `n` requests answer `code` (5xx) before doing anything. */
  failNext(n: number, code = 500, description = "Internal Server Error"): void {
    this.#fail = { n, code, description };
  }

  /**
   * The next `n` formatted messages are refused with "can't parse entities"
   * (Telegram does this for markup it cannot handle, e.g. too many entities).
   */
  refuseEntitiesNext(n: number): void {
    this.#refuseEntities = n;
  }

  /** Messages the bot sent to `chat`, oldest first. */
  sent(chat: number): Message[] {
    return (this.messages.get(chat) ?? []).filter((m) => m.from.id === this.botUser.id);
  }

  /** Requests of one method. */
  calls(method: string): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** A user writes `text` in `chat`; commands get a bot_command entity. */
  userSends(chat: number, from: Partial<User> & { id: number }, text: string): Message {
    const c = this.chats.get(chat) ?? this.addChat(chat);
    const user: User = { is_bot: false, first_name: `user${from.id}`, ...from };
    const m = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
    const msg: Message = {
      message_id: this.#messageId(chat),
      from: user,
      chat: c,
      date: Math.floor(Date.now() / 1000),
      text,
      ...(m ? { entities: [{ type: "bot_command", offset: 0, length: m[0].length }] } : {}),
      sent_ms: Date.now(),
    };
    this.messages.get(chat)!.push(msg);
    this.#enqueue({ message: msg });
    return msg;
  }

  /** A user presses an inline button; returns the callback query id. */
  userPresses(
    chat: number,
    messageId: number,
    data: string,
    from: Partial<User> & { id: number },
  ): string {
    const message = this.messages.get(chat)?.find((m) => m.message_id === messageId);
    if (!message) throw new Error(`no message ${messageId} in chat ${chat}`);
    const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
    if (!buttons.some((b) => b.callback_data === data)) {
      throw new Error(`message ${messageId} has no button with data ${data}`);
    }
    const user: User = { is_bot: false, first_name: `user${from.id}`, ...from };
    const id = String(BigInt(user.id) * 1000n + BigInt(this.#nextUpdateId));
    this.#queries.set(id, { at: Date.now(), answered: false, from: user });
    this.#enqueue({
      callback_query: { id, from: user, message, chat_instance: String(chat), data },
    });
    return id;
  }

  /** Resolves when `pred()` holds (checked every 20 ms); rejects after `ms`. */
  async waitFor(
    pred: () => boolean | Promise<boolean>,
    ms = 10_000,
    what = "condition",
  ): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- HTTP --------------------------------------------------------------

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return this.#reply(404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, methodRaw] = m;
    const method = methodRaw.toLowerCase();
    let params: Record<string, unknown> = {};
    let status = 200;
    try {
      params = await readParams(req, url);
      if (this.o.latencyMs > 0) await new Promise((r) => setTimeout(r, this.o.latencyMs));
      if (token !== this.o.token) throw new ApiFailure(401, "Unauthorized");
      if (this.#fail.n > 0 && method !== "getupdates") {
        this.#fail.n--;
        throw new ApiFailure(this.#fail.code, this.#fail.description);
      }
      const result = await this.#call(method, params);
      return this.#reply(200, { ok: true, result });
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e;
      status = e.code;
      return this.#reply(e.code, {
        ok: false,
        error_code: e.code,
        description: e.description,
        ...(e.parameters ? { parameters: e.parameters } : {}),
      });
    } finally {
      this.requests.push({ method: methodRaw, params, status, at: Date.now() });
    }
  }

  #reply(status: number, body: unknown): Response {
    return Response.json(body, { status });
  }

  #call(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case "getme":
        return {
          ...this.botUser,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        };
      case "sendmessage":
        return this.#sendMessage(p);
      case "editmessagetext":
        return this.#editMessageText(p);
      case "editmessagereplymarkup":
        return this.#editReplyMarkup(p);
      case "answercallbackquery":
        return this.#answerCallbackQuery(p);
      case "sendchataction":
        this.#chat(p.chat_id);
        return true;
      case "getupdates":
        return this.#getUpdates(p);
      case "setwebhook":
        return this.#setWebhook(p);
      case "deletewebhook":
        this.webhook = null;
        if (p.drop_pending_updates === true || p.drop_pending_updates === "true") {
          this.#updates = [];
        }
        return true;
      case "getwebhookinfo":
        return {
          url: this.webhook?.url ?? "",
          has_custom_certificate: false,
          pending_update_count: this.#updates.length,
        };
      case "setmycommands":
        return this.#setMyCommands(p);
      case "getmycommands":
        return this.commands;
      case "deletemycommands":
        this.commands = [];
        return true;
      default:
        throw new ApiFailure(404, "Not Found");
    }
  }

  // ---- methods -----------------------------------------------------------

  #chat(id: unknown): Chat {
    const n = typeof id === "string" && /^-?\d+$/.test(id) ? Number(id) : id;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      if (typeof id === "string" && id.startsWith("@")) throw bad("chat not found");
      throw bad("chat_id is empty");
    }
    const chat = this.chats.get(n);
    if (!chat) throw bad("chat not found");
    if (this.blocked.has(n)) throw new ApiFailure(403, "Forbidden: bot was blocked by the user");
    return chat;
  }

  #int(v: unknown, name: string): number {
    const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n)) throw bad(`${name} is empty`);
    return n;
  }

  #flood(chat: Chat): void {
    const now = Date.now();
    const retry = (ms: number) => {
      const s = Math.max(1, Math.ceil(ms / 1000));
      throw new ApiFailure(429, `Too Many Requests: retry after ${s}`, { retry_after: s });
    };
    this.#global = this.#global.filter((t) => t > now - 1000);
    if (this.#global.length >= this.o.globalPerSecond) retry(this.#global[0] + 1000 - now);
    const times = (this.#sends.get(chat.id) ?? []).filter((t) => t > now - this.o.groupWindowMs);
    const last = times[times.length - 1];
    if (last !== undefined && now - last < this.o.chatIntervalMs) {
      retry(last + this.o.chatIntervalMs - now);
    }
    if (chat.type !== "private" && times.length >= this.o.groupPerMinute) {
      retry(times[times.length - this.o.groupPerMinute] + this.o.groupWindowMs - now);
    }
    times.push(now);
    this.#sends.set(chat.id, times);
    this.#global.push(now);
  }

  #text(p: Record<string, unknown>): { text: string; entities?: Entity[] } {
    if (typeof p.text !== "string" || p.text.length === 0) throw bad("message text is empty");
    let parsed: { text: string; entities: Entity[] };
    const mode = typeof p.parse_mode === "string" ? p.parse_mode : "";
    if (mode === "") parsed = { text: p.text, entities: [] };
    else if (mode.toLowerCase() === "html") {
      if (this.#refuseEntities > 0) {
        this.#refuseEntities--;
        throw bad("can't parse entities: Too many entities");
      }
      try {
        parsed = parseHtml(p.text);
      } catch (e) {
        if (e instanceof EntityParseError) throw new ApiFailure(400, e.message);
        throw e;
      }
    } else throw bad(`unsupported parse_mode`);
    if (parsed.text.trim().length === 0) throw bad("message text is empty");
    if (parsed.text.length > 4096) throw bad("message is too long");
    return parsed.entities.length > 0 ? parsed : { text: parsed.text };
  }

  #keyboard(v: unknown): Message["reply_markup"] | undefined {
    if (v === undefined) return undefined;
    const markup = typeof v === "string" ? safeJson(v) : v;
    if (markup === null || typeof markup !== "object") {
      throw bad("can't parse reply keyboard markup JSON object");
    }
    const kb = (markup as { inline_keyboard?: unknown }).inline_keyboard;
    if (!Array.isArray(kb)) {
      throw bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
    }
    for (const row of kb) {
      if (!Array.isArray(row)) {
        throw bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
      }
      for (const b of row as Button[]) {
        if (typeof b?.text !== "string" || b.text.length === 0) {
          throw bad("text buttons are unallowed in the inline keyboard");
        }
        if (b.callback_data !== undefined) {
          const n = new TextEncoder().encode(String(b.callback_data)).length;
          if (n < 1 || n > 64) throw bad("BUTTON_DATA_INVALID");
        } else if (b.url === undefined) {
          throw bad("text buttons are unallowed in the inline keyboard");
        }
      }
    }
    return { inline_keyboard: kb as Button[][] };
  }

  #messageId(chat: number): number {
    const id = this.#nextMessageId.get(chat) ?? 1;
    this.#nextMessageId.set(chat, id + 1);
    return id;
  }

  #sendMessage(p: Record<string, unknown>): Message {
    const chat = this.#chat(p.chat_id);
    const body = this.#text(p);
    const markup = this.#keyboard(p.reply_markup);
    let replyTo: Message | undefined;
    const rp =
      (typeof p.reply_parameters === "string"
        ? safeJson(p.reply_parameters)
        : p.reply_parameters) as
          | { message_id?: number; allow_sending_without_reply?: boolean }
          | undefined;
    if (rp) {
      replyTo = this.messages.get(chat.id)?.find((m) => m.message_id === rp.message_id);
      if (!replyTo && !rp.allow_sending_without_reply) throw bad("message to be replied not found");
    }
    this.#flood(chat);
    const msg: Message = {
      message_id: this.#messageId(chat.id),
      from: this.botUser,
      chat,
      date: Math.floor(Date.now() / 1000),
      ...body,
      ...(markup && markup.inline_keyboard.length ? { reply_markup: markup } : {}),
      ...(replyTo
        ? { reply_to_message: { ...replyTo, reply_to_message: undefined, history: undefined } }
        : {}),
      history: [body.text],
      parse_mode: typeof p.parse_mode === "string" ? p.parse_mode : undefined,
      sent_ms: Date.now(),
    };
    this.messages.get(chat.id)!.push(msg);
    return msg;
  }

  #target(p: Record<string, unknown>): Message {
    if (p.inline_message_id !== undefined) throw bad("MESSAGE_ID_INVALID");
    const chat = this.#chat(p.chat_id);
    const id = this.#int(p.message_id, "message_id");
    const msg = this.messages.get(chat.id)?.find((m) => m.message_id === id);
    if (!msg) throw bad("message to edit not found");
    if (msg.from.id !== this.botUser.id) throw bad("message can't be edited");
    if (Date.now() - (msg.sent_ms ?? 0) > this.o.editableForMs) {
      throw bad("message can't be edited");
    }
    return msg;
  }

  #editMessageText(p: Record<string, unknown>): Message {
    const msg = this.#target(p);
    const body = this.#text(p);
    const markup = this.#keyboard(p.reply_markup);
    const sameText = body.text === msg.text &&
      JSON.stringify(body.entities ?? []) === JSON.stringify(msg.entities ?? []);
    const newMarkup = markup && markup.inline_keyboard.length ? markup : undefined;
    if (sameText && JSON.stringify(newMarkup) === JSON.stringify(msg.reply_markup)) {
      throw bad(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    this.#flood(msg.chat);
    msg.text = body.text;
    msg.entities = body.entities;
    if (!body.entities) delete msg.entities;
    msg.reply_markup = newMarkup;
    if (!newMarkup) delete msg.reply_markup;
    msg.edit_date = Math.floor(Date.now() / 1000);
    msg.parse_mode = typeof p.parse_mode === "string" ? p.parse_mode : undefined;
    msg.history = [...(msg.history ?? []), body.text];
    return msg;
  }

  #editReplyMarkup(p: Record<string, unknown>): Message {
    const msg = this.#target(p);
    const markup = this.#keyboard(p.reply_markup);
    const newMarkup = markup && markup.inline_keyboard.length ? markup : undefined;
    if (JSON.stringify(newMarkup) === JSON.stringify(msg.reply_markup)) {
      throw bad(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    msg.reply_markup = newMarkup;
    if (!newMarkup) delete msg.reply_markup;
    msg.edit_date = Math.floor(Date.now() / 1000);
    return msg;
  }

  #answerCallbackQuery(p: Record<string, unknown>): boolean {
    const id = String(p.callback_query_id ?? "");
    const q = this.#queries.get(id);
    if (!q || q.answered || Date.now() - q.at > this.o.callbackTimeoutMs) {
      throw bad("query is too old and response timeout expired or query ID is invalid");
    }
    if (typeof p.text === "string" && p.text.length > 200) throw bad("MESSAGE_TOO_LONG");
    q.answered = true;
    this.answers.push({
      id,
      text: typeof p.text === "string" ? p.text : undefined,
      show_alert: p.show_alert === true || p.show_alert === "true",
    });
    return true;
  }

  #setMyCommands(p: Record<string, unknown>): boolean {
    const list = typeof p.commands === "string" ? safeJson(p.commands) : p.commands;
    if (!Array.isArray(list)) throw bad("can't parse commands JSON object");
    if (list.length > 100) throw bad("too many commands");
    for (const c of list) {
      if (typeof c?.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) {
        throw bad("BOT_COMMAND_INVALID");
      }
      if (
        typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256
      ) {
        throw bad("command description is empty");
      }
    }
    this.commands = list;
    return true;
  }

  #setWebhook(p: Record<string, unknown>): boolean {
    const url = String(p.url ?? "");
    if (url === "") {
      this.webhook = null;
      return true;
    }
    if (!url.startsWith("https://") && !(this.o.allowHttpWebhook && url.startsWith("http://"))) {
      throw bad("bad webhook: An HTTPS URL must be provided for webhook");
    }
    const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw bad("bad webhook: secret token contains unallowed characters");
    }
    this.webhook = { url, secret_token: secret };
    this.#activePoll?.abort();
    this.#push();
    return true;
  }

  async #getUpdates(p: Record<string, unknown>): Promise<Update[]> {
    if (this.webhook) {
      throw new ApiFailure(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    this.#activePoll?.abort();
    const mine = new AbortController();
    this.#activePoll = mine;
    const offset = p.offset === undefined ? 0 : this.#int(p.offset, "offset");
    const limit = p.limit === undefined
      ? 100
      : Math.min(100, Math.max(1, this.#int(p.limit, "limit")));
    const timeout = p.timeout === undefined ? 0 : this.#int(p.timeout, "timeout");
    if (offset > 0) this.#updates = this.#updates.filter((u) => u.update_id >= offset);
    const deadline = Date.now() + timeout * 1000;
    while (this.#updates.length === 0 && Date.now() < deadline) {
      if (mine.signal.aborted) {
        throw new ApiFailure(
          409,
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        );
      }
      if (!this.#server) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#pollWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.#activePoll === mine) this.#activePoll = null;
    if (mine.signal.aborted) {
      throw new ApiFailure(
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      );
    }
    return this.#updates.slice(0, limit);
  }

  #enqueue(u: Record<string, unknown>): void {
    this.#updates.push({ update_id: this.#nextUpdateId++, ...u });
    for (const w of this.#pollWaiters.splice(0)) w();
    this.#push();
  }

  /** Delivers queued updates to the webhook, one at a time, retrying on failure. */
  async #push(): Promise<void> {
    if (!this.webhook || this.#pushing) return;
    this.#pushing = true;
    try {
      while (this.webhook && this.#updates.length > 0 && this.#server) {
        const u = this.#updates[0];
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (this.webhook.secret_token) {
          headers["X-Telegram-Bot-Api-Secret-Token"] = this.webhook.secret_token;
        }
        const ok = await fetch(this.webhook.url, {
          method: "POST",
          headers,
          body: JSON.stringify(u),
          signal: AbortSignal.timeout(60_000),
        }).then(async (r) => {
          await r.body?.cancel();
          return r.ok;
        }, () => false);
        if (ok) this.#updates.shift();
        else await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      this.#pushing = false;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.webhook = null;
    await this.stop();
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

async function readParams(req: Request, url: URL): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (req.method !== "POST") return out;
  const type = req.headers.get("content-type") ?? "";
  if (type.includes("application/json")) {
    const text = await req.text();
    if (text.trim() === "") return out;
    const body = safeJson(text);
    if (body === null || typeof body !== "object") throw bad("can't parse request JSON object");
    return { ...out, ...(body as Record<string, unknown>) };
  }
  if (type.includes("form")) {
    const form = await req.formData();
    for (const [k, v] of form) if (typeof v === "string") out[k] = v;
    return out;
  }
  await req.body?.cancel();
  return out;
}
