/**
 * A hostile tracking server must not be able to write or delete anything on
 * the client outside the model cache: every answer that becomes a path
 * (versions, names, artifact listings) is checked where it enters.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { md5Hex } from "../lib/mlflow/_ids.ts";
import { openStore } from "../lib/mlflow/mod.ts";
import { registerModelVersion } from "../lib/mlflow/registry.ts";
import { type RestClientOptions } from "../lib/mlflow/rest_client.ts";
import { writeBundle } from "../lib/model/io.ts";
import { fetchBundle } from "../lib/registry/mod.ts";
import { mlops, MLOPS_ARGV } from "./support/cli.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import { withEnv } from "./support/env.ts";

const FAST: RestClientOptions = { credentials: null, sleep: () => Promise.resolve() };
const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";

type Intercept = (req: Request, path: string, q: URLSearchParams) => Response | undefined;
const ALIAS = "/api/2.0/mlflow/registered-models/alias";

/** A lie: every alias names `modelVersion`. */
const aliasAnswers = (modelVersion: Record<string, unknown>): Intercept => (_req, path) =>
  path === ALIAS ? Response.json({ model_version: modelVersion }) : undefined;

/** A server holding `m` version 1 (alias champion) with a real bundle, and a hook to lie. */
async function hostileSetup() {
  let lie: Intercept = () => undefined;
  const server = startMlflowServer({ intercept: (req, path, q) => lie(req, path, q) });
  const root = await Deno.makeTempDir({ prefix: "mlops-hostile-" });
  const store = openStore(server.url, FAST);
  const exp = await store.createExperiment("e");
  const run = await store.createRun({ experimentId: exp });
  const modelDir = join(root, "model-src");
  await writeBundle(modelDir, tinyBundle());
  await store.logArtifact(run.runId, modelDir, "model");
  await store.updateRun(run.runId, "FINISHED");
  const source = `${run.artifactUri}/model`;
  await registerModelVersion(store, { name: "m", source, runId: run.runId, alias: "champion" });

  // What must survive: a victim folder and a sentinel file next to the cache.
  const cache = join(root, "cache");
  await Deno.mkdir(join(root, "victim"));
  await Deno.writeTextFile(join(root, "victim", "keep.txt"), "keep");
  await Deno.writeTextFile(join(root, "sentinel.txt"), "sentinel");
  const csv = join(root, "rows.csv");
  await Deno.writeTextFile(csv, "x,color\n1,blue\n9,red\n");
  const modelPrefix = source.replace(/^mlflow-artifacts:\//, "");
  return {
    server,
    root,
    cache,
    csv,
    run,
    source,
    modelPrefix,
    setLie: (f: Intercept) => (lie = f),
    predict: (model: string) =>
      withEnv(
        { MLOPS_CACHE: cache },
        () =>
          mlops("predict", "--model", model, "--tracking-uri", server.url, "--data", csv, "--json"),
      ),
    /** Everything outside the cache, file by file. */
    outside: async () => {
      const seen: string[] = [];
      const walk = async (dir: string, rel: string) => {
        for await (const e of Deno.readDir(dir)) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (r === "cache") continue;
          if (e.isDirectory) await walk(join(dir, e.name), r);
          else seen.push(`${r}=${await Deno.readTextFile(join(dir, e.name))}`);
        }
      };
      await walk(root, "");
      return seen.sort();
    },
    close: async () => {
      await server.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Files under the cache that are not in a finished version folder. */
async function halfWritten(cache: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(".tmp-")) out.push(join(dir, e.name));
      else if (e.isDirectory) await walk(join(dir, e.name));
    }
  };
  await walk(cache).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  return out;
}

/**
 * `mlops predict --model <model>` fails with one line matching `pattern`,
 * leaving everything outside the cache as `before` and no half-written
 * version in it; returns that line.
 */
async function refused(
  h: Awaited<ReturnType<typeof hostileSetup>>,
  model: string,
  pattern: RegExp,
  before: string[],
  label = model,
): Promise<string> {
  const r = await h.predict(model);
  assert.notEqual(r.code, 0, label);
  assert.equal(r.stderr.split("\n").length, 1, r.stderr);
  assert.match(r.stderr, pattern, label);
  assert.deepEqual(await h.outside(), before, `${label}: nothing outside the cache changed`);
  assert.deepEqual(await halfWritten(h.cache), [], label);
  return r.stderr;
}

Deno.test("hostile server: an alias answering a version that climbs out of the cache is refused", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    h.setLie(aliasAnswers({
      name: "m",
      version: "../../../../victim",
      source: h.source,
      run_id: h.run.runId,
      status: "READY",
    }));
    const line = await refused(
      h,
      "models:/m@champion",
      /^mlops: MLflow at http:\/\/127\.0\.0\.1:\d+ answered .*version/,
      before,
    );
    assert.match(line, /\.\.\/\.\.\/\.\.\/\.\.\/victim/);
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: a model version answer for another name or version is refused", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    for (const [name, version] of [["..", "1"], ["other", "1"], ["m", "2"], ["m", "01x"]]) {
      h.setLie((_req, path) =>
        path === "/api/2.0/mlflow/model-versions/get"
          ? Response.json({ model_version: { name, version, source: h.source } })
          : undefined
      );
      const answered = /^mlops: MLflow at http:\/\/127\.0\.0\.1:\d+ answered /;
      await refused(h, "models:/m/1", answered, before, `${name}/${version}`);
    }
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: artifact listings with names that leave their folder are refused", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    const bad: { path: string; is_dir: boolean }[] = [
      { path: "..", is_dir: true },
      { path: ".", is_dir: true },
      { path: "", is_dir: false },
      { path: "../sentinel.txt", is_dir: false },
      { path: "../../../../../sentinel.txt", is_dir: false },
      { path: "..\\..\\sentinel.txt", is_dir: false },
      { path: "evil\u0000.txt", is_dir: false },
      { path: "/tmp/evil.txt", is_dir: false },
      { path: "elsewhere/x/evil.txt", is_dir: false },
      { path: "model.mlops.json", is_dir: false }, // listed twice
    ];
    for (const entry of bad) {
      h.setLie((req, path, q) => {
        if (path === ARTIFACTS && (q.get("path") ?? "").endsWith("/model")) {
          return Response.json({
            files: [{ path: "model.mlops.json", is_dir: false, file_size: 10 }, entry],
          });
        }
        // Serve whatever file is asked for, wherever it says it is.
        if (path.startsWith(`${ARTIFACTS}/`) && req.method === "GET" && !path.endsWith(".json")) {
          return new Response("pwned");
        }
        return undefined;
      });
      const listing = /^mlops: MLflow at http:\/\/127\.0\.0\.1:\d+ answered .*artifact listing/;
      await refused(h, "models:/m/1", listing, before, JSON.stringify(entry));
    }
    // An honest answer still works, and a full path under the asked folder is fine.
    h.setLie((_req, path, q) => {
      const asked = q.get("path") ?? "";
      if (path === ARTIFACTS && asked.endsWith("/model")) {
        return Response.json({
          files: [{ path: `${asked}/model.mlops.json`, is_dir: false, file_size: 10 }],
        });
      }
      return undefined;
    });
    const ok = await h.predict("models:/m/1");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).rows, 2);
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: a symlink planted in the cache does not redirect the download", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    // cache/models/<server>/m -> ../../../victim: the version folder would land in the victim.
    const modelDir = join(h.cache, "models", md5Hex(h.server.url).slice(0, 12), "m");
    await Deno.mkdir(join(modelDir, ".."), { recursive: true });
    await Deno.symlink(join(h.root, "victim"), modelDir);
    await refused(h, "models:/m/1", /^mlops: refusing to write .* outside /, before);
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: promote's bundle download checks listings the same way", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    h.setLie((_req, path, q) =>
      path === ARTIFACTS && (q.get("path") ?? "").endsWith("/model")
        ? Response.json({ files: [{ path: "../../escaped.json", is_dir: false }] })
        : undefined
    );
    const store = openStore(h.server.url, FAST);
    await assert.rejects(
      () => fetchBundle(store, `runs:/${h.run.runId}/model`),
      /answered in the artifact listing .* "\.\.\/\.\.\/escaped\.json"/,
    );
    assert.deepEqual(await h.outside(), before);
  } finally {
    await h.close();
  }
});

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await filesUnder(dir, r));
    else out.push(r);
  }
  return out.sort();
}

Deno.test("hostile server: names that merely start with '..' are ordinary names and download", async () => {
  const h = await hostileSetup();
  try {
    const store = openStore(h.server.url, FAST);
    const extra = join(h.root, "extra");
    await Deno.mkdir(extra);
    for (const name of ["..notes.txt", "..%2Fx", "..."]) {
      await Deno.writeTextFile(join(extra, name), `content of ${name}`);
      await store.logArtifact(h.run.runId, join(extra, name), "model");
    }
    const r = await h.predict("models:/m/1");
    assert.equal(r.code, 0, r.stderr);
    const version = join(h.cache, "models", md5Hex(h.server.url).slice(0, 12), "m", "1");
    for (const name of ["..notes.txt", "..%2Fx", "..."]) {
      assert.equal(await Deno.readTextFile(join(version, name)), `content of ${name}`);
    }
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: a model named '.' or '..' is cached in its own folder of the server's", async () => {
  const h = await hostileSetup();
  try {
    const serverDir = join(h.cache, "models", md5Hex(h.server.url).slice(0, 12));
    for (const name of ["..", "."]) {
      // The server confirms the name asked for: MLflow allows such names.
      h.setLie(aliasAnswers({ name, version: "1", source: h.source, run_id: h.run.runId }));
      const r = await h.predict(`models:/${name}@champion`);
      assert.equal(r.code, 0, r.stderr);
    }
    // Nothing landed beside the server's folder (cache/models/1) or in another model's.
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(join(h.cache, "models")))).map((e) => e.name),
      [md5Hex(h.server.url).slice(0, 12)],
    );
    // '..' is "%2E." and '.' is "%2E": neither hidden nor a path step, and distinct.
    const bundles = (await filesUnder(serverDir)).filter((f) => f.endsWith("model.mlops.json"));
    assert.deepEqual(bundles, ["%2E./1/model.mlops.json", "%2E/1/model.mlops.json"]);
  } finally {
    await h.close();
  }
});

const MiB = 1024 * 1024;
/** Slack over a cap for what the server could push into socket buffers before the client stopped. */
const SLACK = 16 * MiB;

/**
 * An answer that goes on far past any cap (it ends after `limit` bytes, so a
 * client without a cap fails on it instead of eating the machine);
 * `sent()` is how much the client made the server produce.
 */
function endless(head: string, item: string, limit: number) {
  const enc = new TextEncoder();
  let sent = 0;
  const chunk = enc.encode(item.repeat(Math.ceil(64 * 1024 / item.length)));
  return {
    sent: () => sent,
    response: () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(enc.encode(head));
          },
          pull(c) {
            if (sent >= limit) return c.close();
            sent += chunk.length;
            c.enqueue(chunk);
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
  };
}

Deno.test("hostile server: endless answers are cut off at the cap, with one line naming the server and the cap", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    const alias = endless('{"model_version":{"name":"m","description":"', "x", 128 * MiB);
    const listing = endless('{"files":[', '{"path":"a","is_dir":false},', 32 * MiB);
    const cases: [string, Intercept, ReturnType<typeof endless>, Record<string, string>, RegExp][] =
      [
        [
          "an endless alias answer (default cap)",
          (_req, path) => path === ALIAS ? alias.response() : undefined,
          alias,
          {},
          /sent more than 64 MiB for GET mlflow\/registered-models\/alias: not reading on/,
        ],
        [
          "an endless artifact listing",
          (_req, path, q) =>
            path === ARTIFACTS && (q.get("path") ?? "").endsWith("/model")
              ? listing.response()
              : undefined,
          listing,
          { MLOPS_MAX_ANSWER_MB: "1" },
          /sent more than 1 MiB for GET \/api\/2\.0\/mlflow-artifacts\/artifacts\?path=\d+\/\w+\/artifacts\/model: not reading on/,
        ],
      ];
    for (const [what, lie, answer, env, says] of cases) {
      h.setLie(lie);
      const line = await withEnv(env, () => refused(h, "models:/m@champion", says, before, what));
      assert.match(line, /^mlops: MLflow at http:\/\/127\.0\.0\.1:\d+ sent more than/, what);
      const cap = env.MLOPS_MAX_ANSWER_MB ? Number(env.MLOPS_MAX_ANSWER_MB) * MiB : 64 * MiB;
      assert.ok(answer.sent() < cap + SLACK, `${what}: read ${answer.sent()} bytes`);
    }
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: an endless artifact file is cut off at the download cap, nothing half-written stays", async () => {
  const h = await hostileSetup();
  try {
    const before = await h.outside();
    const file = endless("", "pwned ", 32 * MiB);
    h.setLie((req, path) =>
      req.method === "GET" && path.startsWith(`${ARTIFACTS}/`) && path.endsWith("/model.mlops.json")
        ? file.response()
        : undefined
    );
    await withEnv(
      { MLOPS_MAX_DOWNLOAD_MB: "1" },
      () =>
        refused(
          h,
          "models:/m/1",
          /^mlops: MLflow at http:\/\/127\.0\.0\.1:\d+ sent more than 1 MiB of artifacts \(at .*model\.mlops\.json\)/,
          before,
        ),
    );
    assert.ok(file.sent() < MiB + SLACK, `read ${file.sent()} bytes`);
  } finally {
    await h.close();
  }
});

Deno.test("hostile server: an artifact location on another host gets no request, so no credentials", async () => {
  const h = await hostileSetup();
  const seen: string[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(`${req.method} ${req.url} ${req.headers.get("authorization")}`);
    return Response.json({ files: [] });
  });
  try {
    const before = await h.outside();
    const elsewhere = `127.0.0.1:${other.addr.port}`;
    for (
      const source of [
        `mlflow-artifacts://${elsewhere}/${h.modelPrefix}`,
        `http://${elsewhere}${ARTIFACTS}/${h.modelPrefix}`,
      ]
    ) {
      h.setLie(aliasAnswers({ name: "m", version: "1", source, run_id: h.run.runId }));
      await withEnv(
        { MLFLOW_TRACKING_USERNAME: "ada", MLFLOW_TRACKING_PASSWORD: "pw-for-the-tracking-server" },
        () =>
          refused(
            h,
            "models:/m@champion",
            /answered an artifact location .* it is on another host than the tracking server/,
            before,
            source,
          ),
      );
    }
    assert.deepEqual(seen, [], "no request (and no credentials) went to the other host");
  } finally {
    await other.shutdown();
    await h.close();
  }
});

Deno.test("hostile server: a download killed with kill -9 leaves a temp folder the next download removes", async () => {
  const h = await hostileSetup();
  try {
    // The bundle's bytes start and then stall: the download is caught half-way.
    let stalled = 0;
    h.setLie((req, path) => {
      if (req.method !== "GET" || !path.endsWith("/model.mlops.json")) return undefined;
      stalled++;
      return new Response(
        new ReadableStream({
          start: (c) => c.enqueue(new TextEncoder().encode('{"half": ')),
        }),
      );
    });
    const child = new Deno.Command(MLOPS_ARGV[0], {
      args: [
        ...MLOPS_ARGV.slice(1),
        "predict",
        "--model",
        "models:/m/1",
        "--tracking-uri",
        h.server.url,
        "--data",
        h.csv,
      ],
      env: { MLOPS_CACHE: h.cache, NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 60_000;
    while (stalled === 0 || (await halfWritten(h.cache)).length === 0) {
      assert.ok(Date.now() < deadline, "the download never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await child.status;
    const [left] = await halfWritten(h.cache);
    assert.ok(left, "kill -9 left the temp folder");

    // Two hours later, a download into the same folder cleans it up.
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await Deno.utime(left, old, old);
    h.setLie(() => undefined);
    const r = await h.predict("models:/m/1");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await halfWritten(h.cache), []);
  } finally {
    await h.close();
  }
});
