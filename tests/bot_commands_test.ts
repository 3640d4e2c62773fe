import { strict as assert } from "node:assert";
import { openStore } from "../lib/mlflow/mod.ts";
import { PROMOTE_TAGS } from "../lib/registry/mod.ts";
import { writeBundle } from "../lib/model/io.ts";
import { REFUSAL } from "../bot/features/access.ts";
import { COMMANDS, didYouMean } from "../bot/features/commands.ts";
import { parseInstance } from "../bot/features/predict.ts";
import { ADMIN, ALERT_CHAT, startBot, startEmulator, STRANGER } from "./support/bot_harness.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { freePort } from "./support/monitoring_parts.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import type { TelegramEmulator } from "./support/telegram_emulator.ts";

/** Sends `text` as `user` and returns the bot's answer (and how long it took). */
async function ask(emu: TelegramEmulator, text: string, user = ADMIN, chat = user.id) {
  const before = emu.sent(chat).length;
  const t0 = performance.now();
  emu.userSends(chat, user, text);
  await emu.waitFor(() => emu.sent(chat).length > before, 8000, `an answer to ${text}`);
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 50));
  return {
    text: emu.sent(chat).slice(before).map((m) => m.text).join("\n"),
    ms,
    n: emu.sent(chat).length - before,
  };
}

async function mlflowFixture(dir: string) {
  const store = openStore(dir);
  const exp = await store.createExperiment("churn");
  const run = await store.createRun({ experimentId: exp, runName: "forest-300" });
  await store.logBatch(run.runId, {
    metrics: [{ key: "accuracy", value: 0.8123, timestamp: Date.now(), step: 0 }],
  });
  await store.updateRun(run.runId, "FINISHED", Date.now());
  await store.createRegisteredModel("tiny");
  const v = await store.createModelVersion({
    name: "tiny",
    source: `${run.artifactUri}/model`,
    runId: run.runId,
  });
  await store.setAlias("tiny", "champion", v.version);
  await store.setModelVersionTag("tiny", v.version, PROMOTE_TAGS.by, "ada");
  await store.setModelVersionTag("tiny", v.version, PROMOTE_TAGS.at, new Date().toISOString());
  await store.setModelVersionTag("tiny", v.version, PROMOTE_TAGS.reason, "first champion");
}

Deno.test("bot commands: did-you-mean and instance parsing", () => {
  assert.equal(didYouMean("stauts"), "status");
  assert.equal(didYouMean("silence"), "silences");
  assert.equal(didYouMean("mdoel"), "model");
  assert.equal(didYouMean("weather"), null);
  assert.deepEqual(parseInstance('tenure=5 Contract="Month to month" x=-1.5e3'), {
    tenure: 5,
    Contract: "Month to month",
    x: -1500,
  });
  assert.deepEqual(parseInstance('{"a": [1]}'), { a: [1] });
  assert.throws(() => parseInstance("just words"), /key=value/);
  assert.throws(() => parseInstance("{bad"), /not valid JSON/);
});

Deno.test("bot commands: each answers with real numbers from the edge and MLflow, or names the backend that is down", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-bot-cmd-" });
  try {
    await writeBundle(`${dir}/model`, tinyBundle());
    await mlflowFixture(`${dir}/mlruns`);
    await using edge = await startEdgeProcess({ MODEL_PATH: `${dir}/model` });
    await using emu = await startEmulator();
    await using bot = await startBot(emu, {
      EDGE_URL: edge.url,
      MLFLOW_TRACKING_URI: `${dir}/mlruns`,
    });
    assert.deepEqual(emu.commands.map((c) => c.command), COMMANDS.map((c) => c.command));

    const help = await ask(emu, "/help");
    for (const c of COMMANDS) assert.ok(help.text.includes(`/${c.command}`));

    const typo = await ask(emu, "/stauts");
    assert.match(typo.text, /Unknown command \/stauts\. Did you mean \/status\?/);

    // Score a few rows so the edge has traffic to report.
    for (let i = 0; i < 3; i++) {
      await (await fetch(`${edge.url}/v1/predict`, {
        method: "POST",
        body: '{"x": 1, "color": "blue"}',
        headers: { "content-type": "application/json" },
      })).body?.cancel();
    }
    const status = await ask(emu, "/status");
    assert.match(status.text, /Edge status \(one edge instance, \/v1\/ops\)/);
    assert.match(status.text, /Model: tiny version 7/);
    assert.match(status.text, /Requests: [\d.]+\/s · errors [\d.]+% · p99 (n\/a|[\d.]+ ms)/);
    assert.match(status.text, /up for \d+s/);

    const predict = await ask(emu, "/predict x=9 color=red");
    assert.match(predict.text, /Prediction: yes/);
    assert.match(predict.text, /yes 85\.0%/);
    assert.match(predict.text, /no 15\.0%/);
    const badPredict = await ask(emu, "/predict x=9 color=purple shade");
    assert.match(badPredict.text, /could not read "shade"/);
    const edgeRefuses = await ask(emu, '/predict {"x": "nine"}');
    assert.match(edgeRefuses.text, /the edge at http:\/\/127\.0\.0\.1:\d+ answered 400/);

    const drift = await ask(emu, "/drift");
    assert.match(drift.text, /Drift|drifted/);

    const model = await ask(emu, "/model");
    assert.match(model.text, /tiny: 1 version/);
    assert.match(model.text, /champion: version 1/);
    assert.match(model.text, /by ada/);
    assert.match(model.text, /first champion/);
    assert.match(model.text, /accuracy 0\.8123/);

    const runs = await ask(emu, "/runs");
    assert.match(runs.text, /forest-300 · churn/);
    assert.match(runs.text, /accuracy 0\.8123/);

    const alerts = await ask(emu, "/alerts");
    assert.match(alerts.text, /Alertmanager is not configured/);
    assert.match(alerts.text, /No undeliverable notifications/);

    // Commands answer fast (backend time included here; the edge is local).
    for (const r of [status, predict, model, runs]) assert.ok(r.ms < 3000, `${r.ms} ms`);

    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    assert.match(metrics, /mlops_bot_commands_total\{command="status",outcome="ok"\} 1/);
    assert.match(metrics, /mlops_bot_commands_total\{command="predict",outcome="bad_input"\} 1/);
    assert.match(
      metrics,
      /mlops_bot_telegram_request_duration_seconds_bucket\{method="sendMessage"/,
    );
    assert.ok(!metrics.includes(ALERT_CHAT.toString()), "no chat ids as labels");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bot commands: a backend that is down gets one clear line, within seconds", async () => {
  const closed = freePort();
  await using emu = await startEmulator();
  await using bot = await startBot(emu, {
    PROMETHEUS_URL: `http://127.0.0.1:${closed}`,
    ALERTMANAGER_URL: `http://127.0.0.1:${closed}`,
    EDGE_URL: `http://127.0.0.1:${closed}`,
    MLFLOW_TRACKING_URI: `http://127.0.0.1:${closed}`,
    MODEL_NAME: "tiny",
  });
  const lines: Record<string, RegExp> = {
    "/status": /Prometheus at http:\/\/127\.0\.0\.1:\d+ is down: connection refused/,
    "/drift": /Prometheus at http:\/\/127\.0\.0\.1:\d+ is down/,
    "/silences": /Alertmanager at http:\/\/127\.0\.0\.1:\d+ is down/,
    "/alerts": /Alertmanager at http:\/\/127\.0\.0\.1:\d+ is down/,
    "/predict x=1": /the edge at http:\/\/127\.0\.0\.1:\d+ is down/,
    "/model": /MLflow at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
  };
  for (const [cmd, re] of Object.entries(lines)) {
    const r = await ask(emu, cmd);
    assert.match(r.text, re, `${cmd}: ${r.text}`);
    assert.ok(r.ms < 8000, `${cmd} took ${r.ms} ms`);
  }
  assert.ok(bot.logs.every((l) => !/at .*\.ts:\d+/.test(l)), "no stack traces");
});

Deno.test("bot access: a stranger gets one refusal and no data; group chatter is ignored", async () => {
  await using emu = await startEmulator();
  await using bot = await startBot(emu, { EDGE_URL: "http://127.0.0.1:9" });
  const r = await ask(emu, "/status", STRANGER);
  assert.equal(r.text, REFUSAL);
  assert.equal(r.n, 1);
  const r2 = await ask(emu, "hello?", STRANGER);
  assert.equal(r2.text, REFUSAL);
  // In the alert group, a stranger's chatter gets nothing; their command gets the refusal.
  emu.userSends(ALERT_CHAT, STRANGER, "anyone around?");
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(emu.sent(ALERT_CHAT).length, 0);
  const r3 = await ask(emu, "/alerts", STRANGER, ALERT_CHAT);
  assert.equal(r3.text, REFUSAL);
  await ask(emu, "/made_up_1", STRANGER);
  const metrics = await (await fetch(`${bot.url}/metrics`)).text();
  assert.match(metrics, /mlops_bot_commands_total\{command="alerts",outcome="refused"\} 1/);
  assert.match(metrics, /mlops_bot_commands_total\{command="unknown",outcome="refused"\} 1/);
  assert.ok(!metrics.includes("made_up"), "strangers cannot mint label values");
});

Deno.test("bot commands: with EDGE_API_KEY the bot reads an edge that has API keys", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-bot-key-" });
  try {
    await writeBundle(`${dir}/model`, tinyBundle());
    await using edge = await startEdgeProcess({
      MODEL_PATH: `${dir}/model`,
      API_KEYS: "edge-key-1",
    });
    await using emu = await startEmulator();
    {
      await using _bot = await startBot(emu, { EDGE_URL: edge.url });
      assert.match((await ask(emu, "/status")).text, /answered 401/);
    }
    await using _bot = await startBot(emu, { EDGE_URL: edge.url, EDGE_API_KEY: "edge-key-1" });
    const status = await ask(emu, "/status");
    assert.match(status.text, /Model: tiny version 7/);
    assert.match((await ask(emu, "/predict x=9 color=red")).text, /Prediction: yes/);
    assert.doesNotMatch(emu.sent(ADMIN.id).map((m) => m.text).join("\n"), /edge-key-1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
