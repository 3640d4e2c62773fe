/**
 * Faults: Telegram down, the bot killed mid-delivery, a burst, flood
 * control, 5xx, refused markup, chats that refuse the bot.
 *
 * The outage lasts `BOT_TEST_OUTAGE_MS` (default 3 s; the full
 * minute is `BOT_TEST_OUTAGE_MS=60000`, which bench/bot_intake.ts --outage
 * also runs): the emulator really stops listening for that long.
 */
import { strict as assert } from "node:assert";
import {
  ADMIN,
  ALERT_CHAT,
  botEnv,
  notification,
  postAlerts,
  startBot,
  startBotProcess,
  startEmulator,
  TOKEN,
} from "./support/bot_harness.ts";
import type { TelegramEmulator } from "./support/telegram_emulator.ts";

const OUTAGE_MS = Number(Deno.env.get("BOT_TEST_OUTAGE_MS") ?? 3000);

/** N distinct single-alert notifications named A0…A(N-1). */
function distinct(n: number, prefix = "A") {
  return Array.from(
    { length: n },
    (_, i) =>
      notification([{ name: `${prefix}${i}`, fingerprint: `${i.toString(16).padStart(16, "0")}` }]),
  );
}

/** How many messages in `chat` announce each alert name. */
function counts(emu: TelegramEmulator, chat: number, prefix = "A"): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of emu.sent(chat)) {
    const name = new RegExp(`FIRING: (${prefix}\\d+)`).exec(m.history?.[0] ?? m.text)?.[1];
    if (name) out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

Deno.test(`bot faults: Telegram down for ${OUTAGE_MS} ms → alerts queue → each delivered exactly once after`, async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  await emu.stop(); // really closed: connections are refused
  const sent = distinct(20);
  for (const n of sent) assert.equal((await postAlerts(bot.url, n)).status, 200);
  assert.equal((await bot.app.outbox.stats()).depth, 20, "all queued while Telegram is down");
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  assert.equal(emu.sent(ALERT_CHAT).length, 0);
  await emu.start();
  await emu.waitFor(() => counts(emu, ALERT_CHAT).size === 20, 30_000, "every alert");
  await new Promise((r) => setTimeout(r, 500));
  const c = counts(emu, ALERT_CHAT);
  assert.deepEqual([...c.values()].filter((v) => v !== 1), [], "each exactly once");
  assert.equal(emu.sent(ALERT_CHAT).length, 20);
  // In order: the queue is first-in first-out per chat.
  assert.deepEqual(
    emu.sent(ALERT_CHAT).map((m) => /FIRING: (A\d+)/.exec(m.text)![1]),
    sent.map((_, i) => `A${i}`),
  );
  assert.equal((await bot.app.outbox.stats()).depth, 0);
  assert.ok(bot.logs.some((l) => /retrying in/.test(l)));
  for (const l of bot.logs) assert.ok(!l.includes(TOKEN.split(":")[1]), `token in log: ${l}`);
});

Deno.test("bot faults: killed with SIGKILL mid-delivery, restarted → nothing lost, at most the in-flight message twice", async () => {
  await using emu = await startEmulator({ latencyMs: 60 });
  const dir = await Deno.makeTempDir({ prefix: "mlops-bot-kill-" });
  const env = botEnv(emu, {
    BOT_STORE: `${dir}/bot.kv`,
    BOT_LEASE: "1s",
    BOT_RETRY_MAX: "300ms",
    BOT_CHAT_INTERVAL: "20ms",
    BOT_GROUP_INTERVAL: "20ms",
  });
  try {
    const first = await startBotProcess(env);
    const all = distinct(40);
    const answers = await Promise.all(all.map((n) => postAlerts(first.url, n)));
    assert.ok(answers.every((a) => a.status === 200));
    await emu.waitFor(() => emu.sent(ALERT_CHAT).length >= 10, 20_000, "delivery under way");
    first.child.kill("SIGKILL");
    await first.exited;
    await first[Symbol.asyncDispose]();
    const atKill = emu.sent(ALERT_CHAT).length;
    assert.ok(atKill < 40, "killed before the end");

    await using second = await startBotProcess(env);
    await emu.waitFor(() => counts(emu, ALERT_CHAT).size === 40, 30_000, "all 40 after restart");
    await new Promise((r) => setTimeout(r, 500));
    const c = counts(emu, ALERT_CHAT);
    const dupes = [...c.values()].reduce((s, v) => s + v - 1, 0);
    assert.ok(dupes <= 1, `${dupes} duplicates (at most the one in flight)`);
    assert.ok(second.output().length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bot faults: a 1,000-alert burst is accepted at once and delivered within the flood limits", async () => {
  // Telegram's limits scaled down 20×: one message per 50 ms per chat, 20 per 3 s per group.
  await using emu = await startEmulator({
    chatIntervalMs: 50,
    groupPerMinute: 20,
    groupWindowMs: 3000,
  });
  await using bot = await startBot(emu, { BOT_GROUP_INTERVAL: "160ms", BOT_CHAT_INTERVAL: "60ms" });
  // 1,000 alerts as Alertmanager sends them: 50 groups of 20.
  const groups = Array.from({ length: 50 }, (_, g) =>
    notification(
      Array.from({ length: 20 }, (_, i) => ({
        name: `B${g}`,
        labels: { instance: `host-${i}` },
        fingerprint: `${(g * 100 + i).toString(16).padStart(16, "0")}`,
      })),
    ));
  const t0 = performance.now();
  const answers = await Promise.all(groups.map((n) => postAlerts(bot.url, n)));
  const acceptMs = performance.now() - t0;
  assert.ok(answers.every((a) => a.status === 200 && a.json.status === "queued"));
  console.log(`  1,000 alerts (50 notifications) accepted in ${acceptMs.toFixed(0)} ms`);
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 50, 30_000, "all 50 group messages");
  const refused = emu.calls("sendMessage").filter((r) => r.status === 429).length;
  assert.equal(refused, 0, "the bot's pacing kept within the limits");
});

Deno.test("bot faults: 429 waits retry_after; 5xx backs off; refused markup is resent as plain text", async () => {
  // The bot paces faster than this emulator allows: it must obey retry_after.
  await using emu = await startEmulator({ chatIntervalMs: 400 });
  await using bot = await startBot(emu, { BOT_GROUP_INTERVAL: "10ms" });
  for (const n of distinct(3, "R")) await postAlerts(bot.url, n);
  await emu.waitFor(() => counts(emu, ALERT_CHAT, "R").size === 3, 15_000, "3 despite 429s");
  const calls = emu.calls("sendMessage");
  assert.ok(calls.some((r) => r.status === 429), "the emulator did refuse some");
  // After each 429, the next attempt came no sooner than retry_after (1 s).
  for (let i = 0; i + 1 < calls.length; i++) {
    if (calls[i].status === 429) assert.ok(calls[i + 1].at - calls[i].at >= 950);
  }

  emu.failNext(3, 502, "Bad Gateway");
  await postAlerts(bot.url, notification([{ name: "S0" }]));
  await emu.waitFor(() => counts(emu, ALERT_CHAT, "S").size === 1, 10_000, "delivered after 502s");

  emu.refuseEntitiesNext(1);
  await postAlerts(bot.url, notification([{ name: "P0", labels: { x: "<b>" } }]));
  await emu.waitFor(() => emu.sent(ALERT_CHAT).some((m) => /FIRING: P0/.test(m.text)), 10_000);
  const plain = emu.sent(ALERT_CHAT).find((m) => /FIRING: P0/.test(m.text))!;
  assert.equal(plain.parse_mode, undefined, "sent without parse_mode");
  assert.match(plain.text, /x=<b>/, "the label survives as plain text");
});

Deno.test("bot faults: a chat that blocked the bot and a deadline passed → dead letters, counted and listed", async () => {
  await using emu = await startEmulator();
  const BLOCKED = 777;
  emu.addChat(BLOCKED);
  emu.blocked.add(BLOCKED);
  await using bot = await startBot(emu, {
    TELEGRAM_ALERT_CHATS: `${ALERT_CHAT},${BLOCKED}`,
    BOT_DEAD_LETTER_AFTER: "1500ms",
  });
  await postAlerts(bot.url, notification([{ name: "D0" }]));
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 5000);
  await emu.waitFor(async () => (await bot.app.outbox.stats()).dead === 1, 5000, "the dead letter");
  const [dead] = await bot.app.outbox.deadLetters();
  assert.equal(dead.chat, BLOCKED);
  assert.match(dead.reason, /403 Forbidden: bot was blocked by the user/);

  // Telegram unreachable past the deadline: dead-lettered too, not retried forever.
  await emu.stop();
  await postAlerts(bot.url, notification([{ name: "D1" }]));
  await new Promise((r) => setTimeout(r, 2500));
  await emu.start();
  await new Promise((r) => setTimeout(r, 500));
  const stats = await bot.app.outbox.stats();
  assert.equal(stats.depth, 0);
  assert.equal(stats.dead, 3); // D0 → blocked, D1 → both chats
  const metrics = await (await fetch(`${bot.url}/metrics`)).text();
  assert.match(metrics, /^mlops_bot_dead_letters 3$/m);
  assert.match(metrics, /^mlops_bot_alerts_dead_lettered_total 3$/m);
  // /alerts in the chat lists them, with the reason.
  emu.userSends(ADMIN.id, ADMIN, "/alerts");
  await emu.waitFor(() => emu.sent(ADMIN.id).length === 1, 5000, "/alerts");
  const text = emu.sent(ADMIN.id)[0].text;
  assert.match(text, /3 undeliverable notifications/);
  assert.match(text, /D0 \(firing, 1 alert\) → chat 777.*bot was blocked by the user/);
  assert.match(text, /D1 \(firing, 1 alert\) → chat -1001234567890.*undelivered after \d+ s/);
});
