/**
 * The bot's one store: Deno KV. Locally a SQLite file (`BOT_STORE`), on Deno
 * Deploy the platform's replicated KV — the same code either way, and a
 * committed write survives the process being killed.
 *
 * Values over Deno KV's 64 KiB limit are stored as numbered chunks.
 *
 * @module
 */

/** Largest chunk we write: under KV's 64 KiB value limit with room to spare. */
const CHUNK_BYTES = 60_000;

/**
 * Opens the store at `path` (creating its folder), or the platform default
 * when `path` is null.
 *
 * @example
 * ```ts
 * const kv = await openStore(":memory:");
 * ```
 */
export async function openStore(path: string | null): Promise<Deno.Kv> {
  if (path === null) return await Deno.openKv();
  if (path !== ":memory:") {
    const dir = path.replace(/[^/]*$/, "");
    if (dir) await Deno.mkdir(dir, { recursive: true });
  }
  return await Deno.openKv(path);
}

/** `value` as JSON in chunks under `prefix`: `[...prefix, 0]`, `[...prefix, 1]`, … */
export function chunked(prefix: Deno.KvKey, value: unknown): [Deno.KvKey, Uint8Array][] {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const out: [Deno.KvKey, Uint8Array][] = [];
  for (let i = 0, n = 0; i < bytes.length || n === 0; i += CHUNK_BYTES, n++) {
    out.push([[...prefix, n], bytes.subarray(i, i + CHUNK_BYTES)]);
  }
  return out;
}

/** Reads back what {@link chunked} wrote; null when absent. */
export async function readChunked<T>(kv: Deno.Kv, prefix: Deno.KvKey): Promise<T | null> {
  const parts: Uint8Array[] = [];
  for await (const e of kv.list<Uint8Array>({ prefix })) parts.push(e.value);
  if (parts.length === 0) return null;
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return JSON.parse(new TextDecoder().decode(all)) as T;
}

let lastMs = 0;
let seq = 0;
/**
 * A time-ordered id: sorting ids sorts by creation (within one process
 * exactly, across processes to the millisecond), which keeps each chat's
 * queue first-in first-out.
 */
export function newId(): string {
  const ms = Date.now();
  if (ms === lastMs) seq++;
  else {
    lastMs = ms;
    seq = 0;
  }
  const rand = crypto.getRandomValues(new Uint8Array(4));
  return ms.toString(36).padStart(9, "0") + seq.toString(36).padStart(4, "0") +
    [...rand].map((b) => (b % 36).toString(36)).join("");
}
