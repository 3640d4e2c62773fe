/**
 * End to end with every real part that runs here: the edge, Prometheus with
 * the shipped rules, Alertmanager with the shipped routing, the bot, and the
 * Telegram emulator. Stop the edge: EdgeDown arrives as a Telegram message.
 * Start it again: that message is edited to resolved.
 *
 * Timings are shortened (1 s scrapes and evaluations, EdgeDown's `for` 2 s,
 * Alertmanager's group waits 0-1 s); everything else is as shipped.
 */
import { strict as assert } from "node:assert";
import { writeBundle } from "../lib/model/io.ts";
import { needs } from "./support/parts.ts";
import { ADMIN, ALERT_CHAT, startBot, startEmulator } from "./support/bot_harness.ts";
import { startAlertmanagerFor } from "./support/bot_monitoring.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { freePort, shippedPrometheusFiles, startPrometheus } from "./support/monitoring_parts.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

async function prometheusFiles(ports: { edge: number; am: number; bot: number }) {
  const { config, files } = await shippedPrometheusFiles({
    targets: {
      "mlops-edge": [`127.0.0.1:${ports.edge}`],
      "mlops-bot": [`127.0.0.1:${ports.bot}`],
    },
    alertmanager: `127.0.0.1:${ports.am}`,
    forOverrides: { EdgeDown: "2s" },
  });
  return { config, files };
}

Deno.test(needs(["prometheus", "alertmanager"], {
  name:
    "bot e2e: edge stops → EdgeDown on Telegram; edge back → the same message edited to resolved",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlops-bot-e2e-" });
    const ports = { edge: freePort(), am: freePort(), prom: freePort(), bot: 0 };
    let edge: Awaited<ReturnType<typeof startEdgeProcess>> | undefined;
    try {
      await writeBundle(`${dir}/model`, tinyBundle());
      const edgeEnv = { MODEL_PATH: `${dir}/model`, PORT: String(ports.edge) };
      edge = await startEdgeProcess(edgeEnv);
      await using emu = await startEmulator();
      await using bot = await startBot(emu, {
        PROMETHEUS_URL: `http://127.0.0.1:${ports.prom}`,
        ALERTMANAGER_URL: `http://127.0.0.1:${ports.am}`,
        EDGE_URL: edge.url,
      });
      ports.bot = Number(new URL(bot.url).port);
      await using _am = await startAlertmanagerFor(bot.url, { port: ports.am });
      const { config, files } = await prometheusFiles(ports);
      await using _prom = await startPrometheus(config, files, ports.prom);

      // /status from Prometheus, with real numbers, once it has scraped.
      await emu.waitFor(
        async () => {
          const before = emu.sent(ADMIN.id).length;
          emu.userSends(ADMIN.id, ADMIN, "/status");
          await emu.waitFor(() => emu.sent(ADMIN.id).length > before, 8000);
          return /✅ up: <code>|✅ up: 127/.test(emu.sent(ADMIN.id).at(-1)!.text) &&
            /Model: tiny version 7/.test(emu.sent(ADMIN.id).at(-1)!.text);
        },
        20_000,
        "/status to show the edge up via Prometheus",
      );
      assert.match(emu.sent(ADMIN.id).at(-1)!.text, /Edge status \(Prometheus\)/);

      // Traffic: 800 rows in 8 batches, enough for the drift guard (300 samples a feature).
      for (let i = 0; i < 8; i++) {
        const res: Response = await fetch(`${edge.url}/v1/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            instances: Array.from({ length: 100 }, (_, j) => ({
              x: (i * 100 + j) % 10,
              color: j % 2 ? "red" : "blue",
            })),
          }),
        });
        assert.equal(res.status, 200, await res.text());
        await new Promise((r) => setTimeout(r, 250));
      }
      // /status: the request rate, error ratio and p99 as numbers from Prometheus.
      const ask = async (command: string) => {
        const before = emu.sent(ADMIN.id).length;
        emu.userSends(ADMIN.id, ADMIN, command);
        await emu.waitFor(() => emu.sent(ADMIN.id).length > before, 8000, command);
        return emu.sent(ADMIN.id).at(-1)!.text;
      };
      const RATES = /^Requests: ([\d.e+-]+)\/s · errors ([\d.]+)% · p99 ([\d.e+-]+) ms$/m;
      let status = "";
      await emu.waitFor(
        async () => {
          const m = RATES.exec(status = await ask("/status"));
          return m !== null && Number(m[1]) > 0;
        },
        30_000,
        "/status with a request rate",
      );
      const [, rps, errors, p99] = RATES.exec(status)!;
      assert.ok(Number(rps) > 0, status);
      assert.equal(Number(errors), 0, status);
      assert.ok(Number(p99) > 0, status);
      // /drift: the features with their PSI, once the window holds enough samples.
      const FEATURE = /^(🔴|🟠|🟡|🟢) (x|color) ([\d.e+-]+)$/m;
      let drift = "";
      await emu.waitFor(
        async () => FEATURE.test(drift = await ask("/drift")),
        30_000,
        "/drift listing a feature",
      );
      assert.match(drift, /Most drifted features \(PSI, Prometheus, last hour\)/);
      assert.ok(Number.isFinite(Number(FEATURE.exec(drift)![3])), drift);

      await edge[Symbol.asyncDispose](); // the edge goes down
      await emu.waitFor(
        () => emu.sent(ALERT_CHAT).some((m) => /FIRING: EdgeDown/.test(m.history![0])),
        40_000,
        "EdgeDown on Telegram",
      );
      const firing = emu.sent(ALERT_CHAT).find((m) => /FIRING: EdgeDown/.test(m.history![0]))!;
      assert.match(firing.text, /critical/);
      assert.ok(firing.reply_markup, "with silence buttons");
      assert.ok(
        !emu.sent(ALERT_CHAT).some((m) => /Watchdog/.test(m.text)),
        "the Watchdog is not posted",
      );

      edge = await startEdgeProcess(edgeEnv); // back on the same port
      await emu.waitFor(
        () => /RESOLVED: EdgeDown/.test(firing.text),
        40_000,
        "the EdgeDown message edited to resolved",
      );
      assert.equal(
        emu.sent(ALERT_CHAT).filter((m) => /EdgeDown/.test(m.history![0])).length,
        1,
        "resolved edited the message instead of sending a new one",
      );
      assert.equal(firing.reply_markup, undefined);
    } finally {
      await Promise.resolve(edge?.[Symbol.asyncDispose]()).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
