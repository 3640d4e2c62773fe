/**
 * The status page in a real browser: headless Chromium loads `/` from a
 * loopback server under live traffic, runs the page's script, and must show
 * the model version and a non-zero request count; then it takes a
 * screenshot, which must be a real 1280×900 PNG.
 *
 * Set EDGE_SCREENSHOT=/some/path.png to keep the screenshot.
 */
import { strict as assert } from "node:assert";
import { createEdge } from "../edge/edge.ts";
import { readCsvFile } from "../lib/data/mod.ts";
import { readBundle } from "../lib/model/mod.ts";
import { testConfig } from "./support/edge_harness.ts";
import { needs, PARTS } from "./support/parts.ts";
import { trainedModel } from "./support/trained_model.ts";

const CHROMIUM = PARTS.chromium.path;

/** Runs headless Chromium with `args` then `url`; killed after `ms`. */
async function chromium(profile: string, args: string[], url: string, ms = 60_000) {
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--window-size=1280,900",
      "--virtual-time-budget=3000",
      ...args,
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  try {
    const out = await child.output();
    return { ...out, stdout: new TextDecoder().decode(out.stdout) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test(needs(["chromium"], {
  name: "browser: the status page renders live data and screenshots cleanly",
  async fn() {
    const { modelDir, csv } = await trainedModel();
    const bundle = await readBundle(modelDir);
    // Show what a promoted model looks like.
    bundle.version = "3";
    bundle.promotedAt = new Date().toISOString();
    const table = await readCsvFile(csv);
    const records = table.rows.map((row) =>
      Object.fromEntries(table.header.map((h, j) => [h, row[j]]))
    );

    await using edge = createEdge(testConfig());
    assert.equal((await edge.load(bundle)).status, "ready");
    edge.monitor.startLagProbe(250);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, edge.app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const profile = await Deno.makeTempDir({ prefix: "mlops-chromium-" });

    // Steady traffic while the browser looks: predictions (some drifted, some
    // with unseen categories), feedback, and the odd bad request.
    let stop = false;
    let sent = 0;
    const traffic = (async () => {
      while (!stop) {
        const i = sent++;
        const r = { ...records[(i * 37) % records.length] };
        if (i % 4 === 0) r.Contract = "Month-to-month";
        if (i % 9 === 0) r.PaymentMethod = "Crypto";
        if (i % 3 === 0) r.tenure = String(Math.min(72, Number(r.tenure) + 30));
        const res = await edge.app.request(`${base}/v1/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: i % 25 === 0
            ? "{oops"
            : JSON.stringify(i % 10 === 0 ? { instances: [r, r, r] } : r),
        });
        const body = await res.json();
        if (res.status === 200 && body.prediction_id && i % 2 === 0) {
          const actual = i % 6 === 0 ? (body.label === "Yes" ? "No" : "Yes") : body.label;
          await (await edge.app.request(`${base}/v1/feedback`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ prediction_id: body.prediction_id, actual }),
          })).body?.cancel();
        }
        await new Promise((res) => setTimeout(res, 15));
      }
    })();

    try {
      await new Promise((r) => setTimeout(r, 2500));

      const dom = await chromium(profile, ["--dump-dom"], `${base}/`);
      assert.ok(dom.success, `chromium --dump-dom failed: ${new TextDecoder().decode(dom.stderr)}`);
      const text = (id: string) => {
        const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(dom.stdout);
        return m?.[1] ?? "";
      };
      assert.equal(text("model-name"), "telco-customer-churn");
      assert.equal(text("model-version"), "version 3");
      assert.equal(text("model-status"), "serving");
      const requests = /^([\d,]+) in last 60s$/.exec(text("rps-sub"));
      assert.ok(requests, `request count missing: "${text("rps-sub")}"`);
      assert.ok(Number(requests[1].replace(/,/g, "")) > 0, "request count is zero");
      assert.match(dom.stdout, /id="drift-body"><tr><td>/, "drift table is empty");

      const png = `${profile}/status.png`;
      const shot = await chromium(
        profile,
        [`--screenshot=${png}`, "--hide-scrollbars"],
        `${base}/`,
      );
      assert.ok(
        shot.success,
        `chromium --screenshot failed: ${new TextDecoder().decode(shot.stderr)}`,
      );
      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      assert.equal(view.getUint32(16), 1280, "width");
      assert.equal(view.getUint32(20), 900, "height");
      // A blank or error page compresses to a few KB; a rendered dashboard does not.
      assert.ok(bytes.length > 40_000, `screenshot is suspiciously small: ${bytes.length} bytes`);
      const keep = Deno.env.get("EDGE_SCREENSHOT");
      if (keep) await Deno.copyFile(png, keep);
    } finally {
      stop = true;
      await traffic;
      await server.shutdown();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
}));
