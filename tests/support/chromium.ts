/**
 * Headless Chromium driven over the DevTools protocol (a WebSocket on
 * loopback): open a page at a given viewport, run script in it, take a
 * screenshot. Enough to check layout and accessibility the way a browser
 * computes them, with no test framework.
 *
 * @module
 */
import { PARTS } from "./parts.ts";

/** A page in the browser. */
export interface Page {
  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the viewport (or the whole page with `full`). */
  screenshot(full?: boolean): Promise<Uint8Array>;
  /** Sets the viewport and reloads. */
  resize(width: number, height: number): Promise<void>;
  /** Emulates `prefers-color-scheme: dark` (or light again). */
  colorScheme(scheme: "dark" | "light"): Promise<void>;
  close(): Promise<void>;
}

/** A running browser. */
export interface Browser extends AsyncDisposable {
  open(url: string, width: number, height: number): Promise<Page>;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** Starts headless Chromium with a throwaway profile; dispose to stop it. */
export async function startChromium(): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "mlops-chromium-" });
  const child = new Deno.Command(PARTS.chromium.path, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let endpoint = "";
  const deadline = Date.now() + 20_000;
  while (!endpoint) {
    const text = await Deno.readTextFile(`${profile}/DevToolsActivePort`).catch(() => "");
    const [port, path] = text.split("\n");
    if (port && path) endpoint = `ws://127.0.0.1:${port}${path}`;
    else if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error("chromium did not open its DevTools port");
    } else await new Promise((r) => setTimeout(r, 50));
  }
  const ws = new WebSocket(endpoint);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("DevTools WebSocket failed"));
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const waiters: { method: string; session?: string; resolve: () => void }[] = [];
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${msg.error.message}`));
      else p?.resolve(msg.result);
    } else {
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        if (w.method === msg.method && (!w.session || w.session === msg.sessionId)) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
  };
  // deno-lint-ignore no-explicit-any
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): any =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  const event = (method: string, session: string, ms = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${ms} ms`)), ms);
      waiters.push({ method, session, resolve: () => (clearTimeout(timer), resolve()) });
    });

  return {
    async open(url, width, height) {
      const { targetId } = await send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
      const s = (m: string, p: Record<string, unknown> = {}) => send(m, p, sessionId);
      await s("Page.enable");
      await s("Runtime.enable");
      const viewport = (w: number, h: number) =>
        s("Emulation.setDeviceMetricsOverride", {
          width: w,
          height: h,
          deviceScaleFactor: 1,
          mobile: w < 600,
        });
      await viewport(width, height);
      const loaded = event("Page.loadEventFired", sessionId);
      await s("Page.navigate", { url });
      await loaded;
      return {
        async evaluate<T>(expression: string) {
          const r = await s("Runtime.evaluate", {
            expression,
            awaitPromise: true,
            returnByValue: true,
          });
          if (r.exceptionDetails) {
            throw new Error(
              `page script failed: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`,
            );
          }
          return r.result.value as T;
        },
        async screenshot(full = false) {
          const r = await s("Page.captureScreenshot", {
            format: "png",
            captureBeyondViewport: full,
          });
          return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
        },
        async resize(w, h) {
          await viewport(w, h);
          const again = event("Page.loadEventFired", sessionId);
          await s("Page.reload");
          await again;
        },
        async colorScheme(scheme) {
          await s("Emulation.setEmulatedMedia", {
            features: [{ name: "prefers-color-scheme", value: scheme }],
          });
        },
        async close() {
          await send("Target.closeTarget", { targetId });
        },
      };
    },
    async [Symbol.asyncDispose]() {
      ws.close();
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Layout and accessibility facts about the current page, computed in it:
 * horizontal overflow (document wider than the viewport, or any visible
 * element reaching past its right edge), headings in order, and every text
 * element's contrast ratio against its effective background (WCAG 2).
 */
export const PAGE_AUDIT = `(() => {
  const vw = window.innerWidth;
  const overflow = [];
  if (document.documentElement.scrollWidth > vw) overflow.push("document " + document.documentElement.scrollWidth + "px");
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > vw + 0.5 && getComputedStyle(e).visibility !== "hidden") {
      overflow.push((e.id || e.className || e.tagName) + " right=" + Math.round(r.right));
    }
  }
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const lowContrast = [];
  for (const e of document.body.querySelectorAll("*")) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || e.closest("[hidden]") || e.getClientRects().length === 0) continue;
    const a = lum(rgb(getComputedStyle(e).color).slice(0, 3)), b = lum(background(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(getComputedStyle(e).fontSize);
    const bold = Number(getComputedStyle(e).fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) lowContrast.push(e.textContent.trim().slice(0, 30) + " " + ratio.toFixed(2));
  }
  const headings = [...document.querySelectorAll("h1,h2,h3,h4")].map((h) => Number(h.tagName[1]));
  return { width: vw, overflow, lowContrast, headings, text: document.body.innerText };
})()`;

/** What {@link PAGE_AUDIT} returns. */
export interface Audit {
  width: number;
  overflow: string[];
  lowContrast: string[];
  headings: number[];
  text: string;
}
