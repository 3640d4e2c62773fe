/**
 * The status pages in a real browser (headless Chromium over the DevTools
 * protocol), under live traffic: the public page at `/` and the operator
 * view at `/ops`, each at phone (375 px) and desktop (1280 px) width. Each
 * must render its data, fit the viewport without sideways scrolling, keep
 * text contrast at WCAG AA in light and dark mode, use headings in order,
 * and never say a state by colour alone; screenshots must be real PNGs of
 * the viewport's width.
 *
 * Set EDGE_SCREENSHOTS=/some/dir to keep the screenshots.
 */
import { strict as assert } from "node:assert";
import { createEdge } from "../edge/edge.ts";
import { readCsvFile } from "../lib/data/mod.ts";
import { readBundle } from "../lib/model/mod.ts";
import { type Audit, type Page, PAGE_AUDIT, startChromium } from "./support/chromium.ts";
import { readyEdge, testConfig } from "./support/edge_harness.ts";
import { needs } from "./support/parts.ts";
import { trainedModel } from "./support/trained_model.ts";

const WIDTHS = [[375, 812], [1280, 900]] as const;

async function until(page: Page, condition: string, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await page.evaluate<boolean>(condition))) {
    if (Date.now() > deadline) throw new Error(`page never showed ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pngSize(bytes: Uint8Array): [number, number] {
  assert.deepEqual([...bytes.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
}

async function keep(name: string, png: Uint8Array): Promise<void> {
  const dir = Deno.env.get("EDGE_SCREENSHOTS");
  if (dir) await Deno.writeFile(`${dir}/${name}.png`, png);
}

/** Layout and accessibility checks shared by both pages, at the page's current width. */
async function audit(page: Page, label: string, width: number): Promise<Audit> {
  const a = await page.evaluate<Audit>(PAGE_AUDIT);
  assert.equal(a.width, width, label);
  assert.deepEqual(a.overflow, [], `${label}: wider than the viewport`);
  assert.deepEqual(a.lowContrast, [], `${label}: text below WCAG AA contrast`);
  assert.equal(a.headings[0], 1, `${label}: starts with an h1`);
  assert.equal(a.headings.filter((h) => h === 1).length, 1, `${label}: one h1`);
  for (let i = 1; i < a.headings.length; i++) {
    assert.ok(a.headings[i] <= a.headings[i - 1] + 1, `${label}: heading levels skip`);
  }
  await page.colorScheme("dark");
  const dark = await page.evaluate<Audit>(PAGE_AUDIT);
  assert.deepEqual(dark.lowContrast, [], `${label}, dark: text below WCAG AA contrast`);
  await page.colorScheme("light");
  return a;
}

Deno.test(needs(["chromium"], {
  name: "browser: the public status page and the operator view read well on a phone and a desktop",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { modelDir, csv } = await trainedModel();
    const bundle = await readBundle(modelDir);
    // Show what a promoted model looks like.
    bundle.version = "3";
    bundle.promotedAt = new Date(Date.now() - 3 * 86400_000).toISOString();
    const table = await readCsvFile(csv);
    const records = table.rows.map((row) =>
      Object.fromEntries(table.header.map((h, j) => [h, row[j]]))
    );

    await using edge = createEdge(testConfig());
    assert.equal((await edge.load(bundle)).status, "ready");
    edge.monitor.startLagProbe(250);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, edge.app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;

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
          // Confirming labels: live accuracy stays above target, so the page is all green.
          const actual = body.label;
          await (await edge.app.request(`${base}/v1/feedback`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ prediction_id: body.prediction_id, actual }),
          })).body?.cancel();
        }
        await new Promise((res) => setTimeout(res, 15));
      }
    })();

    await using browser = await startChromium();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      for (const [width, height] of WIDTHS) {
        // ---- The public page.
        const page = await browser.open(`${base}/`, width, height);
        await until(
          page,
          `document.getElementById("overall").dataset.state !== "loading"`,
          "a state",
        );
        const a = await audit(page, `/ at ${width}px`, width);
        assert.match(a.text, /All systems operational/);
        for (
          const s of [
            "Prediction API",
            "Model",
            "Monitoring and alerting",
            "Operational",
            "Not monitored",
          ]
        ) {
          assert.ok(a.text.includes(s), `/ at ${width}px shows "${s}"`);
        }
        assert.match(a.text, /version 3/);
        assert.match(a.text, /Promoted[\s\S]*\(3 days ago\)/);
        assert.match(a.text, /Availability, 24 hours\s+no data/);
        assert.match(a.text, /Live accuracy\s+\d+(\.\d+)?%/);
        assert.match(a.text, /this instance alone/);
        // Every state is in words, beside its colour.
        const badges = await page.evaluate<string[]>(
          `[...document.querySelectorAll(".badge")].map((b) => b.textContent.trim())`,
        );
        assert.ok(badges.length >= 3);
        for (const b of badges) assert.match(b, /[A-Za-z]{4,}/);
        const shot = await page.screenshot();
        assert.equal(pngSize(shot)[0], width);
        assert.ok(shot.length > 15_000, `screenshot is suspiciously small: ${shot.length} bytes`);
        await keep(`status-${width}`, shot);
        await page.close();

        // ---- The operator view.
        const ops = await browser.open(`${base}/ops`, width, height);
        await until(
          ops,
          `/version 3/.test(document.getElementById("model-version").textContent)`,
          "the model",
        );
        await until(
          ops,
          `document.querySelectorAll("#drift-body tr").length > 5`,
          "the drift table",
        );
        const o = await audit(ops, `/ops at ${width}px`, width);
        assert.match(o.text, /telco-customer-churn/);
        assert.match(o.text, /this instance \([0-9a-f]{8}\)/);
        assert.match(o.text, /resident memory/);
        const requests = await ops.evaluate<string>(
          `document.getElementById("rps-sub").textContent`,
        );
        assert.ok(
          Number(/^([\d,]+) in last 60s$/.exec(requests)?.[1].replace(/,/g, "")) > 0,
          requests,
        );
        const opsShot = await ops.screenshot(true);
        assert.equal(pngSize(opsShot)[0], width);
        assert.ok(
          opsShot.length > 30_000,
          `screenshot is suspiciously small: ${opsShot.length} bytes`,
        );
        await keep(`ops-${width}`, opsShot);
        await ops.close();
      }
    } finally {
      stop = true;
      await traffic;
      await server.shutdown();
    }
  },
}));

Deno.test(needs(["chromium"], {
  name:
    "browser: the operator view asks for the API key, refuses a wrong one, shows data with the right one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using edge = await readyEdge({ apiKeys: ["k1"] });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, edge.app.fetch);
    try {
      await using browser = await startChromium();
      const ops = await browser.open(`http://127.0.0.1:${server.addr.port}/ops`, 1280, 900);
      const message = `document.getElementById("key-msg").textContent`;
      const submit = (key: string) =>
        ops.evaluate(`(() => {
          document.getElementById("key").value = ${JSON.stringify(key)};
          document.getElementById("keyform").requestSubmit();
          return true;
        })()`);
      await until(ops, `/needs an API key/.test(${message})`, "the key form");
      await submit("wrong");
      await until(ops, `/not accepted/.test(${message})`, "the wrong key refused");
      await submit("k1");
      await until(
        ops,
        `/version 7/.test(document.getElementById("model-version").textContent)`,
        "the model, with the key",
      );
      assert.equal(
        await ops.evaluate<string>(`getComputedStyle(document.getElementById("keyform")).display`),
        "none",
      );
      assert.equal(await ops.evaluate<string>(`sessionStorage.getItem("mlops-ops-key")`), "k1");
      await ops.close();
    } finally {
      await server.shutdown();
    }
  },
}));
