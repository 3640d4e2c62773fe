/**
 * The deploy job's own step (.github/workflows/deploy.yml → .github/scripts/deploy.sh),
 * run for real against a local stand-in for `deno deploy`
 * (tests/support/deno_deploy_stand_in.ts): the champion is deployed and
 * smoke-tested; a deployment that fails its smoke test is rolled back to the
 * previous version in the registry and deployed again; the job then sends
 * exactly one message. Also `mlops export`, which the manual deploy uses.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { openStore } from "../lib/mlflow/open.ts";
import { readBundle } from "../lib/model/io.ts";
import { mlops } from "./support/cli.ts";
import {
  ADMIN,
  ALERT_CHAT,
  botEnv,
  notification,
  postAlerts,
  startEmulator,
} from "./support/bot_harness.ts";
import { installDenoDeployStandIn } from "./support/deno_deploy_stand_in.ts";
import { startReceivers } from "./support/notify_receivers.ts";
import { tinyRegistry } from "./support/tiny_csv.ts";
import { actionStep, readOutputs, runStep, workflowStep } from "./support/workflow_steps.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** A throwaway git checkout of what deploy.sh touches: the edge, deno.json, .gitignore. */
async function checkout(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, ".github/scripts"), { recursive: true });
  for (const f of ["deno.json", ".gitignore", ".github/scripts/deploy.sh"]) {
    await Deno.copyFile(join(ROOT, f), join(dir, f));
  }
  const cp = await new Deno.Command("cp", {
    args: ["-r", join(ROOT, "edge"), join(dir, "edge")],
  }).output();
  assert.ok(cp.success);
  for await (const e of Deno.readDir(join(dir, "edge/model"))) {
    if (e.name.endsWith(".json")) await Deno.remove(join(dir, "edge/model", e.name));
  }
  for (const d of ["cli", "lib", "data"]) await Deno.symlink(join(ROOT, d), join(dir, d));
  const git = await new Deno.Command("git", { args: ["init", "-q"], cwd: dir }).output();
  assert.ok(git.success);
}

Deno.test({
  name:
    "deploy.sh: deploys and smoke-tests the champion; a failed smoke test rolls back, once told",
  sanitizeResources: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "mlops-deploy-" });
    try {
      await using standIn = await installDenoDeployStandIn();
      await using receivers = await startReceivers();
      const repo = join(tmp, "repo");
      await checkout(repo);

      // A registry with two versions: champion 1, then 2 promoted (what sweep.yml hands over).
      const mlruns = await tinyRegistry(tmp, 2, join(repo, "edge/model"));

      const step = await workflowStep(".github/workflows/deploy.yml", "edge", "deploy");
      assert.equal(step.run.trim(), "bash .github/scripts/deploy.sh");
      const env = (outputs: string, summary: string): Record<string, string> => ({
        ...step.fill({
          APP: "edge",
          DENO_DEPLOY_TOKEN: "ddo_local-stand-in-token",
          DENO_DEPLOY_ORG: "acme",
          DENO_DEPLOY_APP: "mlops-edge",
          DEPLOYED_URL: "",
          EDGE_API_KEY: "",
          MODEL_NAME: "small",
          MODEL_VERSION: "2",
          PREVIOUS_VERSION: "1",
          MLFLOW_TRACKING_URI: mlruns,
          MLFLOW_TRACKING_USERNAME: "",
          MLFLOW_TRACKING_PASSWORD: "",
        }),
        ...standIn.env,
        PATH: `${standIn.binDir}:${Deno.env.get("PATH")}`,
        SMOKE_TIMEOUT: "6",
        GITHUB_OUTPUT: outputs,
        GITHUB_STEP_SUMMARY: summary,
      });

      // 1. The champion deploys and passes.
      const out1 = join(tmp, "out1"), sum1 = join(tmp, "sum1");
      const ok = await runStep(step.run, { cwd: repo, env: env(out1, sum1) });
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(await readOutputs(out1), {
        url: standIn.url,
        outcome: "deployed",
        message: `small version 2 is live at ${standIn.url} (smoke test passed).`,
      });
      const served = await (await fetch(`${standIn.url}/v1/model`)).json();
      assert.equal(served.version, "2");
      // deno deploy uploads what git does not ignore: the script un-ignored the bundle.
      const [rev1] = await standIn.revisions();
      assert.equal(rev1, "rev_1");
      // What went up runs the edge as one bundled module (edge/README.md, "Cold start").
      const deployed = JSON.parse(await Deno.readTextFile(join(repo, "deno.json")));
      assert.equal(deployed.deploy.runtime.entrypoint, "./edge/main.bundle.js");
      assert.ok((await Deno.stat(join(repo, "edge/main.bundle.js"))).size > 10_000);

      // 2. A deployment that fails its smoke test (a broken bundle) is rolled back.
      await Deno.writeTextFile(join(repo, "edge/model/model.mlops.json"), '{"format": "broken"');
      const out2 = join(tmp, "out2"), sum2 = join(tmp, "sum2");
      const rolled = await runStep(step.run, { cwd: repo, env: env(out2, sum2) });
      assert.equal(rolled.code, 1, rolled.stderr);
      const o2 = await readOutputs(out2);
      assert.equal(o2.outcome, "rolled-back");
      assert.match(o2.message, /failed its smoke test .*rolled back: champion is version 1 again/);
      assert.match(await Deno.readTextFile(sum2), /### Deploy edge/);
      assert.equal((await (await fetch(`${standIn.url}/v1/model`)).json()).version, "1");
      const champion = await openStore(mlruns).getModelVersionByAlias("small", "champion");
      assert.equal(champion.version, "1");
      assert.equal((await readBundle(join(repo, "edge/model"))).version, "1");
      assert.deepEqual(await standIn.revisions(), ["rev_1", "rev_2", "rev_3"]);

      // 3. The job's "Tell people" step (the notify action) sends exactly one message.
      const tell = await workflowStep(".github/workflows/deploy.yml", "edge", "Tell people");
      assert.equal(tell.uses, "./.github/actions/notify");
      const notify = await actionStep(".github/actions/notify", "mlops notify");
      const told = await runStep(notify.run, {
        cwd: ROOT,
        env: notify.fill({
          TITLE: String(tell.with.title),
          TEXT: o2.message,
          SEVERITY: String(tell.with.severity),
          LINK: "https://github.com/acme/mlops/actions/runs/1",
        }, {
          ...receivers.env("bot"),
          TELEGRAM_BOT_TOKEN: "",
          TELEGRAM_CHAT_ID: "",
          SLACK_WEBHOOK_URL: "",
        }),
      });
      assert.equal(told.code, 0, told.stderr);
      assert.equal(receivers.delivered.length, 1);
      assert.equal(receivers.delivered[0].body.severity, "critical");
      assert.match(String(receivers.delivered[0].body.text), /rolled back/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "deploy.sh: the bot's app runs the real bot/deploy.ts, which answers /healthz, a webhook update and /alerts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "mlops-deploy-bot-" });
    try {
      // Telegram: the emulator, which pushes updates to the webhook the bot sets.
      await using emu = await startEmulator({ allowHttpWebhook: true });
      await using standIn = await installDenoDeployStandIn();
      const repo = join(tmp, "repo");
      await checkout(repo);
      await Deno.symlink(join(ROOT, "bot"), join(repo, "bot"));
      const secret = "webhook-secret_0123456789";
      // The app's environment, as set in the Deno Deploy console; an in-memory store
      // stands in for Deploy's KV.
      const appEnv = botEnv(emu, {
        TELEGRAM_WEBHOOK_SECRET: secret,
        BOT_PUBLIC_URL: standIn.url,
        BOT_STORE: ":memory:",
      });
      const step = await workflowStep(".github/workflows/deploy.yml", "bot", "deploy");
      assert.equal(step.run.trim(), "bash .github/scripts/deploy.sh");
      const outputs = join(tmp, "out");
      const r = await runStep(step.run, {
        cwd: repo,
        env: step.fill({
          APP: "bot",
          DENO_DEPLOY_TOKEN: "ddo_local-stand-in-token",
          DENO_DEPLOY_ORG: "acme",
          DENO_DEPLOY_APP: "mlops-bot",
          DEPLOYED_URL: "",
        }, {
          ...standIn.env,
          STAND_IN_APP_ENV: JSON.stringify(appEnv),
          PATH: `${standIn.binDir}:${Deno.env.get("PATH")}`,
          GITHUB_OUTPUT: outputs,
        }),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await readOutputs(outputs), {
        url: standIn.url,
        outcome: "deployed",
        message: `The bot is deployed at ${standIn.url} and answers /healthz.`,
      });
      const config = JSON.parse(await Deno.readTextFile(join(repo, "deno.json")));
      assert.equal(config.deploy.runtime.entrypoint, "./bot/deploy.ts");

      // The deployed bot registered its webhook with the secret, and answers an update
      // Telegram pushes there.
      await emu.waitFor(() => emu.webhook !== null, 60_000, "setWebhook");
      assert.deepEqual(emu.webhook, { url: `${standIn.url}/telegram`, secret_token: secret });
      emu.userSends(ADMIN.id, ADMIN, "/help");
      await emu.waitFor(() => emu.sent(ADMIN.id).length > 0, 60_000, "the answer to /help");
      assert.match(emu.sent(ADMIN.id)[0].text ?? "", /\/status/);
      // A webhook POST without Telegram's secret header is refused.
      const forged = await fetch(`${standIn.url}/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ update_id: 1 }),
      });
      await forged.body?.cancel();
      assert.equal(forged.status, 401);

      // Alertmanager's webhook: stored, then delivered to the alert chat.
      const posted = await postAlerts(standIn.url, notification([{ name: "EdgeDown" }]));
      assert.equal(posted.status, 200, JSON.stringify(posted.json));
      assert.equal(posted.json.status, "queued");
      await emu.waitFor(() => emu.sent(ALERT_CHAT).length > 0, 60_000, "the alert message");
      assert.match(emu.sent(ALERT_CHAT)[0].text ?? "", /FIRING.*EdgeDown/s);

      // Without a token, deno deploy refuses (exit 3) and the job fails with one message.
      const denied = await runStep(step.run, {
        cwd: repo,
        env: step.fill({
          APP: "bot",
          DENO_DEPLOY_TOKEN: "",
          DENO_DEPLOY_ORG: "acme",
          DENO_DEPLOY_APP: "mlops-bot",
          DEPLOYED_URL: "",
        }, {
          ...standIn.env,
          PATH: `${standIn.binDir}:${Deno.env.get("PATH")}`,
          GITHUB_OUTPUT: join(tmp, "out2"),
        }),
      });
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /AUTH_REQUIRED/);
      assert.equal((await readOutputs(join(tmp, "out2"))).outcome, "failed");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "manual deploy: the bundle step reads the champion before export, so a failed smoke test can roll back",
  sanitizeResources: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "mlops-deploy-manual-" });
    try {
      const repo = join(tmp, "repo");
      await checkout(repo);
      // Champion 2 (1 promoted, then 2); the user deploys version 1 by hand.
      const mlruns = await tinyRegistry(tmp, 2, join(tmp, "edge-model"));
      const store = openStore(mlruns);
      assert.equal((await store.getModelVersionByAlias("small", "champion")).version, "2");
      const step = await workflowStep(".github/workflows/deploy.yml", "edge", "bundle");
      const bundle = async (ref: string) => {
        const outputs = join(tmp, `bundle-${crypto.randomUUID()}`);
        const r = await runStep(step.run, {
          cwd: repo,
          env: step.fill({
            ARTIFACT_VERSION: "",
            ARTIFACT_MODEL: ref,
            MODEL_REF: ref,
            FROM_ARTIFACT: "false",
            MLFLOW_TRACKING_URI: mlruns,
            MLFLOW_TRACKING_USERNAME: "",
            MLFLOW_TRACKING_PASSWORD: "",
          }, { GITHUB_OUTPUT: outputs }),
        });
        assert.equal(r.code, 0, r.stderr);
        return await readOutputs(outputs);
      };
      assert.deepEqual(await bundle("models:/small/1"), {
        previous: "2",
        name: "small",
        version: "1",
      });
      // The champion itself: nothing else known to go back to.
      assert.deepEqual(await bundle("models:/small@champion"), { name: "small", version: "2" });
      // The deploy step takes it when the caller (deploy-manual.yml) passes none.
      const deploy = await workflowStep(".github/workflows/deploy.yml", "edge", "deploy");
      assert.equal(
        deploy.env.PREVIOUS_VERSION,
        "${{ inputs.previous-version || steps.bundle.outputs.previous }}",
      );
      const manual = await Deno.readTextFile(join(ROOT, ".github/workflows/deploy-manual.yml"));
      assert.doesNotMatch(manual, /previous-version:/, "manual deploys leave it to deploy.yml");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("mlops export writes the registered bundle, stamped, and leaves the registry alone", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlops-export-" });
  try {
    const mlruns = await tinyRegistry(tmp, 1, join(tmp, "e1"));
    const store = openStore(mlruns);
    const before = await store.getModelVersionByAlias("small", "champion");
    const e = await mlops(
      "export",
      "--model",
      "models:/small@champion",
      "--tracking-uri",
      mlruns,
      "--out",
      join(tmp, "edge"),
      "--json",
    );
    assert.equal(e.code, 0, e.stderr);
    const json = JSON.parse(e.stdout);
    assert.deepEqual([json.model, json.version], ["small", "1"]);
    const bundle = await readBundle(join(tmp, "edge"));
    assert.deepEqual([bundle.name, bundle.version], ["small", "1"]);
    assert.deepEqual(await store.getModelVersionByAlias("small", "champion"), before);
    const missing = await mlops(
      "export",
      "--model",
      "models:/small@nope",
      "--tracking-uri",
      mlruns,
      "--out",
      join(tmp, "x"),
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
