/**
 * Notifications (lib/notify, `mlops notify`) against strict loopback
 * receivers: Telegram's Bot API, a Slack webhook, the bot's notify endpoint.
 */
import { strict as assert } from "node:assert";
import {
  botChannel,
  type Channel,
  channelsFromEnv,
  type Notification,
  notify,
  slackChannel,
  slackPayload,
  telegramChannel,
  telegramHtml,
} from "../lib/notify/mod.ts";
import { mlopsProcessWith } from "./support/cli.ts";
import { NO_CHANNELS, parseTelegramHtml, startReceivers } from "./support/notify_receivers.ts";

const FAST = { sleep: () => Promise.resolve(), timeoutMs: 400 };

const hostile: Notification = {
  title: "Batch <b>done</b> & dusted",
  text: `rows: 7043\n<script>alert(1)</script> & "quotes" <!channel> 🎉`,
  severity: "warning",
  url: "https://ci.example.com/run?id=1&attempt=2",
};

Deno.test("telegramHtml escapes everything and stays within 4096 characters", () => {
  const html = telegramHtml(hostile);
  const seen = parseTelegramHtml(html); // throws on anything Telegram would refuse
  assert.ok(seen.includes("Batch <b>done</b> & dusted"), seen);
  assert.ok(seen.includes(`<script>alert(1)</script> & "quotes" <!channel> 🎉`), seen);
  assert.ok(html.includes('<a href="https://ci.example.com/run?id=1&amp;attempt=2">'), html);

  // Long text full of characters that grow when escaped, and astral characters.
  for (const unit of ["&", "<>", "😀", "a"]) {
    const long = telegramHtml({ ...hostile, text: unit.repeat(9000) });
    assert.ok(long.length <= 4096, `${unit}: ${long.length}`);
    const text = parseTelegramHtml(long);
    assert.ok(text.endsWith("…\n\nDetails"), text.slice(-40));
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(text), "no half surrogate pair");
  }
  // No URL, empty text: just the title.
  assert.equal(telegramHtml({ title: "x", text: "  ", severity: "info" }), "ℹ️ <b>x</b>");
  // Only http(s) links become links.
  assert.ok(!telegramHtml({ ...hostile, url: "javascript:alert(1)" }).includes("<a"));
});

Deno.test("slackPayload escapes Slack's control characters and stays short", () => {
  const { text } = slackPayload(hostile);
  assert.ok(!/<(?!https:\/\/ci\.example\.com)/.test(text.replaceAll("&lt;", "")), text);
  assert.ok(text.includes("&lt;!channel&gt;"), text);
  assert.ok(text.includes("<https://ci.example.com/run?id=1&amp;attempt=2|Details>"), text);
  const long = slackPayload({ ...hostile, text: "&".repeat(5000) }).text;
  assert.ok(long.length <= 3000, String(long.length));
  assert.ok(!/&[a-z]*…/.test(long), "no entity cut in half");
});

Deno.test("channelsFromEnv: the bot wins over direct Telegram; Slack adds; half-configured is an error", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.deepEqual(channelsFromEnv(env({})).map((c) => c.name), []);
  assert.deepEqual(
    channelsFromEnv(env({ TELEGRAM_BOT_TOKEN: "1:x", TELEGRAM_CHAT_ID: "5" })).map((c) => c.name),
    ["telegram"],
  );
  assert.deepEqual(
    channelsFromEnv(env({
      BOT_URL: "https://bot.example",
      ALERT_WEBHOOK_TOKEN: "t0123456789abcdef",
      TELEGRAM_BOT_TOKEN: "1:x",
      TELEGRAM_CHAT_ID: "5",
      SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
    })).map((c) => c.name),
    ["bot", "slack"],
  );
  const secret = "123456789:AAHsecret-token-value-that-must-not-leak";
  for (
    const [vars, message] of [
      [{ TELEGRAM_BOT_TOKEN: secret }, /TELEGRAM_CHAT_ID is not/],
      [{ TELEGRAM_CHAT_ID: "5" }, /TELEGRAM_BOT_TOKEN is not/],
      [{ BOT_URL: "https://bot.example" }, /ALERT_WEBHOOK_TOKEN is not/],
      [{ BOT_URL: "not a url", ALERT_WEBHOOK_TOKEN: secret }, /BOT_URL is not an http\(s\) URL/],
      [{ SLACK_WEBHOOK_URL: `ftp://${secret}` }, /SLACK_WEBHOOK_URL is not an http\(s\) URL/],
    ] as const
  ) {
    assert.throws(() => channelsFromEnv(env(vars)), (e: Error) => {
      assert.match(e.message, message);
      assert.ok(!e.message.includes(secret), "a value leaked");
      return true;
    });
  }
});

Deno.test("each channel delivers exactly one message, and retries only what is safe", async (t) => {
  await using r = await startReceivers();
  const tg = telegramChannel({ ...FAST, token: r.token, chatId: r.chatId, apiRoot: r.url });
  const slack = slackChannel({ ...FAST, webhookUrl: `${r.url}/slack` });
  const bot = botChannel({ ...FAST, url: r.url, token: r.alertToken });
  const once = async (c: Channel, n: Notification = hostile) => {
    const before = r.delivered.length;
    const [d] = await notify(n, [c]);
    return { d, added: r.delivered.slice(before) };
  };

  await t.step("plain delivery", async () => {
    for (const c of [tg, slack, bot]) {
      const { d, added } = await once(c);
      assert.deepEqual(d, { channel: c.name, ok: true });
      assert.equal(added.length, 1);
      assert.equal(added[0].kind, c.name);
    }
    assert.deepEqual(r.delivered[2].body.severity, "warning");
    assert.equal(r.delivered[2].body.url, hostile.url);
  });

  await t.step("a 500, then a 429 with retry_after, then success: one message", async () => {
    for (const c of [tg, slack, bot]) {
      r.failNext(1, 500);
      r.failNext(1, 429, 1);
      const requests = r.requests;
      const { d, added } = await once(c);
      assert.ok(d.ok, d.error);
      assert.equal(added.length, 1);
      assert.equal(r.requests - requests, 3);
    }
  });

  await t.step(
    "an answer lost after delivery: the bot (which dedupes by id) is retried, once delivered",
    async () => {
      r.failNext(1, "hang");
      const { d, added } = await once(bot);
      assert.ok(d.ok, d.error);
      assert.equal(added.length, 1);
    },
  );

  await t.step(
    "an answer lost after delivery: Telegram and Slack are not retried (no duplicate)",
    async () => {
      for (const c of [tg, slack]) {
        r.failNext(1, "hang");
        const requests = r.requests;
        const { d } = await once(c);
        assert.equal(d.ok, false);
        assert.match(d.error!, /timed out \(not retried: it may have arrived\)/);
        assert.equal(r.requests - requests, 1);
      }
    },
  );

  await t.step("a refusal is final and one line; the token is never in it", async () => {
    const wrongChat = telegramChannel({ ...FAST, token: r.token, chatId: "42", apiRoot: r.url });
    const { d, added } = await once(wrongChat);
    assert.equal(added.length, 0);
    assert.equal(d.error, "telegram: sendMessage refused (400): Bad Request: chat not found");
    const wrongToken = botChannel({ ...FAST, url: r.url, token: "wrong-token-0123456789" });
    const denied = await once(wrongToken);
    assert.match(denied.d.error!, /^bot: .*\/notify refused \(401\)/);
  });

  await t.step("retries are bounded", async () => {
    r.failNext(3, 503);
    const requests = r.requests;
    const { d } = await once(slack);
    assert.equal(d.ok, false);
    assert.equal(r.requests - requests, 3);
  });
});

Deno.test("mlops notify: one message per configured channel; a refusal exits 5 without secrets", async () => {
  await using r = await startReceivers();
  const ok = await mlopsProcessWith(
    { ...NO_CHANNELS, ...r.env("telegram"), ...r.env("slack") },
    "notify",
    "--severity",
    "critical",
    "--title",
    "Nightly batch failed",
    "--text",
    "data.csv: no such file",
    "--url",
    "https://ci.example.com/runs/1",
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(r.delivered.map((d) => d.kind).sort(), ["slack", "telegram"]);
  assert.match(
    r.delivered.find((d) => d.kind === "telegram")!.text,
    /^🚨 Nightly batch failed\n\n/,
  );

  const refused = await mlopsProcessWith(
    { ...NO_CHANNELS, ...r.env("telegram"), TELEGRAM_CHAT_ID: "42" },
    "notify",
    "--title",
    "x",
  );
  assert.equal(refused.code, 5);
  assert.equal(
    refused.stderr.trim(),
    "mlops: notification not delivered: telegram: sendMessage refused (400): Bad Request: chat not found",
  );
  assert.ok(!(refused.stdout + refused.stderr).includes(r.token.split(":")[1]));

  const none = await mlopsProcessWith(NO_CHANNELS, "notify", "--title", "quiet");
  assert.equal(none.code, 0);
  assert.match(none.stderr, /no notification channel is configured/);
  const bad = await mlopsProcessWith(NO_CHANNELS, "notify", "--title", "x", "--severity", "loud");
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr.trim(),
    "mlops: --severity loud: expected one of info, warning, critical",
  );
});
