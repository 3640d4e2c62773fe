/**
 * No secret (tracking URI userinfo, MLFLOW_TRACKING_PASSWORD/TOKEN, API keys,
 * credentials in MODEL_URL) may appear in any output stream, file, tag, log
 * or endpoint, whatever fails.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { FileStore } from "../lib/mlflow/transfer.ts";
import { mlops } from "./support/cli.ts";
import { trainTiny, writeTinyCsv } from "./support/tiny_csv.ts";
import { fetchWithin, startEdgeProcess } from "./support/edge_process.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { withEnv } from "./support/env.ts";

const URI_PASS = "uri-pass-7f3a9c";
const ENV_PASS = "env-pass-51bd2e";
const ENV_TOKEN = "env-token-c0ffee99";
const SECRETS = [URI_PASS, ENV_PASS, ENV_TOKEN];

/** Every file under `dir` as `path: content` (binary files as latin1, so bytes still match). */
async function everyFile(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) {
        out.push(`${p}: ${new TextDecoder("latin1").decode(await Deno.readFile(p))}`);
      }
    }
  };
  await walk(dir);
  return out;
}

function assertNoSecret(where: string, text: string, secrets = SECRETS) {
  for (const s of secrets) {
    assert.ok(!text.includes(s), `${where} leaks '${s}':\n${text.slice(0, 2000)}`);
  }
}

function deadPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("secrets: a dead server with credentials in the URI and the environment leaks nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlops-secrets-" });
  const server = startMlflowServer({ auth: { username: "ada", password: URI_PASS } });
  try {
    const csv = await writeTinyCsv(tmp);
    const mlruns = join(tmp, "mlruns");
    const dead = `http://ada:${URI_PASS}@127.0.0.1:${deadPort()}`;
    const outputs: string[] = [];
    const record = (what: string, r: { code: number; stdout: string; stderr: string }) => {
      outputs.push(`${what}\n${r.stdout}\n${r.stderr}`);
      return r;
    };

    const train = record(
      "train",
      await withEnv({
        MLFLOW_TRACKING_USERNAME: "ada",
        MLFLOW_TRACKING_PASSWORD: ENV_PASS,
        MLFLOW_TRACKING_TOKEN: ENV_TOKEN,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
        MLOPS_FALLBACK_STORE: mlruns,
      }, () => trainTiny({ csv, out: join(tmp, "out"), trackingUri: dead })),
    );
    assert.equal(train.code, 0, train.stderr);
    assert.match(train.stderr, /unreachable/);
    assert.match(train.stderr, /mlops sync --to http:\/\/127\.0\.0\.1:\d+ /);
    const local = new FileStore(mlruns);
    const [exp] = await local.listExperiments();
    const [run] = await local.searchRuns([exp.experimentId]);
    assert.match(run.data.tags["mlops.pending_sync"], /^http:\/\/127\.0\.0\.1:\d+$/);

    // A bad answer naming the server, and errors while the env holds secrets.
    record(
      "predict",
      await withEnv(
        { MLFLOW_TRACKING_PASSWORD: ENV_PASS, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" },
        () =>
          mlops(
            "predict",
            "--model",
            "models:/small@champion",
            "--tracking-uri",
            dead,
            "--data",
            csv,
          ),
      ),
    );
    record("runs list", await mlops("runs", "list", "--tracking-uri", mlruns));
    record("runs show", await mlops("runs", "show", run.info.runId, "--tracking-uri", mlruns));
    record(
      "runs show --json",
      await mlops("runs", "show", run.info.runId, "--tracking-uri", mlruns, "--json"),
    );

    // Sync with the credentials in --to only: they are used (artifacts too) and never shown.
    const to = server.url.replace("http://", `http://ada:${URI_PASS}@`);
    const sync = record(
      "sync",
      await withEnv({
        MLFLOW_TRACKING_USERNAME: undefined,
        MLFLOW_TRACKING_PASSWORD: undefined,
        MLFLOW_TRACKING_TOKEN: undefined,
      }, () => mlops("sync", "--to", to, "--from", mlruns)),
    );
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, /1 run uploaded/);
    const [remote] = server.runs.values();
    assert.equal(remote.info.status, "FINISHED");
    assert.ok(server.artifacts.size > 0, "artifacts went up with the URI's credentials");
    assertNoSecret("remote tags", JSON.stringify([...remote.tags]));
    const wrong = record(
      "sync (wrong password)",
      await mlops(
        "sync",
        "--to",
        server.url.replace("http://", `http://ada:${ENV_PASS}@`),
        "--from",
        mlruns,
      ),
    );
    assert.equal(wrong.code, 0, "nothing left to sync");

    for (const o of outputs) assertNoSecret(o.split("\n")[0], o);
    for (const f of await everyFile(tmp)) assertNoSecret(f.split(":")[0], f);
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("secrets: the edge never prints or serves MODEL_URL credentials or API keys", async () => {
  const EDGE_PASS = "edge-pass-9911aa";
  const EDGE_TOKEN = "edge-token-4242bb";
  const API_KEY = "api-key-0123456789";
  const secrets = [EDGE_PASS, EDGE_TOKEN, API_KEY];
  const notFound = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(`no such model; you sent ${EDGE_TOKEN}`, { status: 404 }),
  );
  try {
    for (const port of [deadPort(), notFound.addr.port]) {
      await using edge = await startEdgeProcess({
        MODEL_URL: `http://ada:${EDGE_PASS}@127.0.0.1:${port}/m.json?token=${EDGE_TOKEN}`,
        API_KEYS: API_KEY,
        ACCESS_LOG: "true",
      });
      // Wait for the load to fail (the listener is up before the model loads).
      for (let i = 0; i < 200; i++) {
        const body = await (await fetchWithin(`${edge.url}/readyz`)).text();
        if (!body.includes('"loading"')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const seen: string[] = [];
      for (const path of ["/readyz", "/healthz", "/", "/v1/model", "/metrics", "/openapi.json"]) {
        const res = await fetchWithin(`${edge.url}${path}`);
        seen.push(`${path} ${res.status} ${await res.text()}`);
      }
      const predict = await fetchWithin(`${edge.url}/v1/predict`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ instances: [{ x: 1 }] }),
      });
      seen.push(`/v1/predict ${predict.status} ${await predict.text()}`);
      assert.match(seen[0], /^\/readyz 503 .*MODEL_URL/);
      for (const s of seen) assertNoSecret(s.split(" ")[0], s, secrets);
      assertNoSecret("edge output", edge.output(), secrets);
    }
  } finally {
    await notFound.shutdown();
  }
});

/**
 * A server that answers every request 400 with MLflow's error JSON echoing
 * the credentials it got: the header as sent, lower-cased, the bare base64
 * and the decoded password (or token).
 */
function echoingServer() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const header = req.headers.get("authorization") ?? "";
    const raw = header.replace(/^\S+\s+/, "");
    let pw = "";
    try {
      const [user, ...rest] = atob(raw).split(":");
      pw = rest.join(":") || user; // a lone user part is a token
    } catch {
      pw = raw; // a bearer token
    }
    return Response.json({
      error_code: "INVALID_PARAMETER_VALUE",
      message: `${header} | authorization: ${header.toLowerCase()} | ${
        JSON.stringify({ authorization: header })
      } raw=${raw} pw=${pw}`,
    }, { status: 400 });
  });
  return { url: `127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("secrets: a server echoing the credentials it got cannot get them printed, wherever they came from", async () => {
  const echo = echoingServer();
  const b64 = (s: string) => btoa(s);
  try {
    const cases: {
      what: string;
      uri: (host: string) => string;
      env: Record<string, string | undefined>;
      secrets: string[];
    }[] = [
      {
        what: "password only in --tracking-uri",
        uri: (host) => `http://ada:PwUri-77aa@${host}`,
        env: {},
        secrets: ["PwUri-77aa", b64("ada:PwUri-77aa")],
      },
      {
        what: "password with characters to escape in --tracking-uri",
        uri: (host) => `http://ada:p%40ss%2Fw0rd-9@${host}`,
        env: {},
        secrets: ["p@ss/w0rd-9", "p%40ss%2Fw0rd-9", b64("ada:p@ss/w0rd-9")],
      },
      {
        what: "a lone token as the user part of --tracking-uri",
        uri: (host) => `http://tok-in-uri-5150@${host}`,
        env: {},
        secrets: ["tok-in-uri-5150", b64("tok-in-uri-5150:")],
      },
      {
        what: "MLFLOW_TRACKING_USERNAME/PASSWORD",
        uri: (host) => `http://${host}`,
        env: { MLFLOW_TRACKING_USERNAME: "bob", MLFLOW_TRACKING_PASSWORD: "PwEnv-88bb" },
        secrets: ["PwEnv-88bb", b64("bob:PwEnv-88bb")],
      },
      {
        what: "userinfo of MLFLOW_TRACKING_URI",
        uri: () => "",
        env: { MLFLOW_TRACKING_URI: `http://cy:PwEnvUri-99cc@${echo.url}` },
        secrets: ["PwEnvUri-99cc", b64("cy:PwEnvUri-99cc")],
      },
      {
        what: "MLFLOW_TRACKING_TOKEN",
        uri: (host) => `http://${host}`,
        env: { MLFLOW_TRACKING_TOKEN: "tok-echo-1234abcd" },
        secrets: ["tok-echo-1234abcd"],
      },
    ];
    for (const c of cases) {
      const uri = c.uri(echo.url);
      const r = await withEnv({
        MLFLOW_TRACKING_USERNAME: undefined,
        MLFLOW_TRACKING_PASSWORD: undefined,
        MLFLOW_TRACKING_TOKEN: undefined,
        MLFLOW_TRACKING_URI: undefined,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
        ...c.env,
      }, () => mlops("runs", "list", ...(uri ? ["--tracking-uri", uri] : [])));
      assert.notEqual(r.code, 0, c.what);
      assert.equal(r.stderr.split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /INVALID_PARAMETER_VALUE/, c.what);
      assert.match(r.stderr, /raw=\*\*\* pw=\*\*\*/, `${c.what}: ${r.stderr}`);
      assertNoSecret(c.what, `${r.stdout}\n${r.stderr}`, c.secrets);
    }
  } finally {
    await echo.close();
  }
});
