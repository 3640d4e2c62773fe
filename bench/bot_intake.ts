/**
 * `deno task bench:bot [--soak-seconds N] [--outage-seconds N]`: the bot's
 * performance targets, against the Telegram emulator on loopback.
 *
 * 1. Intake of a 1,000-alert burst with durable writes (a Deno KV file):
 *    as 1,000 single-alert posts (50 at a time) and as 50 groups of 20.
 *    Target: ≥ 1,000 alerts/s accepted.
 * 2. Command latency: from the emulator queuing a user's `/help` to the
 *    bot's answer arriving (no backend involved). Target: a few hundred ms.
 * 3. Soak: the bot as its own process under steady alerts (5/s) for
 *    `--soak-seconds` (default 60; the 10 minutes is 600), RSS
 *    sampled every 5 s. Target: flat.
 * 4. With `--outage-seconds N`: Telegram down for N s (the minute is
 *    60) while alerts keep coming; after it returns, each is delivered
 *    exactly once.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  ADMIN,
  ALERT_CHAT,
  botEnv,
  notification,
  postAlerts,
  startBot,
  startBotProcess,
  startEmulator,
} from "../tests/support/bot_harness.ts";

const { values } = parseArgs({
  options: {
    "soak-seconds": { type: "string", default: "60" },
    "outage-seconds": { type: "string", default: "0" },
    /** Caps the bot's V8 old space: a leak then crashes it instead of growing. */
    "heap-mib": { type: "string", default: "" },
  },
});
const SOAK_S = Number(values["soak-seconds"]);
const OUTAGE_S = Number(values["outage-seconds"]);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fp = (i: number) => i.toString(16).padStart(16, "0");

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function intake(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-bench-bot-" });
  try {
    await using emu = await startEmulator();
    // Its own process, as deployed: the load generator does not share its thread.
    await using bot = await startBotProcess(botEnv(emu, { BOT_STORE: `${dir}/bot.kv` }));
    // Warm up the path (JIT, KV file creation).
    for (let i = 0; i < 20; i++) {
      await postAlerts(bot.url, notification([{ name: `W${i}`, fingerprint: fp(1e6 + i) }]));
    }

    const singles = Array.from(
      { length: 1000 },
      (_, i) => notification([{ name: `S${i}`, fingerprint: fp(i) }]),
    );
    const lat: number[] = [];
    let t0 = performance.now();
    await pool(singles, 50, async (n) => {
      const t = performance.now();
      const r = await postAlerts(bot.url, n);
      if (r.status !== 200) throw new Error(`intake answered ${r.status}`);
      lat.push(performance.now() - t);
    });
    const singleS = (performance.now() - t0) / 1000;

    const groups = Array.from(
      { length: 50 },
      (_, g) =>
        notification(Array.from({ length: 20 }, (_, i) => ({
          name: `G${g}`,
          labels: { instance: `h${i}` },
          fingerprint: fp(10_000 + g * 100 + i),
        }))),
    );
    t0 = performance.now();
    await Promise.all(groups.map((n) => postAlerts(bot.url, n)));
    const groupS = (performance.now() - t0) / 1000;
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    const depth = /^mlops_bot_outbox_depth (\d+)/m.exec(metrics)?.[1];
    console.log("intake (bot process, durable: Deno KV file, delivery running)");
    console.log(
      `  1,000 single-alert posts, 50 concurrent  ${(1000 / singleS).toFixed(0)} alerts/s` +
        `  (p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${
          pct(lat, 0.99).toFixed(1)
        } ms per post)  target ≥ 1000 ${1000 / singleS >= 1000 ? "✓" : "✗"}`,
    );
    console.log(`  50 groups × 20 alerts                  ${(1000 / groupS).toFixed(0)} alerts/s`);
    console.log(`  queued deliveries after both bursts    ${depth}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function commandLatency(): Promise<void> {
  await using emu = await startEmulator();
  await using _bot = await startBot(emu);
  const ms: number[] = [];
  for (let i = 0; i < 60; i++) {
    // A user types slower than Telegram's one message per chat interval.
    await new Promise((r) => setTimeout(r, 100));
    const before = emu.sent(ADMIN.id).length;
    const t0 = performance.now();
    emu.userSends(ADMIN.id, ADMIN, "/help");
    await emu.waitFor(() => emu.sent(ADMIN.id).length > before, 5000);
    if (i >= 10) ms.push(performance.now() - t0);
  }
  console.log("command latency (emulator update → answer arrives, /help, 50 samples)");
  console.log(
    `  p50 ${pct(ms, 0.5).toFixed(1)} ms, p99 ${pct(ms, 0.99).toFixed(1)} ms, max ${
      Math.max(...ms).toFixed(1)
    } ms  target ≤ 300 ${pct(ms, 0.99) <= 300 ? "✓" : "✗"}`,
  );
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function soak(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-bench-soak-" });
  try {
    await using emu = await startEmulator({
      chatIntervalMs: 50,
      groupPerMinute: 1000,
      groupWindowMs: 1000,
    });
    await using bot = await startBotProcess(botEnv(emu, {
      BOT_STORE: `${dir}/bot.kv`,
      BOT_GROUP_INTERVAL: "60ms",
      ...(values["heap-mib"]
        ? { DENO_V8_FLAGS: `--max-old-space-size=${values["heap-mib"]}` }
        : {}),
    }));
    const pid = bot.child.pid;
    const samples: number[] = [];
    const end = Date.now() + SOAK_S * 1000;
    let i = 0;
    let nextSample = Date.now() + 5000;
    // Resolved alerts too: every firing alert resolves 10 s later (an edit).
    while (Date.now() < end) {
      const n = i++;
      await postAlerts(
        bot.url,
        notification([{ name: `K${n % 50}`, labels: { n: String(n) }, fingerprint: fp(n) }]),
      );
      if (n >= 50) {
        await postAlerts(
          bot.url,
          notification([{
            name: `K${(n - 50) % 50}`,
            status: "resolved",
            labels: { n: String(n - 50) },
            fingerprint: fp(n - 50),
          }]),
        );
      }
      if (Date.now() >= nextSample) {
        samples.push(rssMiB(pid));
        nextSample += 5000;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await emu.waitFor(() => emu.sent(ALERT_CHAT).length >= i - 5, 60_000).catch(() => {});
    const firstHalf = samples.slice(1, Math.max(2, samples.length >> 1));
    const lastHalf = samples.slice(samples.length >> 1);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`soak (bot process, ${SOAK_S} s, 5 alerts/s + their resolutions, ${i} alerts)`);
    console.log(
      `  RSS MiB: first ${samples[0]?.toFixed(1)}, mean of first half ${
        avg(firstHalf).toFixed(1)
      }, ` +
        `mean of second half ${avg(lastHalf).toFixed(1)}, max ${Math.max(...samples).toFixed(1)}`,
    );
    console.log(`  samples: ${samples.map((s) => s.toFixed(0)).join(" ")}`);
    console.log(
      `  delivered ${emu.sent(ALERT_CHAT).length} messages, ${
        emu.calls("editMessageText").length
      } edits`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function outage(): Promise<void> {
  await using emu = await startEmulator();
  await using bot = await startBot(emu, {}, { retryMaxMs: 5000 });
  await emu.stop();
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < OUTAGE_S * 1000) {
    await postAlerts(bot.url, notification([{ name: `O${n}`, fingerprint: fp(n) }]));
    n++;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const queued = (await bot.app.outbox.stats()).depth;
  await emu.start();
  const back = performance.now();
  await emu.waitFor(() => emu.sent(ALERT_CHAT).length >= n, 60_000);
  const drainS = (performance.now() - back) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const names = emu.sent(ALERT_CHAT).map((m) => /FIRING: (O\d+)/.exec(m.text)?.[1]);
  const unique = new Set(names).size;
  console.log(`outage (Telegram down ${OUTAGE_S} s, one alert per second)`);
  console.log(
    `  queued ${queued}, delivered ${names.length} (${unique} distinct) ${
      drainS.toFixed(1)
    } s after Telegram returned; ` +
      `exactly once ${names.length === n && unique === n ? "✓" : "✗"}`,
  );
}

if (!values["heap-mib"]) {
  await intake();
  await commandLatency();
}
if (SOAK_S > 0) await soak();
if (OUTAGE_S > 0) await outage();
