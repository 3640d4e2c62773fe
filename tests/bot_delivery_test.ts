import { strict as assert } from "node:assert";
import {
  ALERT_CHAT,
  ALERT_TOKEN,
  notification,
  postAlerts,
  startBot,
  startEmulator,
} from "./support/bot_harness.ts";

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
});
