/**
 * The bot's part of monitoring/: its alert rules use only metrics the bot
 * exports and pass promtool's unit tests; Prometheus scrapes it; Alertmanager
 * sends it everything with its bearer token; `deno task monitor` starts it
 * when a token is configured.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { needs, PARTS } from "./support/parts.ts";
import { metricNames } from "./support/promql.ts";
import { monitorPlan } from "../monitoring/run_stack.ts";

const ROOT = new URL("../", import.meta.url);
const p = (rel: string) => decodeURIComponent(new URL(rel, ROOT).pathname);

type Rule = {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
const RULES = (parse(await Deno.readTextFile(p("monitoring/rules/bot.rules.yml"))) as {
  groups: { rules: Rule[] }[];
}).groups.flatMap((g) => g.rules);

/** Metric names bot/metrics.ts defines (histograms with their series). */
async function botMetricNames(): Promise<Set<string>> {
  const src = await Deno.readTextFile(p("bot/metrics.ts"));
  const names = new Set<string>();
  for (const m of src.matchAll(/(createHistogram\(\s*)?"(mlops_bot_[a-z0-9_]+)"/g)) {
    names.add(m[2]);
    if (m[1]) { for (const s of ["_bucket", "_sum", "_count"]) names.add(m[2] + s); }
  }
  return names;
}

Deno.test("bot monitoring: rules name only metrics the bot exports; the four alerts exist", async () => {
  const names = await botMetricNames();
  assert.ok(
    names.has("mlops_bot_outbox_oldest_age_seconds") && names.has("mlops_bot_dead_letters"),
  );
  for (const r of RULES) {
    for (const n of metricNames(r.expr)) {
      assert.ok(names.has(n) || n === "up" || n === "vector", `${r.alert}: unknown metric ${n}`);
    }
    assert.ok(r.annotations?.summary && r.annotations?.description, r.alert);
  }
  assert.deepEqual(RULES.map((r) => r.alert), [
    "Watchdog",
    "BotDown",
    "BotDeliveryStalled",
    "BotDeadLetters",
  ]);
  const prom = await Deno.readTextFile(p("monitoring/prometheus.yml"));
  assert.match(prom, /rules\/bot\.rules\.yml/);
  assert.match(prom, /job_name: mlops-bot\n[\s\S]*?127\.0\.0\.1:8081/);
});

Deno.test("bot monitoring: the exported names match what a live bot serves", async () => {
  const { createBotMetrics } = await import("../bot/metrics.ts");
  const m = createBotMetrics({
    outbox: () => Promise.resolve({ depth: 2, oldest: Date.now() - 5000, dead: 1 }),
    watchdogLastSeen: () => Promise.resolve(Date.now()),
  });
  m.commands.add(1, { command: "status", outcome: "ok" });
  m.telegramDuration.record(0.1, { method: "sendMessage" });
  m.received.add(3);
  const text = await m.scrape();
  assert.match(text, /^mlops_bot_outbox_depth 2$/m);
  assert.match(text, /^mlops_bot_outbox_oldest_age_seconds [45](\.\d+)?$/m);
  assert.match(text, /^mlops_bot_dead_letters 1$/m);
  assert.match(text, /^mlops_bot_alerts_received_total 3$/m);
  const names = await botMetricNames();
  for (const line of text.split("\n")) {
    const n = /^([a-z_]+)[{ ]/.exec(line)?.[1];
    if (n) assert.ok(names.has(n), `served ${n} that bot/metrics.ts does not name`);
  }
});

Deno.test(needs(["promtool"], {
  name: "bot monitoring: promtool check rules and the unit tests",
  async fn() {
    for (
      const args of [["check", "rules", "monitoring/rules/bot.rules.yml"], [
        "test",
        "rules",
        "monitoring/rules/bot.rules.test.yml",
      ], ["check", "config", "monitoring/prometheus.yml"]]
    ) {
      const out = await new Deno.Command(PARTS.promtool.path, { args, cwd: p(".") }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.match(text, /SUCCESS/);
    }
  },
}));

Deno.test("bot monitoring: the Alertmanager webhook to the bot carries its bearer token from a file", async () => {
  const am = parse(await Deno.readTextFile(p("monitoring/alertmanager.yml"))) as {
    route: { receiver: string };
    receivers: {
      name: string;
      webhook_configs?: {
        url: string;
        http_config?: { authorization?: { type: string; credentials_file?: string } };
      }[];
    }[];
  };
  assert.equal(am.route.receiver, "mlops-bot");
  const bot = am.receivers.find((r) => r.name === "mlops-bot")!.webhook_configs![0];
  assert.equal(bot.url, "http://127.0.0.1:8081/alerts");
  assert.deepEqual(bot.http_config?.authorization, {
    type: "Bearer",
    credentials_file: "secrets/alert_webhook_token",
  });
  // The Telegram fallback ships commented out (no placeholder token is ever used).
  assert.ok(!am.receivers.some((r) => r.name === "telegram-fallback"));
});

Deno.test("bot monitoring: deno task monitor starts the bot only when a token is configured", () => {
  const without = monitorPlan({}, "DATA", { edgeRunning: true, grafanaBin: null });
  assert.deepEqual(without.services.map((s) => s.name), ["alertmanager", "prometheus"]);
  assert.match(without.notes.join("\n"), /TELEGRAM_BOT_TOKEN/);

  const withToken = monitorPlan({
    TELEGRAM_BOT_TOKEN: "123456789:AAHtest-token-0123456789abcdefghijklmn",
  });
  const bot = withToken.services.find((s) => s.name === "bot")!;
  assert.ok(bot, "the bot is started");
  assert.match(bot.args.join(" "), /bot\/main\.ts/);
  // A webhook token is made up when none is set, and shared with Alertmanager.
  assert.ok((bot.env.ALERT_WEBHOOK_TOKEN ?? "").length >= 32);
  assert.equal(withToken.alertToken, bot.env.ALERT_WEBHOOK_TOKEN);
  assert.equal(bot.env.PROMETHEUS_URL, "http://127.0.0.1:9090");
  assert.equal(bot.env.ALERTMANAGER_URL, "http://127.0.0.1:9093");
  const given = monitorPlan({
    TELEGRAM_BOT_TOKEN: "1:x",
    ALERT_WEBHOOK_TOKEN: "given-token-0123456789",
  });
  assert.equal(given.alertToken, "given-token-0123456789");
});
