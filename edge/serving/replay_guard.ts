/**
 * Replay protection for feedback by prediction id: each id's nonce may be
 * claimed once. Two stores:
 *
 * - **Deno KV** (`FEEDBACK_KV_PATH` on a VM or laptop; the default KV on
 *   Deno Deploy): the claim is one atomic check-and-set, so processes or
 *   isolates sharing the store accept an id once between them. Entries
 *   expire with the id (`expireIn`), so the store holds at most the ids
 *   judged within one id lifetime.
 * - **Memory** (neither available): a set per process, bounded to
 *   `capacity` nonces (at least 1; the oldest forgotten first, expired ones
 *   before live ones at the front). Guarantees only "the
 *   same id counted once per process, while among its last `capacity`
 *   claims"; another process, or a restart, accepts it again.
 *
 * @module
 */

/** Tries of a claim that finds the KV file locked by another process (about 2 s in all). */
const LOCK_RETRIES = 50;

/** Claims nonces; `true` the first time a nonce is claimed, `false` after. */
export interface ReplayGuard {
  /** `expiresAt`: epoch ms after which the id is refused anyway, so it can be forgotten. */
  claim(nonce: string, expiresAt: number): Promise<boolean>;
  /** What it guarantees, for logs and `/v1/ops`: `"kv"` or `"memory"`. */
  readonly kind: "kv" | "memory";
  close(): void;
}

/**
 * A per-process set of at most `capacity` nonces.
 *
 * @example
 * ```ts
 * const guard = memoryReplayGuard(10_000);
 * await guard.claim("n1", Date.now() + 60_000); // true
 * await guard.claim("n1", Date.now() + 60_000); // false
 * ```
 */
export function memoryReplayGuard(capacity: number, now: () => number = Date.now): ReplayGuard {
  capacity = Math.max(1, capacity);
  // Insertion order is claim order: the first keys are the oldest.
  const seen = new Map<string, number>();
  return {
    kind: "memory",
    claim(nonce, expiresAt) {
      if (seen.has(nonce)) return Promise.resolve(false);
      if (seen.size >= capacity) {
        const t = now();
        for (const [k, exp] of seen) {
          if (exp > t && seen.size < capacity) break;
          seen.delete(k);
        }
      }
      seen.set(nonce, expiresAt);
      return Promise.resolve(true);
    },
    close() {
      seen.clear();
    },
  };
}

/**
 * Nonces in Deno KV under `["feedback", nonce]`, claimed with an atomic
 * check that the key is absent.
 *
 * @example
 * ```ts
 * const guard = kvReplayGuard(await Deno.openKv("feedback.db"));
 * await guard.claim("n1", Date.now() + 60_000); // true, in every process sharing the file
 * ```
 */
export function kvReplayGuard(kv: Deno.Kv, now: () => number = Date.now): ReplayGuard {
  return {
    kind: "kv",
    async claim(nonce, expiresAt) {
      const key = ["feedback", nonce];
      // A KV file shared by processes is one SQLite database, and Deno's KV
      // does not wait for another process's write lock: it fails at once
      // with "database is locked" (two processes claiming at full speed saw
      // it on about half their commits). Retry with jittered backoff.
      for (let attempt = 0;; attempt++) {
        try {
          const result = await kv.atomic()
            .check({ key, versionstamp: null })
            .set(key, 1, { expireIn: Math.max(1, expiresAt - now()) })
            .commit();
          return result.ok;
        } catch (e) {
          if (attempt >= LOCK_RETRIES || !/locked|busy/i.test(String(e))) throw e;
          const ms = Math.min(50, 2 ** attempt) * (0.5 + Math.random());
          await new Promise((r) => setTimeout(r, ms));
        }
      }
    },
    close() {
      kv.close();
    },
  };
}
