/**
 * Delivery: takes each chat's oldest job from the outbox and carries it out
 * on Telegram, within the flood limits, recording every completed call so
 * a crash repeats at most the one in flight.
 *
 * A job's plan is fixed when it is first leased (which alerts are new, which
 * resolve a message already in the chat), so a restart resumes the same
 * plan instead of re-deciding against a store it has half updated.
 *
 * Failures: 429 waits `retry_after`; network errors and 5xx back off
 * exponentially (capped); an entity parse error resends the message as
 * plain text; an edit Telegram refuses becomes a reply to the original; a
 * permanent refusal (chat gone, bot blocked) or a job older than the
 * dead-letter deadline goes to the dead-letter list.
 *
 * @module
 */
import type { Api } from "grammy";
import { telegramHtml } from "../../lib/notify/mod.ts";
import { htmlToText } from "../alerts/html.ts";
import { type FormatOptions, renderMessage } from "../alerts/format.ts";
import { splitHtml } from "../alerts/split.ts";
import type { BotMetrics } from "../metrics.ts";
import { newId } from "../store/kv.ts";
import type {
  Action,
  Job,
  Outbox,
  Stored,
  StoredAlerts,
  StoredNotice,
  StoredText,
} from "../store/outbox.ts";
import {
  type ButtonRef,
  keyboardOf,
  matchersFor,
  type Thread,
  THREAD_TTL_MS,
  threadKeys,
  threadView,
} from "../store/threads.ts";
import { classify } from "../telegram/client.ts";
import type { Pacer } from "./pacer.ts";
import { renderThread, splitPlain } from "./render.ts";

/** What the worker needs. */
export interface WorkerOptions {
  outbox: Outbox;
  api: Api;
  pacer: Pacer;
  metrics: BotMetrics;
  /** Chats to watch besides those found in the store. */
  chats: readonly number[];
  format: Omit<FormatOptions, "now">;
  deadLetterAfterMs: number;
  editMaxAgeMs: number;
  buttonTtlMs: number;
  leaseMs: number;
  retryMaxMs: number;
  /** How often idle chats are looked at again. */
  pollMs?: number;
  log: (line: string) => void;
}

type Entry = Deno.KvEntry<Job>;

/** Outcome of one step. */
type Step = "next" | "stop";

/** The delivery loop. */
export class DeliveryWorker {
  readonly owner: string = newId();
  readonly #o: WorkerOptions;
  readonly #kv: Deno.Kv;
  readonly #chats = new Set<number>();
  readonly #busy = new Map<number, Promise<void>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(o: WorkerOptions) {
    this.#o = o;
    this.#kv = o.outbox.kv;
    for (const c of o.chats) this.#chats.add(c);
  }

  /** Starts the loop (after finding chats with queued jobs). */
  async start(): Promise<void> {
    for (const c of await this.#o.outbox.chats()) this.#chats.add(c);
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops taking new jobs and waits for the ones in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await Promise.allSettled(this.#busy.values());
  }

  /** Looks at the queues now (new jobs were just queued). */
  wake(chats: readonly number[] = []): void {
    for (const c of chats) this.#chats.add(c);
    if (this.#running) this.#schedule(0);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
  }

  #tick(): void {
    if (!this.#running) return;
    let soonest = this.#o.pollMs ?? 500;
    for (const chat of this.#chats) {
      if (this.#busy.has(chat)) continue;
      const wait = this.#o.pacer.wait(chat);
      if (wait > 0) {
        soonest = Math.min(soonest, wait);
        continue;
      }
      const run = this.#drainChat(chat)
        .catch((e) => this.#o.log(`delivery to ${chat} failed: ${errorText(e)}`))
        .finally(() => {
          this.#busy.delete(chat);
          if (this.#running) this.#schedule(0);
        });
      this.#busy.set(chat, run);
    }
    this.#schedule(soonest);
  }

  /** Delivers jobs of `chat` while they are due. */
  async #drainChat(chat: number): Promise<void> {
    while (this.#running) {
      const entry = await this.#o.outbox.head(chat);
      if (!entry) return;
      if (entry.value.notBefore > Date.now()) return;
      const done = await this.#deliver(entry);
      if (!done) return;
    }
  }

  /** Carries out one job; true when it finished (delivered or dead-lettered). */
  async #deliver(head: Entry): Promise<boolean> {
    const o = this.#o;
    let entry = await o.outbox.lease(head, this.owner, Date.now() + o.leaseMs);
    if (!entry) return false;
    const stored = await o.outbox.load(entry.value.nid);
    if (!stored) {
      await this.#deadLetter(entry, "bot message", "stored notification expired");
      return true;
    }
    if (!entry.value.plan) {
      const planned = await this.#plan(entry.value, stored);
      entry = await o.outbox.save(entry, { ...entry.value, plan: planned.plan }, planned.extra);
      if (!entry) return false;
    }
    const plan = entry.value.plan!;
    while (entry.value.done < plan.length) {
      if (!this.#running) return false;
      const action = plan[entry.value.done];
      const result = await this.#act(entry, action, stored);
      if (result.entry === null) return false; // lease lost, or rescheduled
      entry = result.entry;
      if (result.step === "stop") return result.finished;
    }
    const ok = await o.outbox.complete(entry);
    if (ok) {
      o.metrics.delivered.add(entry.value.alerts);
      if (stored.kind === "notice") o.metrics.notices.delivered.add(1);
    }
    return ok;
  }

  /** Decides what a job does in its chat. */
  async #plan(
    job: Job,
    stored: Stored,
  ): Promise<{ plan: Action[]; extra: (op: Deno.AtomicOperation) => void }> {
    if (stored.kind !== "alerts") return { plan: [{ kind: "text" }], extra: () => {} };
    const edits = new Map<string, number[]>();
    const orphans: number[] = [];
    const fresh: number[] = [];
    let already = 0;
    await Promise.all(stored.alerts.map(async (a, i) => {
      const threads: string[] = [];
      const prefix = threadKeys.alert(job.chat, a.fingerprint, a.startsAt);
      for await (const e of this.#kv.list({ prefix })) threads.push(String(e.key.at(-1)));
      if (a.status === "resolved") {
        if (threads.length === 0) orphans.push(i);
        for (const t of threads) edits.set(t, [...(edits.get(t) ?? []), i]);
      } else if (threads.length > 0) already++;
      else fresh.push(i);
    }));
    orphans.sort((a, b) => a - b);
    fresh.sort((a, b) => a - b);
    const plan: Action[] = [...edits].map(([thread, resolved]) => ({
      kind: "edit",
      thread,
      resolved: resolved.sort((a, b) => a - b),
    }));
    const buttons: [string, ButtonRef][] = [];
    const post = (mode: "firing" | "reminder", alerts: number[], already: number) => {
      const button = newId();
      const list = alerts.map((i) => stored.alerts[i]);
      buttons.push([button, {
        chat: job.chat,
        thread: "",
        alertname: stored.commonLabels.alertname ?? list[0]?.labels.alertname ?? "",
        matchers: matchersFor(list, stored),
        expiresAt: Date.now() + this.#o.buttonTtlMs,
      }]);
      const thread = newId();
      buttons[buttons.length - 1][1].thread = thread;
      plan.push({ kind: "post", mode, alerts, already, thread, button });
    };
    if (fresh.length > 0) post("firing", fresh, already);
    else if (edits.size === 0 && orphans.length === 0) {
      // Nothing new and nothing resolved: Alertmanager's repeat, a reminder.
      post("reminder", stored.alerts.flatMap((a, i) => a.status === "firing" ? [i] : []), 0);
    }
    if (orphans.length > 0) {
      plan.push({
        kind: "post",
        mode: "resolved",
        alerts: orphans,
        already: 0,
        thread: newId(),
        button: null,
      });
    }
    return {
      plan,
      extra: (op) => {
        for (const [ref, b] of buttons) {
          op.set(threadKeys.button(ref), b, { expireIn: this.#o.buttonTtlMs });
        }
      },
    };
  }

  /** Runs one action (or its next part); returns the new entry or null. */
  async #act(
    entry: Entry,
    action: Action,
    stored: Stored,
  ): Promise<{ entry: Entry | null; step: Step; finished: boolean }> {
    const job = entry.value;
    try {
      if (action.kind === "text") {
        return await this.#sendParts(
          entry,
          textOf(stored as StoredText | StoredNotice),
          null,
          null,
        );
      }
      if (action.kind === "post") {
        const s = stored as StoredAlerts;
        const thread: Thread = {
          id: action.thread,
          chat: job.chat,
          nid: job.nid,
          mode: action.mode,
          alerts: action.alerts,
          already: action.already,
          messageIds: [],
          sentAt: Date.now(),
          resolved: {},
          notes: [],
          button: action.button,
          silence: null,
        };
        const html = renderMessage(threadView(thread, s), this.#fmt());
        return await this.#sendParts(entry, html, thread, s);
      }
      return await this.#edit(entry, action, stored as StoredAlerts);
    } catch (e) {
      return await this.#failed(entry, e, stored);
    }
  }

  #fmt(): FormatOptions {
    return { ...this.#o.format, now: Date.now() };
  }

  /** Paces, then makes one Bot API call. */
  async #paced<T>(chat: number, call: () => Promise<T>): Promise<T> {
    for (;;) {
      const wait = this.#o.pacer.wait(chat);
      if (wait <= 0) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    this.#o.pacer.take(chat);
    try {
      return await call();
    } finally {
      this.#o.pacer.settle(chat);
    }
  }

  /** Sends the remaining parts of a message; the first part carries the buttons. */
  async #sendParts(
    entry: Entry,
    html: string,
    thread: Thread | null,
    stored: StoredAlerts | null,
    replyTo?: number,
  ): Promise<{ entry: Entry | null; step: Step; finished: boolean }> {
    const o = this.#o;
    let job = entry.value;
    const parts = job.plain ? splitPlain(htmlToText(html)) : splitHtml(html);
    for (let p = job.part; p < parts.length; p++) {
      const keyboard = p === 0 && thread && stored ? keyboardOf(thread, stored) : [];
      const msg = await this.#paced(job.chat, () =>
        o.api.sendMessage(job.chat, parts[p], {
          parse_mode: job.plain ? undefined : "HTML",
          link_preview_options: { is_disabled: true },
          ...(keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
          ...(replyTo !== undefined && p === 0
            ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
            : {}),
        }));
      const last = p === parts.length - 1;
      const next: Job = last
        ? { ...job, done: job.done + 1, part: 0, plain: false, lease: this.#lease() }
        : { ...job, part: p + 1, lease: this.#lease() };
      const saved = await o.outbox.save(entry, next, (op) => {
        if (p !== 0 || !thread) return;
        const t: Thread = { ...thread, messageIds: [msg.message_id], sentAt: Date.now() };
        op.set(threadKeys.thread(job.chat, t.id), t, { expireIn: THREAD_TTL_MS });
        for (const i of t.alerts) {
          const a = stored!.alerts[i];
          op.set([...threadKeys.alert(job.chat, a.fingerprint, a.startsAt), t.id], 1, {
            expireIn: THREAD_TTL_MS,
          });
        }
      });
      if (!saved) return { entry: null, step: "stop", finished: false };
      entry = saved;
      job = saved.value;
    }
    return { entry, step: "next", finished: false };
  }

  /** Marks alerts of an earlier message resolved by editing it (or replying to it). */
  async #edit(
    entry: Entry,
    action: Extract<Action, { kind: "edit" }>,
    stored: StoredAlerts,
  ): Promise<{ entry: Entry | null; step: Step; finished: boolean }> {
    const o = this.#o;
    const job = entry.value;
    const tkey = threadKeys.thread(job.chat, action.thread);
    const tEntry = await this.#kv.get<Thread>(tkey);
    const resolvedAlerts = action.resolved.map((i) => stored.alerts[i]);
    const replyHtml = () =>
      renderMessage({
        kind: "resolved",
        groupLabels: stored.groupLabels,
        commonLabels: stored.commonLabels,
        externalURL: stored.externalURL,
        alerts: resolvedAlerts,
        truncated: 0,
        alreadyReported: 0,
        notes: [],
      }, this.#fmt());
    const t = tEntry.value;
    const orig = t ? await o.outbox.load(t.nid) : null;
    if (!t || !orig || orig.kind !== "alerts" || t.messageIds.length === 0) {
      // The first message is forgotten: say it resolved in a new one.
      return await this.#sendParts(entry, replyHtml(), null, null);
    }
    const updated: Thread = {
      ...t,
      resolved: {
        ...t.resolved,
        ...Object.fromEntries(resolvedAlerts.map((a) => [a.fingerprint, a.endsAt])),
      },
    };
    const first = t.messageIds[0];
    const saveThread = (op: Deno.AtomicOperation) =>
      op.check(tEntry).set(tkey, updated, { expireIn: THREAD_TTL_MS });
    const tooOld = Date.now() - t.sentAt > o.editMaxAgeMs;
    if (!tooOld) {
      const { text, keyboard } = renderThread(updated, orig, this.#fmt(), job.plain);
      try {
        await this.#paced(job.chat, () =>
          o.api.editMessageText(job.chat, first, text, {
            parse_mode: job.plain ? undefined : "HTML",
            link_preview_options: { is_disabled: true },
            reply_markup: { inline_keyboard: keyboard },
          }));
      } catch (e) {
        const f = classify(e);
        if (f.kind !== "not_modified" && f.kind !== "edit_gone") throw e;
        if (f.kind === "edit_gone") {
          return await this.#replyResolved(entry, replyHtml(), first, saveThread);
        }
      }
      const saved = await o.outbox.save(
        entry,
        { ...job, done: job.done + 1, part: 0, plain: false, lease: this.#lease() },
        saveThread,
      );
      if (!saved) {
        // The thread changed meanwhile (a button press): redo with fresh state.
        const again = await o.outbox.head(job.chat);
        return { entry: again?.value.id === job.id ? again : null, step: "next", finished: false };
      }
      return { entry: saved, step: "next", finished: false };
    }
    return await this.#replyResolved(entry, replyHtml(), first, saveThread);
  }

  async #replyResolved(
    entry: Entry,
    html: string,
    replyTo: number,
    saveThread: (op: Deno.AtomicOperation) => void,
  ): Promise<{ entry: Entry | null; step: Step; finished: boolean }> {
    const r = await this.#sendParts(entry, html, null, null, replyTo);
    if (r.entry) {
      const saved = await this.#o.outbox.save(r.entry, r.entry.value, saveThread);
      return { entry: saved ?? r.entry, step: "next", finished: false };
    }
    return r;
  }

  #lease() {
    return { owner: this.owner, until: Date.now() + this.#o.leaseMs };
  }

  /** Decides what a failed call means for the job. */
  async #failed(
    entry: Entry,
    e: unknown,
    stored: Stored,
  ): Promise<{ entry: Entry | null; step: Step; finished: boolean }> {
    const o = this.#o;
    const job = entry.value;
    const f = classify(e);
    const title = titleOf(stored);
    if (f.kind === "plain" && !job.plain) {
      o.log(`chat ${job.chat}: Telegram refused the HTML (${f.reason}); resending as plain text`);
      const saved = await o.outbox.save(entry, { ...job, plain: true, lease: this.#lease() });
      return { entry: saved, step: "next", finished: false };
    }
    if (f.kind === "retry") {
      const age = Date.now() - job.createdAt;
      if (age > o.deadLetterAfterMs) {
        await this.#deadLetter(
          entry,
          title,
          `undelivered after ${Math.round(age / 1000)} s: ${f.reason}`,
          stored,
        );
        return { entry: null, step: "stop", finished: true };
      }
      const backoff = f.after !== null
        ? f.after * 1000
        : Math.min(o.retryMaxMs, 500 * 2 ** job.attempts) * (0.8 + 0.4 * Math.random());
      if (f.after !== null) o.pacer.delay(job.chat, f.after * 1000);
      o.log(`chat ${job.chat}: ${f.reason}; retrying in ${Math.round(backoff)} ms`);
      await o.outbox.save(entry, {
        ...job,
        attempts: job.attempts + 1,
        lastError: f.reason,
        notBefore: Date.now() + backoff,
        lease: null,
      });
      return { entry: null, step: "stop", finished: false };
    }
    await this.#deadLetter(entry, title, f.reason, stored);
    return { entry: null, step: "stop", finished: true };
  }

  async #deadLetter(
    entry: Entry,
    title: string,
    reason: string,
    stored: Stored | null = null,
  ): Promise<void> {
    this.#o.log(`chat ${entry.value.chat}: dead-lettered "${title}": ${reason}`);
    if (await this.#o.outbox.deadLetter(entry, title, reason)) {
      this.#o.metrics.deadLettered.add(entry.value.alerts);
      if (stored?.kind === "notice") this.#o.metrics.notices.deadLettered.add(1);
    }
  }
}

/**
 * The HTML of a message that is not an alert group. A notification reads as
 * it does when lib/notify sends it to Telegram directly (severity mark, bold
 * title, text, "Details" link), but is never cut: the worker splits it.
 */
function textOf(stored: StoredText | StoredNotice): string {
  return stored.kind === "text" ? stored.html : telegramHtml(stored, Infinity);
}

function titleOf(stored: Stored): string {
  if (stored.kind === "notice") return `${stored.title.slice(0, 100)} (notification)`;
  if (stored.kind === "text") return htmlToText(stored.html).split("\n")[0].slice(0, 100);
  const name = stored.commonLabels.alertname ?? stored.groupLabels.alertname ?? "alerts";
  return `${name} (${stored.status}, ${stored.alerts.length} alert${
    stored.alerts.length === 1 ? "" : "s"
  })`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
