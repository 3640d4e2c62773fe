/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), synchronous, in plain
 * TypeScript.
 *
 * Why not `node:crypto` or Web Crypto: Web Crypto is asynchronous (a promise
 * per digest, which the edge cannot afford once per prediction), and
 * importing `node:crypto` boots Deno's Node compatibility layer, about 90 ms
 * of an edge's cold start before its first prediction. Signing a prediction
 * id here is two or three compressions of a key prepared once
 * ({@link HmacSha256}), about a microsecond. Tests check both functions
 * against Web Crypto and RFC 4231's vectors.
 *
 * @module
 */

const K = Int32Array.of(
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
);

const INITIAL = Int32Array.of(
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
);

const W = new Int32Array(64);

/** Compresses the 64-byte block of `bytes` at `at` into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  const w = W;
  for (let i = 0; i < 16; i++, at += 4) {
    w[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15], b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

const TAIL = new Uint8Array(128);

/**
 * Runs `bytes` through `state`, which has already absorbed `prefix` bytes
 * (0 or a whole number of blocks), pads, and writes the digest into `out`.
 */
function finish(
  state: Int32Array,
  prefix: number,
  bytes: Uint8Array,
  out: Uint8Array,
): Uint8Array {
  const n = bytes.length;
  const whole = n - (n % 64);
  for (let at = 0; at < whole; at += 64) compress(state, bytes, at);
  const rest = n - whole;
  const tail = TAIL;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = bytes[whole + i];
  tail[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  const bits = (prefix + n) * 8;
  const end = blocks * 64;
  // Message length in bits, big-endian, in the last 8 bytes (up to 2^53).
  const high = Math.floor(bits / 0x100000000), low = bits >>> 0;
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = low >>> 24;
  tail[end - 3] = low >>> 16;
  tail[end - 2] = low >>> 8;
  tail[end - 1] = low;
  compress(state, tail, 0);
  if (blocks === 2) compress(state, tail, 64);
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}

/**
 * The SHA-256 digest of `bytes` (32 bytes).
 *
 * @example
 * ```ts
 * sha256(new TextEncoder().encode("abc")).toHex(); // "ba7816bf8f01cfea…"
 * ```
 */
export function sha256(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return finish(Int32Array.from(INITIAL), 0, bytes, new Uint8Array(32)) as Uint8Array<
    ArrayBuffer
  >;
}

const encoder = new TextEncoder();

/**
 * The SHA-256 digest of `text`'s UTF-8 bytes, as 64 lower-case hex digits.
 *
 * @example
 * ```ts
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function sha256Hex(text: string): string {
  return sha256(encoder.encode(text)).toHex();
}

/**
 * HMAC-SHA-256 with a key prepared once: the inner and outer pads' states
 * are computed at construction, so a short message costs two or three
 * compressions.
 */
export class HmacSha256 {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);
  readonly #state = new Int32Array(8);
  readonly #digest = new Uint8Array(32);

  /**
   * @example
   * ```ts
   * const hmac = new HmacSha256(new TextEncoder().encode("key"));
   * hmac.mac(new TextEncoder().encode("message")).toHex();
   * ```
   */
  constructor(key: Uint8Array) {
    const k = key.length > 64 ? sha256(key) : key;
    const pad = new Uint8Array(64);
    for (const [state, byte] of [[this.#inner, 0x36], [this.#outer, 0x5c]] as const) {
      state.set(INITIAL);
      pad.fill(byte);
      for (let i = 0; i < k.length; i++) pad[i] ^= k[i];
      compress(state, pad, 0);
    }
  }

  /**
   * The MAC of `message` (32 bytes), written to `out` (a fresh array by
   * default).
   */
  mac(message: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
    const s = this.#state, d = this.#digest;
    s.set(this.#inner);
    finish(s, 64, message, d);
    s.set(this.#outer);
    return finish(s, 64, d, out);
  }
}

/**
 * Whether two byte arrays are equal, in time that depends only on their
 * lengths (for comparing MACs).
 *
 * @example
 * ```ts
 * equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)); // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
