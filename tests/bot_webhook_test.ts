import { strict as assert } from "node:assert";
import { ADMIN, startBot, startEmulator, TOKEN } from "./support/bot_harness.ts";

const SECRET = "webhook_secret-0123456789";

Deno.test("bot webhook: Telegram's secret_token is verified; updates are answered; a slow command is acknowledged first", async () => {
  await using emu = await startEmulator({ allowHttpWebhook: true });
  // A backend that accepts connections and never answers.
  const hang = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const c of hang) held.push(c);
  })();
  try {
    await using bot = await startBot(emu, {
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      PROMETHEUS_URL: `http://127.0.0.1:${(hang.addr as Deno.NetAddr).port}`,
    }, { mode: "webhook", webhookAckMs: 1000 });
    await bot.app.bot.api.setWebhook(`${bot.url}/telegram`, { secret_token: SECRET });
    assert.equal(emu.webhook?.url, `${bot.url}/telegram`);

    // Without the header, or with a wrong one: refused, nothing handled.
    const update = {
      update_id: 999,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: ADMIN.id, type: "private" },
        from: { ...ADMIN, is_bot: false },
        text: "/help",
        entities: [{ type: "bot_command", offset: 0, length: 5 }],
      },
    };
    const variants: Record<string, string>[] = [{}, { "X-Telegram-Bot-Api-Secret-Token": "wrong" }];
    for (const headers of variants) {
      const res = await fetch(`${bot.url}/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(update),
      });
      await res.body?.cancel();
      assert.equal(res.status, 401);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(emu.sent(ADMIN.id).length, 0);

    // Through the emulator's push (with the secret): answered.
    emu.userSends(ADMIN.id, ADMIN, "/help");
    await emu.waitFor(() => emu.sent(ADMIN.id).length === 1, 5000, "/help via webhook");
    assert.match(emu.sent(ADMIN.id)[0].text, /\/status/);

    // /status waits on a hung Prometheus (4 s): Telegram's call is answered first.
    const t0 = performance.now();
    const res = await fetch(`${bot.url}/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET },
      body: JSON.stringify({
        ...update,
        update_id: 1000,
        message: {
          ...update.message,
          text: "/status",
          entities: [{ type: "bot_command", offset: 0, length: 7 }],
        },
      }),
    });
    await res.body?.cancel();
    const ackMs = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(ackMs < 2500, `acknowledged after ${ackMs} ms`);
    assert.equal(emu.sent(ADMIN.id).length, 1, "acknowledged before the answer");
    await emu.waitFor(() => emu.sent(ADMIN.id).length === 2, 8000, "the late answer");
    assert.match(emu.sent(ADMIN.id)[1].text, /Prometheus at .* is down: no answer within 4 s/);
    assert.ok(bot.logs.every((l) => !l.includes(TOKEN)));
  } finally {
    hang.close();
    for (const c of held) c.close();
  }
});
