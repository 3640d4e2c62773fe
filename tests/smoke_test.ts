/**
 * `mlops smoke` against the real edge process (`edge/main.ts`): what the
 * deploy workflow runs against Deno Deploy before it keeps a deployment.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { writeBundle } from "../lib/model/io.ts";
import { mlopsProcessWith } from "./support/cli.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { tinyBundle } from "./support/tiny_bundle.ts";
import { moduleTempDir } from "./support/temp.ts";

const tmp = await moduleTempDir("mlops-smoke-");
const modelDir = join(tmp, "model");
await writeBundle(modelDir, tinyBundle()); // "tiny" version 7
const NO_KEY = { EDGE_API_KEY: "" };

Deno.test({
  name: "mlops smoke: passes on the expected model, fails with one line on the wrong one",
  sanitizeResources: false,
  async fn() {
    await using edge = await startEdgeProcess({ MODEL_PATH: modelDir });
    const ok = await mlopsProcessWith(
      NO_KEY,
      "smoke",
      edge.url,
      "--expect-version",
      "7",
      "--expect-model",
      "tiny",
      "--json",
    );
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.deepEqual(report.model, { name: "tiny", version: "7" });
    assert.ok(["no", "yes"].includes(report.prediction.label));
    assert.deepEqual(report.prediction.instance, { x: 0, color: "blue" });

    const wrong = await mlopsProcessWith(NO_KEY, "smoke", edge.url, "--expect-version", "8");
    assert.equal(wrong.code, 6);
    assert.equal(
      wrong.stderr.trim(),
      `mlops: smoke test of ${edge.url} failed: it serves version 7, not 8`,
    );
  },
});

/** A bound on a failing smoke test, process start-up included, generous for a loaded machine. */
const GIVES_UP_WITHIN_MS = 60_000;

Deno.test({
  name: "mlops smoke: an edge that never gets ready, or is not there, fails within --timeout",
  sanitizeResources: false,
  async fn() {
    await using edge = await startEdgeProcess({ MODEL_PATH: join(tmp, "no-such-model") });
    const t0 = performance.now();
    const notReady = await mlopsProcessWith(NO_KEY, "smoke", edge.url, "--timeout", "2");
    assert.equal(notReady.code, 6);
    assert.match(
      notReady.stderr.trim(),
      new RegExp(
        `^mlops: smoke test of ${edge.url} failed: not ready after 2 s \\(/readyz answered 503: .+\\)$`,
      ),
    );
    // It waited the whole --timeout and then gave up. The upper bound only catches
    // "never gives up": deno's own start-up takes seconds on a loaded machine.
    const waited = performance.now() - t0;
    assert.ok(waited >= 2_000, `gave up after ${waited} ms, before --timeout 2`);
    assert.ok(waited < GIVES_UP_WITHIN_MS, `still waiting after ${waited} ms (--timeout 2)`);

    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    listener.close();
    const t1 = performance.now();
    const gone = await mlopsProcessWith(NO_KEY, "smoke", closed, "--timeout", "1");
    const waitedGone = performance.now() - t1;
    assert.equal(gone.code, 6);
    assert.ok(waitedGone >= 1_000 && waitedGone < GIVES_UP_WITHIN_MS, `${waitedGone} ms`);
    assert.match(gone.stderr, /not ready after 1 s \(\/readyz: .*(refused|Connect).*\)/i);
  },
});

Deno.test({
  name: "mlops smoke: sends EDGE_API_KEY to an edge that requires a key",
  sanitizeResources: false,
  async fn() {
    const key = "smoke-test-key-0123456789";
    await using edge = await startEdgeProcess({ MODEL_PATH: modelDir, API_KEYS: key });
    const denied = await mlopsProcessWith(NO_KEY, "smoke", edge.url);
    assert.equal(denied.code, 6);
    assert.match(denied.stderr, /\/v1\/predict answered 401/);
    const ok = await mlopsProcessWith({ EDGE_API_KEY: key }, "smoke", edge.url);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!(ok.stdout + ok.stderr + denied.stderr).includes(key));
  },
});
