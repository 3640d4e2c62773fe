import { strict as assert } from "node:assert";
import { escapeHtml, htmlToText } from "../bot/alerts/html.ts";
import { formatDuration, type MessageView, renderMessage } from "../bot/alerts/format.ts";
import { MESSAGE_LIMIT, splitHtml } from "../bot/alerts/split.ts";
import { parseNotification } from "../bot/alerts/payload.ts";
import { parseHtml } from "./support/telegram_html.ts";
import {
  ALERT_CHAT,
  notification,
  postAlerts,
  startBot,
  startEmulator,
} from "./support/bot_harness.ts";

const FMT = {
  fullAlerts: 10,
  timeZone: "UTC",
  runbookUrl: "https://runbooks.example/x",
  now: Date.parse("2025-03-01T10:07:00Z"),
};

function view(n: ReturnType<typeof notification>): MessageView {
  const p = parseNotification(n);
  return {
    kind: "firing",
    groupLabels: p.groupLabels,
    commonLabels: p.commonLabels,
    externalURL: p.externalURL,
    alerts: p.alerts,
    truncated: 0,
    alreadyReported: 0,
    notes: [],
  };
}

/** Every part must parse under Telegram's rules and fit the limit. */
function assertSendable(parts: string[]): string {
  let all = "";
  for (const p of parts) {
    const { text } = parseHtml(p);
    assert.ok(text.length <= MESSAGE_LIMIT, `part of ${text.length} characters`);
    assert.ok(text.trim().length > 0, "empty part");
    all += text + "\n";
  }
  return all;
}

const NASTY = {
  instance: "<script>&amp;",
  job: "a_b_c*d*",
  route: '/v1/predict?x=<1>&y="2"',
  emoji: "🔥👩‍💻🇺🇦",
};

Deno.test("bot format: labels with <, &, _, quotes and emoji are escaped and survive Telegram's parser", () => {
  const html = renderMessage(
    view(
      notification([{
        labels: NASTY,
        annotations: { summary: "x < 1 && y > 2", description: "<b>not bold</b> & _not italic_" },
      }]),
    ),
    FMT,
  );
  const { text } = parseHtml(html);
  for (const v of Object.values(NASTY)) assert.ok(text.includes(v), `${v} lost in:\n${text}`);
  assert.ok(text.includes("x < 1 && y > 2"));
  assert.ok(text.includes("<b>not bold</b> & _not italic_"));
  assert.equal(escapeHtml('<&>"'), "&lt;&amp;&gt;&quot;");
  assert.equal(htmlToText("<b>&lt;&amp;&#128293;</b>"), "<&🔥");
});

Deno.test("bot format: a 5,000-character description is split at the limit, nothing lost", () => {
  const words = Array.from({ length: 900 }, (_, i) => `w${i}<&>`).join(" ");
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}: ${"x".repeat(100)}`).join("\n");
  const desc = (words + "\n" + lines).slice(0, 9000);
  assert.ok(desc.length > 5000);
  const html = renderMessage(view(notification([{ annotations: { description: desc } }])), FMT);
  const parts = splitHtml(html);
  assert.ok(parts.length >= 2);
  const text = assertSendable(parts);
  // Every word and every line arrives, in order.
  const flat = text.replace(/\s+/g, " ");
  for (const w of ["w0<&>", "w450<&>", "w899<&>", "line 0:", "line 39:"]) {
    if (desc.includes(w)) assert.ok(flat.includes(w), `lost ${w}`);
  }
});

Deno.test("bot format: a 200-alert group shows the first N in full, then a count and a link", () => {
  const n = notification(Array.from({ length: 200 }, (_, i) => ({
    labels: { instance: `host-${i}:9100` },
    annotations: { description: "d".repeat(300) },
  })));
  const html = renderMessage(view(n), FMT);
  const parts = splitHtml(html);
  const text = assertSendable(parts);
  assert.match(text, /FIRING: EdgeDown · critical · 200 alerts/);
  assert.match(text, /…and 190 more \(190 firing\): see all in Alertmanager/);
  assert.ok(text.includes("host-9:9100") && !text.includes("host-10:9100"));
  assert.ok(html.includes('href="http://alertmanager.example:9093/#/alerts?filter='));
});

Deno.test("bot format: splitter closes and reopens tags across a cut, never cuts an entity", () => {
  const html = "<b>" + "a&amp;".repeat(1500) + "</b>\n<i>tail</i>";
  const parts = splitHtml(html, 1000);
  assert.ok(parts.length > 1);
  for (const p of parts) {
    assert.ok(p.length <= 1000);
    parseHtml(p); // throws on a broken tag or entity
  }
  assert.equal(parts.map((p) => parseHtml(p).text).join(""), "a&".repeat(1500) + "\ntail");
  assert.deepEqual(splitHtml("short"), ["short"]);
});

Deno.test("bot format: durations and the resolved heading", () => {
  assert.equal(formatDuration(65_000), "1m 5s");
  assert.equal(formatDuration(3 * 3600_000 + 60_000), "3h 1m");
  assert.equal(formatDuration(50 * 3600_000), "2d 2h");
  const n = notification([{ status: "resolved" }]);
  const v = { ...view(n), kind: "resolved" as const };
  assert.match(renderMessage(v, FMT), /✅ <b>RESOLVED: EdgeDown<\/b> · critical · after 5m 0s/);
});

Deno.test("bot format: end to end, nasty labels and a 200-alert group arrive through the strict emulator", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu);
  const big = notification(Array.from({ length: 200 }, (_, i) => ({
    labels: { ...NASTY, instance: `h${i}` },
    annotations: { description: "Ω<&>_".repeat(1200) },
  })));
  assert.equal((await postAlerts(bot.url, big)).status, 200);
  await emu.waitFor(
    () => emu.calls("sendMessage").length >= 2 && bot.app.outbox.kv !== null,
    10_000,
  );
  await emu.waitFor(
    () => emu.sent(ALERT_CHAT).some((m) => /190 more/.test(m.text)),
    10_000,
    "the summary",
  )
    .catch((e) => {
      throw new Error(
        `${e.message}\n${bot.logs.join("\n")}\n${
          emu.requests.map((r) => `${r.method} ${r.status}`).join(", ")
        }`,
      );
    });
  assert.ok(emu.sent(ALERT_CHAT).every((m) => m.parse_mode === "HTML"));
  assert.ok(emu.calls("sendMessage").every((r) => r.status === 200), "no request was refused");
  // Buttons ride on the first part only.
  const withButtons = emu.sent(ALERT_CHAT).filter((m) => m.reply_markup);
  assert.equal(withButtons.length, 1);
  assert.equal(withButtons[0].message_id, emu.sent(ALERT_CHAT)[0].message_id);
});
