/**
 * Feedback that any isolate accepts (issue 16 item 1), with the real entry
 * point in two processes that share only the signing secret and a KV file:
 * a prediction made by one is judged by the other, a replay is refused on
 * either, forged and expired ids are refused, and an id signed with a
 * rotated-out secret still counts while that secret is listed.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { writeBundle } from "../lib/model/io.ts";
import { fetchWithin, startEdgeProcess, waitReady } from "./support/edge_process.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const BLUE_LOW = { x: 1, color: "blue" }; // → "no"
const OLD = "old-secret-0123456789abcdef0123456789";
const NEW = "new-secret-0123456789abcdef0123456789";

async function withStore(fn: (modelDir: string, kvPath: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-feedback-ids-" });
  try {
    await writeBundle(join(dir, "model"), tinyBundle());
    await fn(join(dir, "model"), join(dir, "feedback.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function edgeEnv(modelDir: string, kvPath: string, extra: Record<string, string> = {}) {
  return {
    env: { MODEL_PATH: modelDir, FEEDBACK_KV_PATH: kvPath, ...extra },
    flags: [`--allow-write=${kvPath}`],
  };
}

async function predict(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetchWithin(`${url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(BLUE_LOW),
  });
  assert.equal(res.status, 200);
  return (await res.json()).prediction_id;
}

async function feedback(
  url: string,
  id: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetchWithin(`${url}/v1/feedback`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ prediction_id: id, actual: "no" }),
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("feedback ids: two processes sharing a secret and a KV file judge each other's predictions once", async () => {
  await withStore(async (model, kv) => {
    const { env, flags } = edgeEnv(model, kv, { PREDICTION_ID_SECRETS: NEW, API_KEYS: "k1,k2" });
    await using a = await startEdgeProcess(env, 20_000, { flags });
    await using b = await startEdgeProcess(env, 20_000, { flags });
    await Promise.all([waitReady(a), waitReady(b)]);
    const k1 = { authorization: "Bearer k1" }, k2 = { authorization: "Bearer k2" };

    const fromA = await predict(a.url, k1);
    // Another key is refused on either process, and does not use the id up.
    assert.equal((await feedback(b.url, fromA, k2)).status, 403);
    const judged = await feedback(b.url, fromA, k1);
    assert.equal(judged.status, 200, JSON.stringify(judged.body));
    assert.equal(judged.body.predicted, "no");
    assert.equal(judged.body.correct, true);
    // Replays: on the process that judged it, and on the one that made it.
    for (const url of [b.url, a.url]) {
      const again = await feedback(url, fromA, k1);
      assert.equal(again.status, 409, url);
      assert.equal(again.body.error_code, "FEEDBACK_ALREADY_RECORDED");
    }
    // The other way round, and both at once: exactly one of two racing claims wins.
    const fromB = await predict(b.url, k2);
    const race = await Promise.all([feedback(a.url, fromB, k2), feedback(b.url, fromB, k2)]);
    assert.deepEqual(race.map((r) => r.status).sort(), [200, 409]);

    // Forged: another secret, or an altered label.
    const stranger = "stranger-0123456789abcdef0123456789ab";
    await using c = await startEdgeProcess(
      { MODEL_PATH: model, PREDICTION_ID_SECRETS: stranger, API_KEYS: "k1" },
    );
    await waitReady(c);
    const foreign = await predict(c.url, k1);
    const refused = await feedback(a.url, foreign, k1);
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error_code, "UNKNOWN_PREDICTION_ID");
    const fresh = await predict(a.url, k1);
    const [p1, payload, tag] = fresh.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    claims.a[0][1] = "yes";
    const altered = `${p1}.${
      btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
    }.${tag}`;
    assert.equal((await feedback(b.url, altered, k1)).status, 404);
    assert.equal((await feedback(b.url, fresh, k1)).status, 200, "the genuine id is untouched");

    // Only accepted feedback reaches Prometheus, on whichever process took it.
    let correct = 0;
    for (const p of [a, b]) {
      const metrics = await (await fetchWithin(`${p.url}/metrics`)).text();
      correct += Number(
        /^mlops_feedback_total\{[^}]*outcome="correct"[^}]*\} (\d+)$/m.exec(metrics)?.[1] ?? 0,
      );
    }
    assert.equal(correct, 3);
  });
});

Deno.test("feedback ids: an id expires after PREDICTION_ID_TTL, on every process", async () => {
  await withStore(async (model, kv) => {
    const { env, flags } = edgeEnv(model, kv, {
      PREDICTION_ID_SECRETS: NEW,
      PREDICTION_ID_TTL: "1",
    });
    await using a = await startEdgeProcess(env, 20_000, { flags });
    await using b = await startEdgeProcess(env, 20_000, { flags });
    await Promise.all([waitReady(a), waitReady(b)]);
    const early = await predict(a.url);
    assert.equal((await feedback(b.url, early)).status, 200, "within the TTL");
    const late = await predict(a.url);
    await new Promise((r) => setTimeout(r, 1_100));
    for (const url of [a.url, b.url]) {
      const res = await feedback(url, late);
      assert.equal(res.status, 410, url);
      assert.equal(res.body.error_code, "PREDICTION_ID_EXPIRED");
    }
  });
});

Deno.test("feedback ids: rotation — ids signed with the old secret count while it is listed", async () => {
  await withStore(async (model, kv) => {
    const old = edgeEnv(model, kv, { PREDICTION_ID_SECRETS: OLD });
    const rotated = edgeEnv(model, kv, { PREDICTION_ID_SECRETS: `${NEW},${OLD}` });
    const dropped = edgeEnv(model, kv, { PREDICTION_ID_SECRETS: NEW });
    await using before = await startEdgeProcess(old.env, 20_000, { flags: old.flags });
    await using during = await startEdgeProcess(rotated.env, 20_000, { flags: rotated.flags });
    await using after = await startEdgeProcess(dropped.env, 20_000, { flags: dropped.flags });
    await Promise.all([waitReady(before), waitReady(during), waitReady(after)]);
    const signedOld = await predict(before.url);
    const signedOld2 = await predict(before.url);
    const signedNew = await predict(during.url);
    assert.equal((await feedback(during.url, signedOld)).status, 200, "old id, old secret listed");
    assert.equal((await feedback(after.url, signedNew)).status, 200, "new secret signs");
    const gone = await feedback(after.url, signedOld2);
    assert.equal(gone.status, 404, "old secret dropped");
    assert.match(String(gone.body.message), /signature/);
    assert.equal((await feedback(during.url, signedOld2)).status, 200);
  });
});

Deno.test("feedback ids: without PREDICTION_ID_SECRETS a warning says feedback stays on this process", async () => {
  await withStore(async (model) => {
    await using a = await startEdgeProcess({ MODEL_PATH: model });
    await using b = await startEdgeProcess({ MODEL_PATH: model });
    await Promise.all([waitReady(a), waitReady(b)]);
    assert.match(a.output(), /PREDICTION_ID_SECRETS is not set/);
    const id = await predict(a.url);
    assert.equal((await feedback(b.url, id)).status, 404);
    assert.equal((await feedback(a.url, id)).status, 200);
    assert.equal((await feedback(a.url, id)).status, 409, "in-memory replay protection");
  });
});

Deno.test("feedback ids: a KV file the edge may not write is refused at start, naming the flag", async () => {
  await withStore(async (model, kv) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "--allow-net", "--allow-sys", "edge/main.ts"],
      cwd: new URL("../", import.meta.url).pathname,
      env: { MODEL_PATH: model, FEEDBACK_KV_PATH: kv, PORT: "0", HOST: "127.0.0.1" },
      stdout: "piped",
      stderr: "piped",
    });
    const out = await child.output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), /FEEDBACK_KV_PATH .* needs --allow-write=/);
  });
});
