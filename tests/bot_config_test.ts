import { strict as assert } from "node:assert";
import { configFromEnv, configWarnings, parseDuration } from "../bot/config.ts";
import { createLog } from "../bot/log.ts";
import { knownSecrets } from "../lib/redact.ts";
import {
  ALERT_CHAT,
  ALERT_TOKEN,
  notification,
  postAlerts,
  startBot,
  startEmulator,
  TOKEN,
} from "./support/bot_harness.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

async function runMain(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "bot/main.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, text: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test("bot config: defaults, durations, and every problem on its own line", () => {
  const ok = configFromEnv((k) =>
    ({ TELEGRAM_BOT_TOKEN: TOKEN, ALERT_WEBHOOK_TOKEN: ALERT_TOKEN } as Record<string, string>)[k]
  );
  assert.equal(ok.port, 8081);
  assert.equal(ok.apiRoot, "https://api.telegram.org");
  assert.equal(ok.buttonTtlMs, 8 * 3600_000);
  assert.deepEqual(configWarnings(ok).length, 2);
  assert.equal(parseDuration("90m"), 5_400_000);
  assert.equal(parseDuration("1h30m"), null);

  const env: Record<string, string> = {
    TELEGRAM_BOT_TOKEN: "not-a-token",
    ALERT_WEBHOOK_TOKEN: "short",
    TELEGRAM_ALLOWED_USERS: "42,ada",
    BOT_PORT: "80000",
    PROMETHEUS_URL: "ftp://x",
    BOT_BUTTON_TTL: "forever",
    BOT_TIMEZONE: "Mars/Olympus",
  };
  const e = assert.throws(() => configFromEnv((k) => env[k]));
  void e;
  try {
    configFromEnv((k) => env[k]);
  } catch (err) {
    const lines = (err as Error).message.split("\n");
    assert.equal(lines.length, 7, lines.join("\n"));
    for (const name of Object.keys(env)) {
      assert.ok(lines.some((l) => l.startsWith(name)), `no line for ${name}`);
    }
    assert.ok(!(err as Error).message.includes("not-a-token"), "the token is not echoed");
  }
  assert.throws(
    () =>
      configFromEnv(
        (k) =>
          ({ TELEGRAM_BOT_TOKEN: TOKEN, ALERT_WEBHOOK_TOKEN: ALERT_TOKEN } as Record<
            string,
            string
          >)[k],
        { webhook: true },
      ),
    /TELEGRAM_WEBHOOK_SECRET is required in webhook mode/,
  );
});

Deno.test("bot config: the redactor knows the bot's secrets; logs never carry them", () => {
  const secrets = knownSecrets((k) =>
    ({ TELEGRAM_WEBHOOK_SECRET: "hook-secret-value" } as Record<string, string>)[k]
  );
  assert.deepEqual(secrets, ["hook-secret-value"]);
  const lines: string[] = [];
  const log = createLog([ALERT_TOKEN], (l) => lines.push(l));
  log(`GET https://api.telegram.org/bot${TOKEN}/getMe failed; bearer ${ALERT_TOKEN}`);
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes(TOKEN.split(":")[1]) && !lines[0].includes(ALERT_TOKEN), lines[0]);
  assert.match(lines[0], /bot\*\*\*\/getMe/);
});

Deno.test("bot main: bad configuration exits 2 with one line per problem, no secret printed", async () => {
  const r = await runMain({
    TELEGRAM_BOT_TOKEN: TOKEN,
    BOT_PORT: "x",
    TELEGRAM_ALERT_CHATS: "oncall",
  });
  assert.equal(r.code, 2, r.text);
  const lines = r.text.trim().split("\n");
  assert.equal(lines.length, 3, r.text);
  assert.match(r.text, /ALERT_WEBHOOK_TOKEN is not set/);
  assert.match(r.text, /BOT_PORT must be an integer/);
  assert.match(r.text, /TELEGRAM_ALERT_CHATS: "oncall" is not a numeric Telegram id/);
  assert.ok(!r.text.includes(TOKEN.split(":")[1]));
  assert.ok(!/at .*\.ts:\d+/.test(r.text), "no stack trace");
});

Deno.test("bot main: a token Telegram refuses → one line, exit 1, no secret printed", async () => {
  await using emu = await startEmulator();
  const r = await runMain({
    TELEGRAM_BOT_TOKEN: "987654321:AAHwrong-token-0123456789abcdefghijklm",
    ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
    TELEGRAM_API_ROOT: emu.apiRoot,
    BOT_PORT: "0",
    BOT_STORE: ":memory:",
    HOME: Deno.env.get("HOME") ?? "/root",
  });
  assert.equal(r.code, 1, r.text);
  assert.match(r.text, /could not start: Telegram refused getMe: 401 Unauthorized/);
  assert.ok(!r.text.includes("wrong-token"), r.text);
  assert.ok(!r.text.includes(ALERT_TOKEN), r.text);
});

Deno.test("bot: Telegram unreachable at start → alerts are still accepted, and delivered once it answers", async () => {
  await using emu = await startEmulator();
  await emu.stop();
  await using bot = await startBot(emu, {}, { mode: "none" });
  const started = bot.app.start("polling");
  const r = await postAlerts(bot.url, notification([{}]));
  assert.equal(r.status, 200);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(bot.logs.filter((l) => /Telegram is unreachable/.test(l)).length, 1);
  await emu.start();
  await started;
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length === 1, 10_000, "the queued alert");
  for (const l of bot.logs) assert.ok(!l.includes(TOKEN.split(":")[1]), l);
});

Deno.test("mlops bot: the CLI command runs the same bot, with the same one-line-per-problem errors", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "cli/main.ts", "bot"],
    cwd: ROOT,
    env: { NO_COLOR: "1", ALERT_WEBHOOK_TOKEN: ALERT_TOKEN },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, text);
  assert.equal(text.trim(), "mlops bot: TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)");
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "cli/main.ts", "--help"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert.match(new TextDecoder().decode(help.stdout), /bot\s+run the Telegram alert bot/);
});
