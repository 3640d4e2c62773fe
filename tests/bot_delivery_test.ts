import { strict as assert } from "node:assert";
import {
  ADMIN,
  ALERT_CHAT,
  ALERT_TOKEN,
  notification,
  postAlerts,
  startBot,
  startEmulator,
} from "./support/bot_harness.ts";
import { scrapeValue } from "./support/prometheus_text.ts";

Deno.test("bot delivery: a firing alert becomes one HTML message with buttons; resolved edits it", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  const firing = notification([{ labels: { instance: "127.0.0.1:8000", job: "mlops-edge" } }]);
  const r = await postAlerts(bot.url, firing);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.status, "queued");
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 5000, "the firing message");
  const msg = emu.sent(ALERT_CHAT)[0];
  assert.match(msg.text, /FIRING: EdgeDown/);
  assert.equal(msg.parse_mode, "HTML");
  const data = msg.reply_markup!.inline_keyboard.flat().map((b) => b.callback_data!);
  assert.equal(data.length, 4);
  for (const d of data) assert.ok(new TextEncoder().encode(d).length <= 64);
  // Counted on /metrics once Telegram took it: received, delivered, nothing deduplicated.
  await emu.waitFor(
    async () => await scrapeValue(bot.url, "mlops_bot_alerts_delivered_total") === 1,
    5000,
    "delivered counted",
  );
  assert.equal(await scrapeValue(bot.url, "mlops_bot_alerts_received_total"), 1);
  assert.equal(await scrapeValue(bot.url, "mlops_bot_alerts_deduplicated_total"), 0);

  const resolved = notification([{
    status: "resolved",
    labels: { instance: "127.0.0.1:8000", job: "mlops-edge" },
  }]);
  assert.equal((await postAlerts(bot.url, resolved)).status, 200);
  await emu.waitFor(() => (emu.sent(ALERT_CHAT)[0].history?.length ?? 0) === 2, 5000, "the edit");
  assert.equal(emu.sent(ALERT_CHAT).length, 1, "resolved must edit, not send");
  const edited = emu.sent(ALERT_CHAT)[0];
  assert.match(edited.text, /RESOLVED: EdgeDown/);
  assert.match(edited.text, /after 5m 0s/);
  assert.equal(edited.reply_markup, undefined, "buttons are gone once resolved");
});

Deno.test("bot delivery: wrong or missing token → 401, bad body → 400, nothing sent", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  const n = notification([{}]);
  assert.equal((await postAlerts(bot.url, n, null)).status, 401);
  assert.equal((await postAlerts(bot.url, n, ALERT_TOKEN + "x")).status, 401);
  assert.equal((await postAlerts(bot.url, n, "short")).status, 401);
  const bad = await postAlerts(bot.url, { ...n, version: "3" });
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.message), /version must be "4"/);
  assert.equal((await postAlerts(bot.url, "{not json")).status, 400);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(emu.sent(ALERT_CHAT).length, 0);
  assert.equal((await bot.app.outbox.stats()).depth, 0);
});

Deno.test("bot delivery: duplicates from an HA pair and retries collapse", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  const n = notification([{}, {}]);
  const answers = await Promise.all([1, 2, 3].map(() => postAlerts(bot.url, n)));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
  assert.deepEqual(answers.map((a) => a.json.status).sort(), ["duplicate", "duplicate", "queued"]);
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 5000);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(emu.sent(ALERT_CHAT).length, 1);
  // Three notifications of two alerts each: six received, four dropped as duplicates,
  // the two of the one queued delivered (one message).
  assert.equal(await scrapeValue(bot.url, "mlops_bot_alerts_received_total"), 6);
  assert.equal(await scrapeValue(bot.url, "mlops_bot_alerts_deduplicated_total"), 4);
  await emu.waitFor(
    async () => await scrapeValue(bot.url, "mlops_bot_alerts_delivered_total") === 2,
    5000,
    "delivered counted",
  );
});

Deno.test("bot delivery: a message too old to edit gets a reply instead", async () => {
  await using emu = await startEmulator({ editableForMs: 150 });
  await using bot = await startBot(emu);
  await postAlerts(bot.url, notification([{ name: "Old" }]));
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 5000);
  await new Promise((r) => setTimeout(r, 300)); // Telegram no longer lets us edit it
  await postAlerts(bot.url, notification([{ name: "Old", status: "resolved" }]));
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 2, 5000, "the reply");
  const [first, reply] = emu.sent(ALERT_CHAT);
  assert.equal(reply.reply_to_message?.message_id, first.message_id);
  assert.match(reply.text, /RESOLVED: Old/);
  assert.ok(emu.calls("editMessageText").some((r) => r.status === 400), "the edit was tried first");

  // BOT_EDIT_MAX_AGE: the bot does not even try.
  await using emu2 = await startEmulator();
  await using bot2 = await startBot(emu2, { BOT_EDIT_MAX_AGE: "100ms" });
  await postAlerts(bot2.url, notification([{ name: "Old2" }]));
  await emu2.waitFor(() => emu2.sent(ALERT_CHAT).length === 1, 5000);
  await new Promise((r) => setTimeout(r, 200));
  await postAlerts(bot2.url, notification([{ name: "Old2", status: "resolved" }]));
  await emu2.waitFor(() => emu2.sent(ALERT_CHAT).length === 2, 5000, "the reply");
  assert.equal(emu2.calls("editMessageText").length, 0);
  assert.equal(
    emu2.sent(ALERT_CHAT)[1].reply_to_message?.message_id,
    emu2.sent(ALERT_CHAT)[0].message_id,
  );
});

Deno.test("bot delivery: a group where one alert resolves edits that line; a repeat is a reminder", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  const both = [{ labels: { instance: "a" } }, { labels: { instance: "b" } }];
  await postAlerts(bot.url, notification(both));
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 5000);
  await postAlerts(bot.url, notification([both[0], { ...both[1], status: "resolved" as const }]));
  await emu.waitFor(
    () => /1 of 2 firing/.test(emu.sent(ALERT_CHAT)[0].text),
    5000,
    "partial resolve",
  );
  assert.equal(emu.sent(ALERT_CHAT).length, 1);
  assert.ok(emu.sent(ALERT_CHAT)[0].reply_markup, "still firing: buttons stay");
  // Alertmanager's repeat_interval resend (outside the dedup window) → a reminder.
  await using emu3 = await startEmulator();
  await using bot3 = await startBot(emu3, { BOT_DEDUP_WINDOW: "100ms" });
  await postAlerts(bot3.url, notification([{}]));
  await emu3.waitFor(() => emu3.sent(ALERT_CHAT).length === 1, 5000);
  await new Promise((r) => setTimeout(r, 200));
  await postAlerts(bot3.url, notification([{}]));
  await emu3.waitFor(() => emu3.sent(ALERT_CHAT).length === 2, 5000, "the reminder");
  assert.match(emu3.sent(ALERT_CHAT)[1].text, /STILL FIRING: EdgeDown/);
});

Deno.test("bot delivery: buttons expire after BOT_BUTTON_TTL", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu, { BOT_BUTTON_TTL: "300ms" });
  await postAlerts(bot.url, notification([{}]));
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 5000);
  await new Promise((r) => setTimeout(r, 500));
  const msg = emu.sent(ALERT_CHAT)[0];
  emu.userPresses(
    ALERT_CHAT,
    msg.message_id,
    msg.reply_markup!.inline_keyboard[1][0].callback_data!,
    ADMIN,
  );
  await emu.waitFor(() => emu.answers.length === 1, 5000);
  assert.match(emu.answers[0].text!, /expired/);
  assert.equal(emu.answers[0].show_alert, true);
  await emu.waitFor(
    () => emu.sent(ALERT_CHAT)[0].reply_markup === undefined,
    5000,
    "buttons removed",
  );
});
