import { strict as assert } from "node:assert";
import { needs } from "./support/parts.ts";
import { ADMIN, ALERT_CHAT, startBot, startEmulator, STRANGER } from "./support/bot_harness.ts";
import { startAlertmanagerFor } from "./support/bot_monitoring.ts";
import { freePort, postAlertsToAlertmanager } from "./support/monitoring_parts.ts";
import { REFUSAL } from "../bot/features/access.ts";
import { scrapeValue } from "./support/prometheus_text.ts";

const SECOND_CHAT = 4242;

Deno.test(needs(["alertmanager"], {
  name:
    "bot + real Alertmanager: an alert reaches every alert chat; Silence creates a real silence",
  async fn() {
    await using emu = await startEmulator();
    emu.addChat(SECOND_CHAT, "second");
    const amPort = freePort();
    await using bot = await startBot(emu, {
      TELEGRAM_ALERT_CHATS: `${ALERT_CHAT},${SECOND_CHAT}`,
      ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`,
    });
    await using am = await startAlertmanagerFor(bot.url, { port: amPort });

    await postAlertsToAlertmanager(am.url, [{
      labels: {
        alertname: "HighErrorRate",
        severity: "warning",
        job: "mlops-edge",
        instance: "edge-1:8000",
      },
      annotations: { summary: "2% of requests fail", description: "5xx ratio over 5m is 2%" },
    }]);
    await emu.waitFor(
      () => emu.sent(ALERT_CHAT).length === 1 && emu.sent(SECOND_CHAT).length === 1,
      15_000,
      "the alert in both chats",
    );
    const msg = emu.sent(ALERT_CHAT)[0];
    assert.match(msg.text, /FIRING: HighErrorRate · warning/);
    assert.match(msg.text, /2% of requests fail/);

    // /alerts lists it: active in the real Alertmanager.
    emu.userSends(ADMIN.id, ADMIN, "/alerts");
    await emu.waitFor(() => emu.sent(ADMIN.id).length === 1, 10_000, "/alerts");
    const listed = emu.sent(ADMIN.id)[0].text;
    assert.match(listed, /^1 active alert$/m);
    assert.match(listed, /^⚠️ HighErrorRate · warning · edge-1:8000 · since \d\d:\d\d /m);
    assert.match(listed, /2% of requests fail/);

    // A stranger's press is refused and creates nothing.
    const silenceData = msg.reply_markup!.inline_keyboard[0][0].callback_data!;
    assert.match(silenceData, /^s:.+:1h$/);
    emu.userPresses(ALERT_CHAT, msg.message_id, silenceData, STRANGER);
    await emu.waitFor(() => emu.answers.length === 1, 5000, "the refusal");
    assert.equal(emu.answers[0].text, REFUSAL);
    const before = await (await fetch(`${am.url}/api/v2/silences`)).json();
    assert.equal(before.length, 0);

    // The admin's press creates a silence Alertmanager knows.
    emu.userPresses(ALERT_CHAT, msg.message_id, silenceData, ADMIN);
    await emu.waitFor(() => emu.answers.length === 2, 5000, "the answer");
    assert.match(emu.answers[1].text!, /Silenced for 1h/);
    const silences = await (await fetch(`${am.url}/api/v2/silences`)).json();
    assert.equal(silences.length, 1);
    const s = silences[0];
    assert.equal(s.status.state, "active");
    assert.match(s.createdBy, /@ada \(telegram 42\)/);
    assert.match(s.comment, /Telegram/);
    const matchers = Object.fromEntries(
      s.matchers.map((m: { name: string; value: string }) => [m.name, m.value]),
    );
    assert.deepEqual(matchers, {
      alertname: "HighErrorRate",
      severity: "warning",
      job: "mlops-edge",
      instance: "edge-1:8000",
    });
    const hours = (Date.parse(s.endsAt) - Date.parse(s.startsAt)) / 3600_000;
    assert.ok(Math.abs(hours - 1) < 0.01);
    // The message says so and offers Unsilence instead.
    await emu.waitFor(() => /silenced by @ada until/.test(emu.sent(ALERT_CHAT)[0].text), 5000);
    const kb = emu.sent(ALERT_CHAT)[0].reply_markup!.inline_keyboard.flat();
    assert.deepEqual(kb.map((b) => b.text), ["🔔 Unsilence"]);

    // /silences lists it with an Unsilence button that expires it.
    emu.userSends(ADMIN.id, ADMIN, "/silences");
    await emu.waitFor(() => emu.sent(ADMIN.id).length === 2, 5000, "/silences");
    const list = emu.sent(ADMIN.id)[1];
    assert.match(list.text, /1 active silence/);
    assert.match(list.text, /alertname="HighErrorRate"/);
    const x = list.reply_markup!.inline_keyboard[0][0].callback_data!;
    assert.equal(x, `x:${s.id}`);
    emu.userPresses(ADMIN.id, list.message_id, x, ADMIN);
    await emu.waitFor(() => emu.answers.length === 3, 5000);
    const after = await (await fetch(`${am.url}/api/v2/silences`)).json();
    assert.equal(after[0].status.state, "expired");

    // Ack edits the message with who acked.
    const ackData = `a:${silenceData.split(":")[1]}`;
    emu.userPresses(ALERT_CHAT, msg.message_id, "u:" + silenceData.split(":")[1], ADMIN);
    await emu.waitFor(() => emu.answers.length === 4, 5000);
    emu.userPresses(ALERT_CHAT, msg.message_id, ackData, ADMIN);
    await emu.waitFor(() => /acked by @ada/.test(emu.sent(ALERT_CHAT)[0].text), 5000, "the ack");

    // Every press is counted on /metrics, by action and outcome.
    const presses = (action: string, outcome: string) =>
      scrapeValue(bot.url, "mlops_bot_button_presses_total", { action, outcome });
    assert.equal(await presses("any", "refused"), 1, "the stranger's press");
    assert.equal(await presses("silence", "ok"), 1);
    assert.equal(await presses("ack", "ok"), 1);
    assert.ok(await presses("unsilence", "ok") >= 1, "Unsilence from /silences");
    assert.equal(await scrapeValue(bot.url, "mlops_bot_alerts_delivered_total"), 2, "two chats");
  },
}));

Deno.test(needs(["alertmanager"], {
  name:
    "bot + real Alertmanager: the Watchdog is silent while it flows; its absence raises a Telegram message",
  async fn() {
    await using emu = await startEmulator();
    const amPort = freePort();
    await using bot = await startBot(emu, {
      ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`,
      WATCHDOG_TIMEOUT: "4s",
    });
    const fast = { wait: "0s", interval: "1s", repeat: "1s" };
    let am = await startAlertmanagerFor(bot.url, { port: amPort, fast });
    // Prometheus' part: the always-firing rule, refreshed every second.
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        await postAlertsToAlertmanager(am.url, [{
          labels: { alertname: "Watchdog", severity: "none" },
          annotations: { summary: "The alerting pipeline works" },
        }]).catch(() => {});
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      await emu.waitFor(
        async () => (await bot.app.watchdog!.state())?.seen === true,
        8000,
        "the Watchdog to reach the bot",
      );
      await new Promise((r) => setTimeout(r, 4500)); // longer than the timeout: still fine
      assert.equal(emu.sent(ALERT_CHAT).length, 0, "the Watchdog itself is never posted");

      await am.stop(); // the pipeline breaks
      await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 10_000, "the alarm");
      assert.match(emu.sent(ALERT_CHAT)[0].text, /Alerting pipeline is broken/);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(emu.sent(ALERT_CHAT).length, 1, "raised once");

      await am[Symbol.asyncDispose]();
      am = await startAlertmanagerFor(bot.url, { port: amPort, fast });
      await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 2, 10_000, "the all-clear");
      assert.match(emu.sent(ALERT_CHAT)[1].text, /Alerting pipeline is back/);
    } finally {
      feeding = false;
      await feed;
      await am[Symbol.asyncDispose]();
    }
  },
}));
