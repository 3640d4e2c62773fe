/**
 * A hostile tracking server must not be able to write or delete anything on
 * the client outside the model cache: every answer that becomes a path
 * (versions, names, artifact listings) is checked where it enters.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { md5Hex } from "../lib/mlflow/_ids.ts";
import { openStore, registerModelVersion, type RestClientOptions } from "../lib/mlflow/mod.ts";
import { writeBundle } from "../lib/model/io.ts";
import { fetchBundle } from "../lib/sweep/edge_bundle.ts";
import { mlops } from "./support/cli.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import { withEnv } from "./support/env.ts";

const FAST: RestClientOptions = { credentials: null, sleep: () => Promise.resolve() };
const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";

type Intercept = (req: Request, path: string, q: URLSearchParams) => Response | undefined;

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
    h.setLie((_req, path) => {
      if (path !== "/api/2.0/mlflow/registered-models/alias") return undefined;
      return Response.json({
        model_version: {
          name: "m",
          version: "../../../../victim",
          source: h.source,
          run_id: h.run.runId,
          status: "READY",
        },
      });
    });
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
