/**
 * The durable outbox. An accepted notification — an Alertmanager group from
 * `/alerts`, or a message from `/notify` — is written, with one job per
 * alert chat, in a single atomic commit before the bot answers 2xx, so a
 * crash after the answer loses nothing. Jobs of one chat are kept in arrival
 * order; a worker leases the head job, records each Telegram call it
 * completes, and deletes the job when done — so after a crash only the call
 * in flight can be repeated.
 *
 * Key layout (all under Deno KV):
 *
 * | key | value |
 * |---|---|
 * | `["n", nid, i]` | chunk `i` of the stored notification (JSON) |
 * | `["job", chat, jid]` | {@link Job} |
 * | `["dedup", key]` | `{ nid, at }`, expiring after the dedup window; `key` is the alert group's hash, or `notify:` + the hash of a notification's `id` |
 * | `["dead", jid]` | {@link DeadLetter} |
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Notification as Notice } from "../../lib/notify/mod.ts";
import type { Alert, Notification } from "../alerts/payload.ts";
import { dedupKey } from "../alerts/payload.ts";
import { chunked, newId, readChunked } from "./kv.ts";

/** An alert group as stored: large groups keep full text for the first alerts only. */
export interface StoredAlerts {
  kind: "alerts";
  receivedAt: number;
  groupKey: string;
  status: Notification["status"];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL: string;
  truncated: number;
  alerts: Alert[];
}

/** A message of the bot's own (the Watchdog's alarm). */
export interface StoredText {
  kind: "text";
  receivedAt: number;
  html: string;
}

/** A notification from `POST /notify` (lib/notify's), rendered when sent. */
export interface StoredNotice extends Notice {
  kind: "notice";
  receivedAt: number;
}

/** What a job delivers. */
export type Stored = StoredAlerts | StoredText | StoredNotice;

/** One Telegram-facing step of a job, decided when the job is first leased. */
export type Action =
  | {
    kind: "post";
    mode: "firing" | "reminder" | "resolved";
    /** Indices into the notification's alerts. */
    alerts: number[];
    /** Alerts of the group reported before and still firing. */
    already: number;
    thread: string;
    /** Reference of the buttons (firing only). */
    button: string | null;
  }
  | { kind: "edit"; thread: string; resolved: number[] }
  | { kind: "text" };

/** A delivery to one chat. */
export interface Job {
  id: string;
  chat: number;
  nid: string;
  createdAt: number;
  /** Not before this time (backoff, `retry_after`). */
  notBefore: number;
  attempts: number;
  lastError: string | null;
  /** Alerts this job carries, for the delivered / dead-lettered counts. */
  alerts: number;
  plan: Action[] | null;
  /** Actions completed. */
  done: number;
  /** Parts of the current action's message already sent. */
  part: number;
  /** The current action is being resent as plain text. */
  plain: boolean;
  lease: { owner: string; until: number } | null;
}

/** A job given up on, kept for `/alerts` and the dead-letter metric. */
export interface DeadLetter {
  id: string;
  chat: number;
  nid: string;
  title: string;
  reason: string;
  alerts: number;
  createdAt: number;
  at: number;
}

/** Outcome of accepting a notification. */
export type EnqueueResult = { status: "queued"; id: string; jobs: number } | {
  status: "duplicate";
  id: string;
};

/** Longest annotation value kept (characters); Telegram could not show more anyway. */
const MAX_ANNOTATION = 8000;
/** How long stored notifications outlive their jobs (threads re-render from them). */
export const NOTIFICATION_TTL_MS = 8 * 86_400_000;

/** Keys, in one place. */
export const keys = {
  notification: (nid: string): Deno.KvKey => ["n", nid],
  job: (chat: number, id: string): Deno.KvKey => ["job", chat, id],
  jobs: (chat?: number): Deno.KvKey => chat === undefined ? ["job"] : ["job", chat],
  dedup: (hash: string): Deno.KvKey => ["dedup", hash],
  dead: (id: string): Deno.KvKey => ["dead", id],
};

function compact(n: Notification, fullAlerts: number, receivedAt: number): StoredAlerts {
  return {
    kind: "alerts",
    receivedAt,
    groupKey: n.groupKey,
    status: n.status,
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    externalURL: n.externalURL,
    truncated: n.truncatedAlerts,
    alerts: n.alerts.map((a, i) => ({
      ...a,
      annotations: i < fullAlerts
        ? Object.fromEntries(
          Object.entries(a.annotations).map(([k, v]) => [k, v.slice(0, MAX_ANNOTATION)]),
        )
        : {},
    })),
  };
}

function newJob(chat: number, nid: string, now: number, alerts: number): Job {
  return {
    id: newId(),
    chat,
    nid,
    createdAt: now,
    notBefore: now,
    attempts: 0,
    lastError: null,
    alerts,
    plan: null,
    done: 0,
    part: 0,
    plain: false,
    lease: null,
  };
}

/** A dedup entry. */
type Seen = { nid: string; at: number };

/** Most notifications per group commit (KV allows 100 checks per commit). */
const MAX_BATCH = 64;
/** Most bytes per group commit (KV allows 800 KiB). */
const MAX_BATCH_BYTES = 600_000;

interface Pending extends PromiseWithResolvers<EnqueueResult> {
  /** Dedup key; null: never a duplicate. */
  hash: string | null;
  stored: Stored;
  chats: readonly number[];
  now: number;
  window: number;
  alerts: number;
  size: number;
}

/** Options of {@link Outbox.enqueueAlerts} and {@link Outbox.enqueueNotice}. */
export interface EnqueueOptions {
  chats: readonly number[];
  dedupWindowMs: number;
  now?: number;
}

/** The dedup key of a notification's `id`: apart from alert keys (bare hex), bounded. */
export function noticeDedupKey(id: string): string {
  return "notify:" + createHash("sha256").update(id).digest("hex");
}

/** The outbox over one KV store. */
export class Outbox {
  constructor(readonly kv: Deno.Kv) {}

  /**
   * Stores `n` and a job per chat durably, unless an identical notification
   * was accepted within the dedup window. Resolves once committed.
   *
   * Requests that arrive while a commit is in flight are committed together
   * in the next one (group commit): one durable write per batch instead of
   * per request, which is what lets a burst of single-alert posts through at
   * disk speed.
   */
  async enqueueAlerts(
    n: Notification,
    o: EnqueueOptions & { fullAlerts: number },
  ): Promise<EnqueueResult> {
    const now = o.now ?? Date.now();
    return await this.#enqueue(
      await dedupKey(n),
      compact(n, o.fullAlerts, now),
      n.alerts.length,
      o,
      now,
    );
  }

  /**
   * Stores a notification from `/notify` and a job per chat durably, the
   * same way; one whose `id` was accepted within the dedup window is a
   * duplicate (whatever its content), one without an `id` never is.
   */
  async enqueueNotice(n: Notice, o: EnqueueOptions): Promise<EnqueueResult> {
    const now = o.now ?? Date.now();
    const stored: StoredNotice = { kind: "notice", receivedAt: now, ...n };
    return await this.#enqueue(n.id ? noticeDedupKey(n.id) : null, stored, 0, o, now);
  }

  #enqueue(
    hash: string | null,
    stored: Stored,
    alerts: number,
    o: EnqueueOptions,
    now: number,
  ): Promise<EnqueueResult> {
    const item: Pending = {
      hash,
      stored,
      chats: o.chats,
      now,
      window: o.dedupWindowMs,
      alerts,
      size: JSON.stringify(stored).length + 300 * (o.chats.length + 1),
      ...Promise.withResolvers<EnqueueResult>(),
    };
    this.#pending.push(item);
    if (!this.#flushing) {
      this.#flushing = true;
      this.#flush().finally(() => this.#flushing = false);
    }
    return item.promise;
  }

  readonly #pending: Pending[] = [];
  #flushing = false;

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      let mutations = 0;
      while (this.#pending.length > 0 && batch.length < MAX_BATCH) {
        const next = this.#pending[0];
        const muts = 2 + next.chats.length + Math.ceil(next.size / 60_000);
        if (batch.length > 0 && (size + next.size > MAX_BATCH_BYTES || mutations + muts > 900)) {
          break;
        }
        batch.push(this.#pending.shift()!);
        size += next.size;
        mutations += muts;
      }
      try {
        await this.#commitBatch(batch);
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
  }

  async #commitBatch(batch: Pending[]): Promise<void> {
    // Within the batch, a repeated hash is a duplicate of its first occurrence.
    const first = new Map<string, Pending>();
    const twins: [Pending, Pending][] = [];
    const unique: Pending[] = [];
    for (const p of batch) {
      const f = p.hash === null ? undefined : first.get(p.hash);
      if (f) twins.push([p, f]);
      else {
        if (p.hash !== null) first.set(p.hash, p);
        unique.push(p);
      }
    }
    const seen = await Promise.all(unique.map((p) => this.#seen(p)));
    const op = this.kv.atomic();
    const queued: [Pending, string][] = [];
    unique.forEach((p, i) => {
      const nid = this.#claim(op, p, seen[i]);
      if (nid !== null) queued.push([p, nid]);
    });
    const ok = queued.length === 0 || (await op.commit()).ok;
    if (ok) {
      for (const [p, nid] of queued) p.resolve({ status: "queued", id: nid, jobs: p.chats.length });
    } else {
      // A check failed: another writer (an HA twin in another process) got
      // there first for one of these. Retry each alone; it sees the winner.
      await Promise.all(queued.map(([p]) => this.#commitOne(p)));
    }
    for (const [p, f] of twins) {
      f.promise.then(
        (r) => p.resolve({ status: "duplicate", id: r.id }),
        (e) => p.reject(e),
      );
    }
  }

  /** The dedup entry `p` would collide with (null: `p` has no key). */
  #seen(p: Pending): Promise<Deno.KvEntryMaybe<Seen> | null> {
    return p.hash === null ? Promise.resolve(null) : this.kv.get<Seen>(keys.dedup(p.hash));
  }

  /**
   * Adds `p` to `op` (its jobs, and its dedup entry, checked unchanged) and
   * returns its new id; or resolves `p` as a duplicate of `seen` and returns null.
   */
  #claim(op: Deno.AtomicOperation, p: Pending, seen: Deno.KvEntryMaybe<Seen> | null) {
    if (seen?.value && p.now - seen.value.at < p.window) {
      p.resolve({ status: "duplicate", id: seen.value.nid });
      return null;
    }
    const nid = newId();
    if (seen && p.hash !== null) {
      op.check(seen).set(keys.dedup(p.hash), { nid, at: p.now }, { expireIn: p.window });
    }
    this.#writeJobs(op, nid, p.stored, p.chats, p.now, p.alerts);
    return nid;
  }

  async #commitOne(p: Pending): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const op = this.kv.atomic();
      const nid = this.#claim(op, p, await this.#seen(p));
      if (nid === null) return;
      if ((await op.commit()).ok) {
        return p.resolve({ status: "queued", id: nid, jobs: p.chats.length });
      }
    }
    p.reject(new Error("outbox: could not commit after 5 attempts"));
  }

  /**
   * Queues a message of the bot's own to `chats`; `extra` joins the same
   * commit (and may add checks that make it fail: then nothing is queued).
   */
  async enqueueText(
    html: string,
    chats: readonly number[],
    extra?: (op: Deno.AtomicOperation) => void,
    now = Date.now(),
  ): Promise<boolean> {
    const op = this.kv.atomic();
    extra?.(op);
    this.#writeJobs(op, newId(), { kind: "text", receivedAt: now, html }, chats, now, 0);
    return (await op.commit()).ok;
  }

  #writeJobs(
    op: Deno.AtomicOperation,
    nid: string,
    stored: Stored,
    chats: readonly number[],
    now: number,
    alerts: number,
  ): void {
    for (const [k, v] of chunked(keys.notification(nid), stored)) {
      op.set(k, v, { expireIn: NOTIFICATION_TTL_MS });
    }
    for (const chat of chats) {
      const job = newJob(chat, nid, now, alerts);
      op.set(keys.job(chat, job.id), job);
    }
  }

  /** The stored notification, or null once expired. */
  load(nid: string): Promise<Stored | null> {
    return readChunked<Stored>(this.kv, keys.notification(nid));
  }

  /** The oldest job of `chat`, if any. */
  async head(chat: number): Promise<Deno.KvEntry<Job> | null> {
    for await (const e of this.kv.list<Job>({ prefix: keys.jobs(chat) }, { limit: 1 })) return e;
    return null;
  }

  /** Chats that have queued jobs. */
  async chats(): Promise<number[]> {
    const out = new Set<number>();
    for await (const e of this.kv.list<Job>({ prefix: keys.jobs() })) out.add(e.value.chat);
    return [...out];
  }

  /**
   * Takes the lease of `entry` for `owner` until `until`; null when another
   * worker changed or holds it.
   */
  async lease(
    entry: Deno.KvEntry<Job>,
    owner: string,
    until: number,
    now = Date.now(),
  ): Promise<Deno.KvEntry<Job> | null> {
    const l = entry.value.lease;
    if (l && l.owner !== owner && l.until > now) return null;
    return await this.save(entry, { ...entry.value, lease: { owner, until } });
  }

  /**
   * Replaces `entry` with `job` (and applies `extra`), if nobody changed it
   * since it was read; the new entry, or null when it was.
   */
  async save(
    entry: Deno.KvEntry<Job>,
    job: Job,
    extra?: (op: Deno.AtomicOperation) => void,
  ): Promise<Deno.KvEntry<Job> | null> {
    const op = this.kv.atomic().check(entry).set(entry.key, job);
    extra?.(op);
    const res = await op.commit();
    return res.ok ? { key: entry.key, value: job, versionstamp: res.versionstamp } : null;
  }

  /** Deletes a finished job (and applies `extra`); false when it changed meanwhile. */
  async complete(
    entry: Deno.KvEntry<Job>,
    extra?: (op: Deno.AtomicOperation) => void,
  ): Promise<boolean> {
    const op = this.kv.atomic().check(entry).delete(entry.key);
    extra?.(op);
    return (await op.commit()).ok;
  }

  /** Moves a job to the dead-letter list. */
  async deadLetter(
    entry: Deno.KvEntry<Job>,
    title: string,
    reason: string,
    now = Date.now(),
  ): Promise<boolean> {
    const j = entry.value;
    const dead: DeadLetter = {
      id: j.id,
      chat: j.chat,
      nid: j.nid,
      title,
      reason,
      alerts: j.alerts,
      createdAt: j.createdAt,
      at: now,
    };
    return await this.complete(
      entry,
      (op) => op.set(keys.dead(j.id), dead, { expireIn: NOTIFICATION_TTL_MS }),
    );
  }

  /** Dead letters, newest first. */
  async deadLetters(limit = 50): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (
      const e of this.kv.list<DeadLetter>({ prefix: ["dead"] }, { reverse: true, limit })
    ) {
      out.push(e.value);
    }
    return out;
  }

  /** Queue depth, the oldest undelivered job's creation time, and dead letters. */
  async stats(): Promise<{ depth: number; oldest: number | null; dead: number }> {
    let depth = 0;
    let oldest: number | null = null;
    for await (const e of this.kv.list<Job>({ prefix: keys.jobs() })) {
      depth++;
      if (oldest === null || e.value.createdAt < oldest) oldest = e.value.createdAt;
    }
    let dead = 0;
    for await (const _ of this.kv.list({ prefix: ["dead"] })) dead++;
    return { depth, oldest, dead };
  }
}
