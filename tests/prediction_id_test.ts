/**
 * Signed prediction ids (edge/serving/prediction_id.ts) and the replay
 * stores (edge/serving/replay_guard.ts) on their own; the cross-process
 * behaviour is in edge_feedback_ids_test.ts.
 */
import { strict as assert } from "node:assert";
import { createPredictionIds, randomSecret } from "../edge/serving/prediction_id.ts";
import { kvReplayGuard, memoryReplayGuard } from "../edge/serving/replay_guard.ts";

const OLD = "old-secret-0123456789abcdef0123456789";
const NEW = "new-secret-0123456789abcdef0123456789";
const DAY = 86_400_000;

Deno.test("prediction ids: what was issued verifies, with every claim, and each id is unique", () => {
  const ids = createPredictionIds({ secrets: [NEW], ttlMs: DAY });
  const answers = [
    [{ version: "7", label: "no" }, { version: "8", label: "yes" }],
    [{ version: null, label: '\u00e9 "quoted" \u{1f600}' }],
  ];
  const issued = ids.issue("tiny", answers, "key:0123456789abcdef");
  assert.equal(issued.length, 2);
  assert.notEqual(issued[0], issued[1]);
  for (const id of issued) assert.match(id, /^p1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  for (let i = 0; i < 2; i++) {
    const v = ids.verify(issued[i]);
    assert.ok(v.ok);
    assert.equal(v.claims.model, "tiny");
    assert.deepEqual(v.claims.answers, answers[i]);
    assert.equal(v.claims.client, "key:0123456789abcdef");
    assert.ok(Math.abs(v.claims.issuedAt - Date.now()) < 5000);
    assert.equal(v.expiresAt, v.claims.issuedAt + DAY);
  }
  const [bare] = ids.issue("tiny", [[{ version: "7", label: "no" }]]);
  const v = ids.verify(bare);
  assert.ok(v.ok && v.claims.client === undefined);
  // 1000 ids: 1000 nonces.
  const many = ids.issue("tiny", Array(1000).fill([{ version: "7", label: "no" }]));
  const nonces = many.map((id) => {
    const r = ids.verify(id);
    return r.ok ? r.claims.nonce : "";
  });
  assert.equal(new Set(nonces).size, 1000);
});

Deno.test("prediction ids: the format is p1.<base64url JSON {m,a,t,k?,n}>.<HMAC-SHA256 over p1.<payload>, 16 bytes>", async () => {
  // Pinned byte for byte (ids issued by an older edge must keep verifying
  // after an upgrade, and this one's by an older one): the payload is what
  // JSON.stringify writes and the tag is Web Crypto's HMAC, not our own.
  const t = 1764686500123;
  const ids = createPredictionIds({ secrets: [NEW], ttlMs: DAY, now: () => t });
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(NEW),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const B64 = { alphabet: "base64url", omitPadding: true } as const;
  const cases: [string, { version: string | null; label: string }[][], string | undefined][] = [
    ["telco-customer-churn", [[{ version: "12", label: "No" }]], undefined],
    ['мо\u0434ель "x"', [[{ version: null, label: '\u00e9 "q" \u{1f600}\n' }, {
      version: "8",
      label: "yes",
    }]], "key:0123456789abcdef"],
    ["m".repeat(600), [[{ version: "1", label: "l".repeat(900) }]], undefined],
  ];
  for (const [model, answers, client] of cases) {
    for (const id of ids.issue(model, answers, client)) {
      const [p, payload, tag] = id.split(".");
      assert.equal(p, "p1");
      const text = new TextDecoder().decode(Uint8Array.fromBase64(payload, B64));
      const n = JSON.parse(text).n;
      assert.match(n, /^[A-Za-z0-9_-]{12}$/);
      const expected = JSON.stringify({
        m: model,
        a: answers[0].map((x) => [x.version, x.label]),
        t,
        ...(client === undefined ? {} : { k: client }),
        n,
      });
      assert.equal(text, expected);
      const mac = new Uint8Array(
        await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`p1.${payload}`)),
      );
      assert.equal(tag, mac.subarray(0, 16).toBase64(B64));
    }
  }
});

Deno.test("prediction ids: altered, re-signed, truncated or foreign ids are refused", () => {
  const ids = createPredictionIds({ secrets: [NEW], ttlMs: DAY });
  const other = createPredictionIds({ secrets: [randomSecret()], ttlMs: DAY });
  const [id] = ids.issue("tiny", [[{ version: "7", label: "no" }]], "key:a");
  const [foreign] = other.issue("tiny", [[{ version: "7", label: "no" }]], "key:a");
  const [p1, payload, tag] = id.split(".");
  const claims = JSON.parse(
    new TextDecoder().decode(Uint8Array.fromBase64(payload, { alphabet: "base64url" })),
  );
  const rewritten = (change: Record<string, unknown>) =>
    new TextEncoder().encode(JSON.stringify({ ...claims, ...change })).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
  const flip = (s: string, i: number) =>
    s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
  const forged = [
    foreign, // signed with a secret this edge does not hold
    `${p1}.${rewritten({ a: [["7", "yes"]] })}.${tag}`, // the label changed
    `${p1}.${rewritten({ k: "key:b" })}.${tag}`, // another client
    `${p1}.${rewritten({ t: claims.t + DAY })}.${tag}`, // a later time
    `${p1}.${payload}.${flip(tag, 3)}`,
    `${p1}.${flip(payload, 5)}.${tag}`,
    `${p1}.${payload}.${tag.slice(0, 21)}B`,
  ];
  for (const f of forged) {
    assert.deepEqual(ids.verify(f), { ok: false, problem: "forged" }, f);
  }
  for (
    const m of [
      "",
      "p1.",
      "nope",
      `p2.${payload}.${tag}`,
      `${p1}.${payload}`,
      `${p1}.${payload}.${tag}=`,
      `${p1}.pay load.${tag}`,
    ]
  ) {
    const r = ids.verify(m);
    assert.equal(r.ok, false, m);
  }
  assert.ok(ids.verify(id).ok, "the genuine id still verifies");
});

Deno.test("prediction ids: rotation — the first secret signs, every listed one verifies", () => {
  const before = createPredictionIds({ secrets: [OLD], ttlMs: DAY });
  const during = createPredictionIds({ secrets: [NEW, OLD], ttlMs: DAY });
  const after = createPredictionIds({ secrets: [NEW], ttlMs: DAY });
  const [oldId] = before.issue("tiny", [[{ version: "7", label: "no" }]]);
  const [newId] = during.issue("tiny", [[{ version: "7", label: "no" }]]);
  assert.ok(during.verify(oldId).ok, "old id accepted while the old secret is listed");
  assert.ok(during.verify(newId).ok);
  assert.ok(after.verify(newId).ok, "new ids are signed with the new secret");
  assert.equal(before.verify(newId).ok, false);
  assert.deepEqual(after.verify(oldId), { ok: false, problem: "forged" });
});

Deno.test("prediction ids: expire after the TTL; ids from the future are refused", () => {
  let now = 1_767_225_600_000;
  const ids = createPredictionIds({ secrets: [NEW], ttlMs: 60_000, now: () => now });
  const [id] = ids.issue("tiny", [[{ version: "7", label: "no" }]]);
  now += 59_999;
  assert.ok(ids.verify(id).ok);
  now += 1;
  assert.deepEqual(ids.verify(id), { ok: false, problem: "expired" });
  now -= 60_000 + 10 * 60_000; // the verifier's clock 10 minutes behind the issuer's
  assert.deepEqual(ids.verify(id), { ok: false, problem: "expired" });
  now += 6 * 60_000; // 4 minutes behind: within the allowed skew
  assert.ok(ids.verify(id).ok);
});

Deno.test("replay guard (memory): once per nonce, bounded, oldest forgotten first", async () => {
  const guard = memoryReplayGuard(3);
  const far = Date.now() + DAY;
  assert.equal(await guard.claim("a", far), true);
  assert.equal(await guard.claim("a", far), false);
  for (const n of ["b", "c", "d"]) assert.equal(await guard.claim(n, far), true);
  assert.equal(await guard.claim("d", far), false);
  assert.equal(await guard.claim("a", far), true, "forgotten once 3 newer claims came");
  // Expired claims are forgotten first, so live ones stay.
  let t = 0;
  const timed = memoryReplayGuard(2, () => t);
  assert.equal(await timed.claim("old", 10), true);
  assert.equal(await timed.claim("live", 1000), true);
  t = 20; // "old" has expired
  assert.equal(await timed.claim("new", 1000), true);
  assert.equal(await timed.claim("live", 1000), false, "the live claim is still remembered");
});

Deno.test("replay guard (KV): one claim wins across two connections to one file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-kv-" });
  try {
    const a = kvReplayGuard(await Deno.openKv(`${dir}/feedback.db`));
    const b = kvReplayGuard(await Deno.openKv(`${dir}/feedback.db`));
    const far = Date.now() + DAY;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim("same", far)),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await a.claim("other", far), true);
    assert.equal(await b.claim("other", far), false);
    a.close();
    b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
