/**
 * The edge as deployed (issue 16 item 5): the one-file bundle that
 * `deno task build:edge` writes, which the container image and Deno Deploy
 * run, built with the task's own flags and run for real beside the edge from
 * its sources. It answers every route family as the sources do, including
 * what it loads lazily (the CSV parser, the docs page), and it needs no file
 * but itself: it imports nothing, not even the runtime's `node:` modules
 * (whose compatibility layer costs a cold start more than the bundle). Every
 * place that builds, ships or runs it names the same file.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { writeBundle } from "../lib/model/io.ts";
import {
  type EdgeProcess,
  fetchWithin,
  startEdgeProcess,
  waitReady,
} from "./support/edge_process.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** Runs `deno task build:edge`'s command with its output redirected to `out`. */
async function buildBundle(out: string): Promise<void> {
  const tasks = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks;
  const words: string[] = tasks["build:edge"].split(/\s+/);
  assert.equal(words[0], "deno");
  const at = words.indexOf("--output");
  assert.ok(at > 0, "build:edge names its output");
  words[at + 1] = out;
  const built = await new Deno.Command(Deno.execPath(), {
    args: words.slice(1),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(built.success, new TextDecoder().decode(built.stderr));
  // What serve:bundle runs is what build:edge writes.
  assert.match(
    tasks["serve:bundle"],
    /^deno task build:edge && deno run .* edge\/main\.bundle\.js$/,
  );
}

/** One request's status, the headers that say who answered, and the body. */
async function call(edge: EdgeProcess, path: string, init: RequestInit = {}) {
  const res = await fetchWithin(`${edge.url}${path}`, init);
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return {
    status: res.status,
    type,
    model: `${res.headers.get("x-model-name")} ${res.headers.get("x-model-version")}`,
    requestId: res.headers.get("x-request-id"),
    body: type.startsWith("application/json") ? JSON.parse(text) : text,
  };
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", "x-request-id": "bundle-test-1" },
  body: JSON.stringify(body),
});

Deno.test("the bundled edge needs no file but itself and answers as the sources do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-edge-bundle-" });
  try {
    const bundle = join(dir, "main.bundle.js");
    await buildBundle(bundle);
    // Without the comments, whose examples import things too.
    const code = (await Deno.readTextFile(bundle)).replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    const imports = [
      ...code.matchAll(/\bimport\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']/g),
      ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ].map((m) => m[1]);
    assert.deepEqual(imports, [], "the bundle imports");

    await writeBundle(join(dir, "model"), tinyBundle());
    const env = { MODEL_PATH: join(dir, "model"), PREDICTION_ID_SECRETS: "s".repeat(32) };
    await using bundled = await startEdgeProcess(env, 20_000, { entry: bundle });
    await using source = await startEdgeProcess(env);
    await Promise.all([waitReady(bundled, 10_000), waitReady(source, 10_000)]);

    const rows = [{ x: 1, color: "blue" }, { x: 9, color: "red" }];
    const requests: [string, RequestInit][] = [
      ["/v1/predict", json({ instances: rows })],
      ["/invocations", json({ dataframe_records: rows })],
      ["/invocations", {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: "x,color\n1,blue\n9,red\n",
      }],
      [
        "/v2/models/tiny/infer",
        json({
          inputs: [
            { name: "x", shape: [2], datatype: "FP64", data: [1, 9] },
            { name: "color", shape: [2], datatype: "BYTES", data: ["blue", "red"] },
          ],
        }),
      ],
      ["/v1/model", {}],
      ["/v2/models/tiny", {}],
      ["/nope", {}],
      ["/v1/predict", json({ instances: [{ x: "high" }] })],
    ];
    for (const [path, init] of requests) {
      const [b, s] = [await call(bundled, path, init), await call(source, path, init)];
      const what = `${init.method ?? "GET"} ${path}`;
      assert.equal(b.status, s.status, what);
      assert.equal(b.model, "tiny 7", what);
      assert.ok(b.requestId, what);
      // Ids and times differ per process; everything else is the same answer.
      const strip = (body: unknown) =>
        JSON.parse(JSON.stringify(body, (k, v) => /_id$|_at$|At$/.test(k) ? undefined : v));
      assert.deepEqual(strip(b.body), strip(s.body), what);
    }
    const docs = await call(bundled, "/docs");
    assert.equal(docs.status, 200);
    assert.match(docs.type, /^text\/html/);
    assert.equal((await call(bundled, "/openapi.json")).status, 200);

    // Feedback by the id it signed, once.
    const predicted = await call(bundled, "/v1/predict", json(rows[0]));
    assert.equal(predicted.requestId, "bundle-test-1");
    const judge = json({ prediction_id: predicted.body.prediction_id, actual: "no" });
    assert.equal((await call(bundled, "/v1/feedback", judge)).status, 200);
    assert.equal((await call(bundled, "/v1/feedback", judge)).status, 409);
    const metrics = await call(bundled, "/metrics");
    assert.match(String(metrics.body), /^mlops_feedback_total\{.*\} 1$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the bundle has one path: build, serve, ignore lists, the image and the deploy job agree", async () => {
  const read = (f: string) => Deno.readTextFile(join(ROOT, f));
  const config = JSON.parse(await read("deno.json"));
  const out = /--output (\S+)/.exec(config.tasks["build:edge"])?.[1];
  assert.equal(out, "edge/main.bundle.js");
  assert.ok(config.tasks["serve:bundle"].endsWith(` ${out}`));
  assert.ok(config.exclude.includes(out), "deno.json exclude");
  assert.match(await read(".gitignore"), new RegExp(`^/${out.replaceAll(".", "\\.")}$`, "m"));
  assert.match(await read(".dockerignore"), new RegExp(`^${out.replaceAll(".", "\\.")}$`, "m"));
  const dockerfile = await read("Dockerfile");
  assert.ok(dockerfile.includes(`COPY --from=edge-bundle /app/${out} ${out}`));
  assert.ok(dockerfile.includes(`"/app/${out}"]`), "the edge's ENTRYPOINT");
  const deploy = await read(".github/scripts/deploy.sh");
  assert.ok(deploy.includes(`entrypoint = "./${out}"`) && deploy.includes(`exclude -= ["${out}"]`));
});
