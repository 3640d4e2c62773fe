/**
 * The workflows' own shell steps, run here against the real CLI (as GitHub
 * runs them: bash -eo pipefail, the step's env filled in by the test):
 *
 * - batch.yml's nightly step on the bundled data, with a loopback
 *   notification receiver: exactly one message with the right row count,
 *   and exactly one on failure; the `failed` job's notify action;
 * - the same step with `BOT_URL` pointing at the real bot (bot/), which
 *   delivers to the strict Telegram emulator: one message per alert chat;
 * - sweep.yml's retrain: two shards, collect, the gated promotion and its
 *   job summary (candidates, champion before and after, the gate's decision).
 *
 * Each runs in a workspace that links the checkout's code, so what the steps
 * write (out/, mlruns/) stays out of the repository.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { openStore } from "../lib/mlflow/open.ts";
import { ALERT_CHAT, ALERT_TOKEN, startBot, startEmulator } from "./support/bot_harness.ts";
import { NO_CHANNELS, startReceivers } from "./support/notify_receivers.ts";
import { trainedModel } from "./support/trained_model.ts";
import { actionStep, readOutputs, runStep, workflowStep } from "./support/workflow_steps.ts";
import { retrainSummary } from "../.github/scripts/retrain_summary.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** A folder that looks like the checkout to `deno task` (deno.json + linked code). */
async function workspace(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.copyFile(join(ROOT, "deno.json"), join(dir, "deno.json"));
  for (const d of ["cli", "lib", "edge", "data", ".github"]) {
    await Deno.symlink(join(ROOT, d), join(dir, d));
  }
  return dir;
}

// The workflow steps declare every channel variable but TELEGRAM_API_ROOT (test-only).
const { TELEGRAM_API_ROOT: _root, ...NO_STEP_CHANNELS } = NO_CHANNELS;

/**
 * Runs batch.yml's batch step in `dir` on `data` (out/<name>), with the
 * notification `channels` set (the step's other channel variables empty) and
 * `extra` environment; its result, outputs and job summary.
 */
async function runBatchStep(dir: string, o: {
  modelDir: string;
  data: string;
  name: string;
  channels: Record<string, string>;
  extra?: Record<string, string>;
}) {
  const step = await workflowStep(".github/workflows/batch.yml", "batch", "batch");
  const outputs = join(dir, `${o.name}.out`), summary = join(dir, `${o.name}.md`);
  const res = await runStep(step.run, {
    cwd: dir,
    env: step.fill({
      MODEL: o.modelDir,
      DATA: o.data,
      FROM_ARTIFACT: "false",
      OUT_DIR: `out/${o.name}`,
      RUN_URL: "https://github.com/acme/mlops/actions/runs/42",
      MLFLOW_TRACKING_URI: join(dir, "mlruns"),
      MLFLOW_TRACKING_USERNAME: "",
      MLFLOW_TRACKING_PASSWORD: "",
      ...NO_STEP_CHANNELS,
      ...o.channels,
    }, { ...o.extra, GITHUB_OUTPUT: outputs, GITHUB_STEP_SUMMARY: summary }),
  });
  return {
    ...res,
    outputs: await readOutputs(outputs),
    summary: await Deno.readTextFile(summary).catch(() => ""),
  };
}

Deno.test({
  name: "batch.yml: the nightly step scores the bundled data and sends exactly one message",
  sanitizeResources: false,
  async fn() {
    const { modelDir } = await trainedModel();
    const dir = await workspace("mlops-batch-step-");
    try {
      const run = async (data: string, name: string) => {
        await using receivers = await startReceivers();
        // TELEGRAM_API_ROOT points mlops at the receiver; the step itself has no such variable.
        const { TELEGRAM_API_ROOT, ...telegram } = receivers.env("telegram");
        const res = await runBatchStep(dir, {
          modelDir,
          data,
          name,
          channels: telegram,
          extra: { TELEGRAM_API_ROOT },
        });
        return { ...res, delivered: [...receivers.delivered] };
      };

      const ok = await run("data/telco-customer-churn.csv", "ok");
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.delivered.length, 1, "exactly one message");
      assert.match(ok.delivered[0].text, /Batch inference: 7,043 rows scored/);
      assert.match(ok.delivered[0].text, /Details$/);
      assert.equal(ok.outputs.notified, "true");
      assert.match(ok.summary, /^7043 rows of data\/telco-customer-churn\.csv scored with/m);
      assert.match(ok.summary, /^\| No \| \d+ \| \d+(\.\d)?% \|$/m);
      assert.match(ok.summary, /^MLflow run: [0-9a-f]{32}$/m);
      const predictions = await Deno.readTextFile(join(dir, "out/ok/predictions.csv"));
      assert.equal(predictions.trim().split("\n").length, 7044);
      const runs = await openStore(join(dir, "mlruns")).listExperiments();
      assert.ok(runs.some((e) => e.name === "telco-customer-churn-batch-inference"));

      const failed = await run("data/no-such-export.csv", "failed");
      assert.equal(failed.code, 2);
      assert.equal(failed.delivered.length, 1, "exactly one message on failure");
      assert.match(
        failed.delivered[0].text,
        /^🚨 Batch inference failed\n\ndata\/no-such-export\.csv: file not found/,
      );
      // The `failed` job stays quiet: this job already told people.
      assert.equal(failed.outputs.notified, "true");
      assert.equal(failed.summary, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "batch.yml: the nightly step with BOT_URL → the real bot → one Telegram message per alert chat",
  sanitizeResources: false,
  async fn() {
    const { modelDir } = await trainedModel();
    const dir = await workspace("mlops-batch-bot-");
    const SECOND_CHAT = 4242;
    try {
      await using emu = await startEmulator();
      emu.addChat(SECOND_CHAT, "Second");
      await using bot = await startBot(emu, {
        TELEGRAM_ALERT_CHATS: `${ALERT_CHAT},${SECOND_CHAT}`,
      });
      const run = (data: string, name: string) =>
        runBatchStep(dir, {
          modelDir,
          data,
          name,
          channels: { BOT_URL: bot.url, ALERT_WEBHOOK_TOKEN: ALERT_TOKEN },
        });
      /** The bot queued it before answering; wait for the chats to get it. */
      const delivered = async (n: number) => {
        for (const chat of [ALERT_CHAT, SECOND_CHAT]) {
          await emu.waitFor(() => emu.sent(chat).length >= n, 10_000, `message ${n} in ${chat}`);
        }
        await new Promise((r) => setTimeout(r, 300));
        return [ALERT_CHAT, SECOND_CHAT].map((chat) => emu.sent(chat));
      };

      const ok = await run("data/telco-customer-churn.csv", "ok");
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /notified {2}bot/);
      assert.equal(ok.outputs.notified, "true");
      for (const messages of await delivered(1)) {
        assert.equal(messages.length, 1, "exactly one message per alert chat");
        assert.match(messages[0].text, /^(ℹ️|⚠️) Batch inference: 7,043 rows scored/);
        const link = messages[0].entities?.find((e) => e.type === "text_link");
        assert.equal(link?.url, "https://github.com/acme/mlops/actions/runs/42");
      }

      const failed = await run("data/no-such-export.csv", "failed");
      assert.equal(failed.code, 2);
      assert.equal(failed.outputs.notified, "true");
      for (const messages of await delivered(2)) {
        assert.equal(messages.length, 2, "exactly one more on failure");
        assert.match(
          messages[1].text,
          /^🚨 Batch inference failed\n\ndata\/no-such-export\.csv: file not found/,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("batch.yml: the failed job speaks only when the batch step did not, through the notify action", async () => {
  const doc = await Deno.readTextFile(join(ROOT, ".github/workflows/batch.yml"));
  assert.match(doc, /if: \$\{\{ failure\(\) && needs\.batch\.outputs\.notified != 'true' \}\}/);
  const tell = await workflowStep(".github/workflows/batch.yml", "failed", "Tell people");
  assert.equal(tell.uses, "./.github/actions/notify");
  const notify = await actionStep(".github/actions/notify", "mlops notify");
  await using receivers = await startReceivers();
  const told = await runStep(notify.run, {
    cwd: ROOT,
    env: notify.fill({
      TITLE: String(tell.with.title),
      TEXT: String(tell.with.text),
      SEVERITY: String(tell.with.severity),
      LINK: "https://github.com/acme/mlops/actions/runs/42",
    }, { ...NO_CHANNELS, ...receivers.env("slack") }),
  });
  assert.equal(told.code, 0, told.stderr);
  assert.equal(receivers.delivered.length, 1);
  assert.match(receivers.delivered[0].text, /^:rotating_light: \*Batch inference failed\*/);
});

Deno.test({
  name: "sweep.yml: two shards, collect and the gated promotion, with the job summary",
  sanitizeResources: false,
  async fn() {
    const dir = await workspace("mlops-retrain-steps-");
    try {
      await Deno.writeTextFile(
        join(dir, "sweep.yaml"),
        "cv: 2\ngrid:\n  trees: [3, 6]\n  max-depth: [6]\n",
      );
      const mlruns = join(dir, "mlruns");
      const secrets = {
        MLFLOW_TRACKING_URI: mlruns,
        MLFLOW_TRACKING_USERNAME: "",
        MLFLOW_TRACKING_PASSWORD: "",
      };
      const sweepId = `retrain-${crypto.randomUUID().slice(0, 8)}`;
      const shard = await workflowStep(
        ".github/workflows/sweep.yml",
        "shard",
        "Sweep shard ${{ matrix.shard }}",
      );
      for (const i of ["1", "2"]) {
        const r = await runStep(shard.run, {
          cwd: dir,
          env: shard.fill({
            SHARD: `${i}/2`,
            SHARD_INDEX: i,
            SWEEP_CONFIG: "sweep.yaml",
            ...secrets,
          }, {
            SWEEP_ID: sweepId,
          }),
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).configs.in_shard, 1);
      }
      const collect = await workflowStep(
        ".github/workflows/sweep.yml",
        "collect",
        "Collect sweep results",
      );
      const c = await runStep(collect.run, {
        cwd: dir,
        env: collect.fill(secrets, { SWEEP_ID: sweepId }),
      });
      assert.equal(c.code, 0, c.stderr);

      const promote = await workflowStep(".github/workflows/sweep.yml", "collect", "promote");
      const outputs = join(dir, "promote.out"), summary = join(dir, "summary.md");
      const p = await runStep(promote.run, {
        cwd: dir,
        env: promote.fill(secrets, {
          SWEEP_ID: sweepId,
          GITHUB_OUTPUT: outputs,
          GITHUB_STEP_SUMMARY: summary,
        }),
      });
      assert.equal(p.code, 0, p.stderr);
      assert.deepEqual(await readOutputs(outputs), {
        promoted: "true",
        model: "telco-customer-churn",
        version: "1",
        "previous-version": "",
      });
      const md = await Deno.readTextFile(summary);
      assert.match(md, new RegExp(`^### Retrain: sweep ${sweepId}$`, "m"));
      assert.match(
        md,
        /^\| 1 \| (trees=\d max-depth=6|max-depth=6 trees=\d) \| 0\.\d{4} ± 0\.\d{4} \|$/m,
      );
      assert.match(md, /^\| 2 \| /m);
      assert.match(md, /^\| before \| none \| — \|$/m);
      assert.match(md, /^\| after \| 1 \| 0\.\d{4} \|$/m);
      assert.match(md, /^\*\*Gate \(min delta 0\): promoted\*\*: /m);
      const bundle = JSON.parse(
        await Deno.readTextFile(join(dir, "out/champion/model.mlops.json")),
      );
      assert.equal(bundle.version, "1");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("retrainSummary: a refused candidate leaves the champion, and the table says so", () => {
  const md = retrainSummary(
    {
      sweep_id: "7",
      metric: "roc_auc",
      run_id: "r",
      candidates: [{ config_id: "c1", params: { trees: "100|x" }, cv_mean: 0.84, cv_std: 0.01 }],
      metrics: { accuracy: 0.8, f1: 0.6, roc_auc: 0.84, log_loss: 0.42 },
      n_test: 1409,
    },
    {
      promoted: false,
      status: "rejected",
      model: "churn",
      alias: "champion",
      version: "3",
      previous_version: "3",
      metric: "accuracy",
      candidate: 0.7981,
      champion: 0.8012,
      min_delta: 0.002,
      reason: "candidate 0.7981 does not beat champion 0.8012 by 0.002",
    },
  );
  assert.match(md, /^\| 1 \| trees=100\\\|x \| 0\.8400 ± 0\.0100 \|$/m);
  assert.match(md, /^\| before \| 3 \| 0\.8012 \|$/m);
  assert.match(md, /^\| candidate \| not registered \| 0\.7981 \|$/m);
  assert.match(md, /^\| after \| 3 \| 0\.8012 \|$/m);
  assert.match(
    md,
    /^\*\*Gate \(min delta 0\.002\): rejected\*\*: candidate 0\.7981 does not beat/m,
  );
});
