/**
 * The synchronous SHA-256 and HMAC against Web Crypto (every length across
 * the padding boundaries, and large inputs) and RFC 4231's HMAC vectors.
 */
import { strict as assert } from "node:assert";
import { equalBytes, HmacSha256, sha256, sha256Hex } from "../lib/sha256.ts";
import { rng } from "../lib/rng.ts";

const hex = (b: ArrayBuffer | Uint8Array) => new Uint8Array(b).toHex();

function randomBytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

Deno.test("sha256: equals Web Crypto for every length around the block boundaries and large inputs", async () => {
  const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4095, 4096, 100_003];
  for (const n of lengths) {
    const bytes = randomBytes(n, n + 1);
    assert.equal(hex(sha256(bytes)), hex(await crypto.subtle.digest("SHA-256", bytes)), `n=${n}`);
  }
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

Deno.test("hmac-sha256: RFC 4231 test cases 1, 2, 3, 4, 6 and 7", () => {
  const b = (h: string) => Uint8Array.fromHex(h);
  const t = (s: string) => new TextEncoder().encode(s);
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      b("0b".repeat(20)),
      t("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      t("Jefe"),
      t("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      b("aa".repeat(20)),
      b("dd".repeat(50)),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ],
    [
      b("0102030405060708090a0b0c0d0e0f10111213141516171819"),
      b("cd".repeat(50)),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ],
    [
      b("aa".repeat(131)),
      t("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      b("aa".repeat(131)),
      t(
        "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, mac] of cases) {
    const hmac = new HmacSha256(key);
    assert.equal(hex(hmac.mac(data)), mac);
    assert.equal(hex(hmac.mac(data)), mac, "a prepared key is reusable");
  }
});

Deno.test("hmac-sha256: equals Web Crypto on random keys and messages", async () => {
  for (let i = 0; i < 40; i++) {
    const key = randomBytes(1 + i * 3, 100 + i), msg = randomBytes(i * 7, 200 + i);
    const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    assert.equal(hex(new HmacSha256(key).mac(msg)), hex(await crypto.subtle.sign("HMAC", k, msg)));
  }
});

Deno.test("equalBytes: same bytes only", () => {
  assert.equal(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)), true);
  assert.equal(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), false);
  assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)), false);
});
