/**
 * Identifiers shaped like MLflow's, so our runs and experiments are
 * indistinguishable from those written by MLflow's Python client.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A run id: a random UUID4 as 32 lowercase hex characters. */
export function newRunId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * An experiment id: a random positive 63-bit integer as a decimal string,
 * like MLflow's file store (`_generate_unique_integer_id`).
 */
export function newExperimentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  bytes[0] &= 0x7f;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return (n === 0n ? 1n : n).toString();
}

/** MD5 of the concatenated parts, as MLflow derives dataset and input ids. */
export function md5Hex(...parts: string[]): string {
  const h = createHash("md5");
  for (const p of parts) h.update(p, "utf8");
  return h.digest("hex");
}

/** True for a full 32-hex run id. */
export function isRunId(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s);
}

const ADJECTIVES = [
  "amazing",
  "bold",
  "brave",
  "calm",
  "clever",
  "crisp",
  "eager",
  "gentle",
  "happy",
  "keen",
  "lucky",
  "merry",
  "nimble",
  "placid",
  "quick",
  "quiet",
  "silent",
  "sunny",
  "tidy",
  "witty",
];
const ANIMALS = [
  "ant",
  "bass",
  "bat",
  "boar",
  "crab",
  "deer",
  "eel",
  "finch",
  "fox",
  "gull",
  "hound",
  "koi",
  "lamb",
  "lark",
  "mole",
  "newt",
  "owl",
  "pug",
  "seal",
  "wren",
];

/** A readable random run name in MLflow's style, e.g. "calm-newt-318". */
export function randomRunName(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint16Array(3));
  return `${ADJECTIVES[a % ADJECTIVES.length]}-${ANIMALS[b % ANIMALS.length]}-${c % 1000}`;
}

/** A logged model id, as MLflow 3 makes them: `m-` and a UUID4 as 32 hex characters. */
export function newModelId(): string {
  return `m-${newRunId()}`;
}

/** True for a logged model id (`m-<32 hex>`). */
export function isModelId(s: string): boolean {
  return /^m-[0-9a-f]{32}$/.test(s);
}
