/**
 * The bot's `POST /notify` (the contract in lib/notify/bot.ts), end to end:
 * lib/notify's real bot sender → the real bot → the strict Telegram
 * emulator. One message per alert chat, escaped; a repeated id delivered
 * once (also after a lost answer and across a kill -9); refusals that name
 * what is wrong and queue nothing.
 */
import { strict as assert } from "node:assert";
import { botChannel, type Notification, notify } from "../lib/notify/mod.ts";
import {
  ALERT_CHAT,
  ALERT_TOKEN,
  botEnv,
  postNotify,
  startBot,
  startBotProcess,
  startEmulator,
} from "./support/bot_harness.ts";
import { startDropProxy } from "./support/drop_proxy.ts";
import { scrapeValue } from "./support/prometheus_text.ts";

/** A second alert chat (a private one), so "every alert chat" means two. */
const SECOND_CHAT = 4242;
const CHATS = { TELEGRAM_ALERT_CHATS: `${ALERT_CHAT},${SECOND_CHAT}` };
/** The sender's retries, fast. */
const FAST = { sleep: () => Promise.resolve(), timeoutMs: 2000 };

const hostile: Notification = {
  id: "batch-2025-03-01",
  title: `Batch <b>done</b> & "dusted"`,
  text: `rows: 7,043\n<script>alert(1)</script> & <!channel> 🎉\n&amp; stays literal`,
  severity: "warning",
  url: "https://ci.example.com/run?id=1&attempt=2",
};

Deno.test("bot notify: lib/notify's bot sender → the bot → one escaped message per alert chat; a retried id stays one", async () => {
  await using emu = await startEmulator();
  emu.addChat(SECOND_CHAT, "Second");
  await using bot = await startBot(emu, CHATS);
  const channel = botChannel({ ...FAST, url: bot.url, token: ALERT_TOKEN });

  await channel.send(hostile);
  for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
    await emu.waitFor(() => emu.sent(chat).length === 1, 5000, `the message in ${chat}`);
  }
  for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
    const [m] = emu.sent(chat);
    assert.equal(m.parse_mode, "HTML");
    // What a reader sees is exactly what was sent, markup-looking text included.
    assert.equal(m.text, `⚠️ ${hostile.title}\n\n${hostile.text}\n\nDetails`);
    assert.deepEqual(m.entities?.find((e) => e.type === "bold"), {
      type: "bold",
      offset: 3,
      length: hostile.title.length,
    });
    assert.equal(m.entities?.find((e) => e.type === "text_link")?.url, hostile.url);
  }

  // The same id again: a retry after a lost answer, or a second run of the step.
  await channel.send(hostile);
  const again = await postNotify(bot.url, hostile);
  assert.equal(again.status, 202, JSON.stringify(again.json));
  assert.equal(again.json.status, "duplicate");
  assert.equal(again.json.id, hostile.id);

  // An answer lost after the bot queued it: the sender retries through the drop, still one.
  const proxy = startDropProxy(bot.url);
  try {
    proxy.failAt({ at: 1, when: "after", persist: false });
    const lost = { ...hostile, id: "lost-answer-1", title: "Lost answer" };
    await botChannel({ ...FAST, url: proxy.url, token: ALERT_TOKEN }).send(lost);
    assert.equal(proxy.count(), 2, "the sender retried once");
  } finally {
    await proxy.close();
  }
  for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
    await emu.waitFor(() => emu.sent(chat).length === 2, 5000, `the second message in ${chat}`);
  }
  await new Promise((r) => setTimeout(r, 400));
  for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
    assert.deepEqual(
      emu.sent(chat).map((m) => m.text.split("\n")[0]),
      [`⚠️ ${hostile.title}`, "⚠️ Lost answer"],
      "each notification exactly once",
    );
  }
  assert.equal((await bot.app.outbox.stats()).depth, 0);

  // Without an id every POST is its own notification.
  const { id: _id, ...anonymous } = { ...hostile, title: "No id", url: undefined };
  assert.equal((await postNotify(bot.url, anonymous)).json.status, "queued");
  assert.equal((await postNotify(bot.url, anonymous)).json.status, "queued");
  await emu.waitFor(() => emu.sent(SECOND_CHAT).length === 4, 5000, "both id-less ones");
  const last = emu.sent(SECOND_CHAT).at(-1)!;
  assert.equal(last.text, `⚠️ No id\n\n${hostile.text}`, "no link without a url");

  // Metrics, with the alert intake's conventions.
  const m = (name: string, labels?: Record<string, string>) => scrapeValue(bot.url, name, labels);
  assert.equal(await m("mlops_bot_notify_requests_total", { outcome: "queued" }), 4);
  assert.equal(await m("mlops_bot_notify_requests_total", { outcome: "duplicate" }), 3);
  assert.equal(await m("mlops_bot_notifications_received_total"), 7);
  assert.equal(await m("mlops_bot_notifications_deduplicated_total"), 3);
  assert.equal(await m("mlops_bot_notifications_delivered_total"), 8, "4 notifications × 2 chats");
  assert.equal(await m("mlops_bot_alerts_received_total"), 0, "notifications are not alerts");
});

Deno.test("bot notify: wrong token → 401, bad fields → 400 naming the field, > 64 KiB → 413; nothing queued", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  const ok = { title: "t", text: "x", severity: "info" };

  for (const token of [null, ALERT_TOKEN + "x", "short", ""]) {
    const r = await postNotify(bot.url, ok, token);
    assert.equal(r.status, 401, `token ${token}`);
    assert.equal(r.json.error_code, "UNAUTHORIZED");
  }
  // Through lib/notify: one line, no retry of a refusal.
  const [denied] = await notify(hostile, [
    botChannel({ ...FAST, url: bot.url, token: "wrong-token-0123456789" }),
  ]);
  assert.equal(denied.ok, false);
  assert.match(denied.error!, /^bot: .*\/notify refused \(401\)/);

  const cases: [unknown, string][] = [
    [[ok], ""],
    [null, ""],
    [{ ...ok, title: undefined }, "title"],
    [{ ...ok, title: "  " }, "title"],
    [{ ...ok, title: "two\nlines" }, "title"],
    [{ ...ok, title: 7 }, "title"],
    [{ ...ok, text: undefined }, "text"],
    [{ ...ok, text: ["x"] }, "text"],
    [{ ...ok, severity: "loud" }, "severity"],
    [{ ...ok, severity: undefined }, "severity"],
    [{ ...ok, url: "javascript:alert(1)" }, "url"],
    [{ ...ok, url: "not a url" }, "url"],
    [{ ...ok, url: 5 }, "url"],
    [{ ...ok, id: 12 }, "id"],
    [{ ...ok, id: "" }, "id"],
    [{ ...ok, id: "x".repeat(300) }, "id"],
  ];
  for (const [body, field] of cases) {
    const r = await postNotify(bot.url, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error_code, "INVALID_INPUT");
    // The message starts with the field (the body itself has none and says "body").
    assert.match(
      String(r.json.message),
      new RegExp(`^${field || "body"}\\b`),
      JSON.stringify(r.json),
    );
    assert.deepEqual((r.json.details as { path: string }[]).map((d) => d.path), [field]);
  }
  const notJson = await postNotify(bot.url, "{not json");
  assert.equal(notJson.status, 400);
  assert.equal(notJson.json.error_code, "INVALID_JSON");

  // 64 KiB is the limit: just under passes, just over is refused before being read whole.
  const envelope = JSON.stringify({ ...ok, text: "" }).length;
  const under = await postNotify(bot.url, { ...ok, text: "a".repeat(64 * 1024 - envelope) });
  assert.equal(under.status, 202, JSON.stringify(under.json));
  const over = await postNotify(bot.url, { ...ok, text: "a".repeat(64 * 1024 - envelope + 1) });
  assert.equal(over.status, 413, JSON.stringify(over.json));
  assert.equal(over.json.error_code, "PAYLOAD_TOO_LARGE");
  // Chunked (no declared length): refused the same way.
  const chunked = await fetch(`${bot.url}/notify`, {
    method: "POST",
    headers: { authorization: `Bearer ${ALERT_TOKEN}`, "content-type": "application/json" },
    body: ReadableStream.from([new TextEncoder().encode("x".repeat(70 * 1024))]),
  });
  assert.equal(chunked.status, 413);
  await chunked.body?.cancel();

  // Only the one under the limit was queued; it arrives split, each part within 4,096.
  await emu.waitFor(
    async () => (await bot.app.outbox.stats()).depth === 0 && emu.sent(ALERT_CHAT).length > 0,
    10_000,
    "the long one, split",
  );
  const parts = emu.sent(ALERT_CHAT);
  assert.ok(parts.length >= 16, `${parts.length} parts`);
  assert.ok(parts.every((p) => p.text.length <= 4096));
  assert.equal(
    parts.map((p) => p.text).join("").replace(/^ℹ️ t\n*/, "").length,
    64 * 1024 - envelope,
    "every character of the text arrived",
  );
  assert.equal((await bot.app.outbox.stats()).depth, 0);
  assert.equal(
    await scrapeValue(bot.url, "mlops_bot_notify_requests_total", { outcome: "queued" }),
    1,
  );
  assert.equal(
    await scrapeValue(bot.url, "mlops_bot_notify_requests_total", { outcome: "unauthorized" }),
    5,
  );
  assert.equal(
    await scrapeValue(bot.url, "mlops_bot_notify_requests_total", { outcome: "rejected" }),
    cases.length + 3,
  );
});

Deno.test("bot notify: a repeated id is dropped within BOT_DEDUP_WINDOW and delivered again after it", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu, { BOT_DEDUP_WINDOW: "1500ms" });
  const n = { id: "nightly-42", title: "Nightly", text: "done", severity: "info" };
  assert.equal((await postNotify(bot.url, n)).json.status, "queued");
  assert.equal((await postNotify(bot.url, n)).json.status, "duplicate");
  // The same id with other content is still the same notification.
  assert.equal((await postNotify(bot.url, { ...n, text: "changed" })).json.status, "duplicate");
  await new Promise((r) => setTimeout(r, 1700));
  assert.equal((await postNotify(bot.url, n)).json.status, "queued", "after the window");
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 2, 5000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(emu.sent(ALERT_CHAT).map((m) => m.text), [
    "ℹ️ Nightly\n\ndone",
    "ℹ️ Nightly\n\ndone",
  ]);
});

Deno.test("bot notify: no alert chat configured → 503 and a line saying so, nothing queued", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu, { TELEGRAM_ALERT_CHATS: "" });
  const r = await postNotify(bot.url, { title: "t", text: "", severity: "info" });
  assert.equal(r.status, 503, JSON.stringify(r.json));
  assert.match(String(r.json.message), /TELEGRAM_ALERT_CHATS/);
  assert.equal((await bot.app.outbox.stats()).depth, 0);
});

Deno.test("bot notify: killed with SIGKILL after the 2xx, restarted on the same store → delivered once", async () => {
  await using emu = await startEmulator();
  emu.addChat(SECOND_CHAT, "Second");
  const dir = await Deno.makeTempDir({ prefix: "mlops-bot-notify-kill-" });
  const env = botEnv(emu, { ...CHATS, BOT_STORE: `${dir}/bot.kv`, BOT_LEASE: "1s" });
  try {
    const first = await startBotProcess(env);
    // Telegram unreachable: the notification can only be in the store when the bot dies.
    await emu.stop();
    const n = { ...hostile, id: "survives-kill-9" };
    await botChannel({ ...FAST, url: first.url, token: ALERT_TOKEN }).send(n);
    first.child.kill("SIGKILL");
    await first.exited;
    await first[Symbol.asyncDispose]();
    await emu.start();

    await using second = await startBotProcess(env);
    // The sender retrying against the new process (its answer was lost): still once.
    await botChannel({ ...FAST, url: second.url, token: ALERT_TOKEN }).send(n);
    for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
      await emu.waitFor(() => emu.sent(chat).length === 1, 20_000, `delivery to ${chat}`);
    }
    await new Promise((r) => setTimeout(r, 700));
    for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
      assert.equal(emu.sent(chat).length, 1, `exactly one in ${chat}`);
      assert.equal(emu.sent(chat)[0].text, `⚠️ ${n.title}\n\n${n.text}\n\nDetails`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bot notify: a chat that blocked the bot → that delivery is dead-lettered, listed and counted", async () => {
  await using emu = await startEmulator();
  const BLOCKED = 777;
  emu.addChat(BLOCKED);
  emu.blocked.add(BLOCKED);
  await using bot = await startBot(emu, { TELEGRAM_ALERT_CHATS: `${ALERT_CHAT},${BLOCKED}` });
  const r = await postNotify(bot.url, { title: "Nightly <ok>", text: "", severity: "info" });
  assert.equal(r.json.jobs, 2);
  await emu.waitFor(
    async () => {
      const s = await bot.app.outbox.stats();
      return s.dead === 1 && s.depth === 0;
    },
    5000,
    "one delivered, one dead letter",
  );
  assert.equal(emu.sent(ALERT_CHAT).length, 1, "the other chat still got it");
  const [dead] = await bot.app.outbox.deadLetters();
  assert.equal(dead.chat, BLOCKED);
  assert.equal(dead.title, "Nightly <ok> (notification)");
  assert.equal(await scrapeValue(bot.url, "mlops_bot_notifications_dead_lettered_total"), 1);
  assert.equal(await scrapeValue(bot.url, "mlops_bot_notifications_delivered_total"), 1);
  assert.equal(await scrapeValue(bot.url, "mlops_bot_alerts_dead_lettered_total"), 0);
});
