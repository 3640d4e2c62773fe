/**
 * The operator view served at `/ops`: one self-contained HTML document whose
 * inline script polls `/v1/ops` (this instance's own numbers: traffic of the
 * last minute, class mix, drift, live accuracy, memory, rejections, unseen
 * categories) and redraws. No build step, no external assets: the script is
 * {@link opsScript}, TypeScript that the linter and type checker see,
 * embedded as the JavaScript Deno transpiled it to.
 *
 * The page itself holds no data; `/v1/ops` requires the API key when keys
 * are set, and the page asks for it once (kept in the tab's session storage,
 * sent as a bearer token, never in the URL).
 *
 * @module
 */
import type { StatusBody } from "../routes/ops.ts";
import { THEME_CSS } from "./theme.ts";

/** How often the page polls, in milliseconds. */
export const POLL_MS = 2000;

const PAGE_CSS = `
.grid { display: grid; gap: 16px; }
.kpis { grid-template-columns: repeat(6, minmax(0, 1fr)); margin-bottom: 16px; }
.kpi .label { font-size: 12px; color: var(--muted); }
.kpi .value { font-size: 26px; font-weight: 650; letter-spacing: -0.02em; margin-top: 4px; }
.kpi .value small { font-size: 13px; font-weight: 500; color: var(--muted); margin-left: 3px; }
.kpi .sub { font-size: 12px; color: var(--muted); margin-top: 2px; min-height: 17px; }
.two { grid-template-columns: 3fr 2fr; margin-bottom: 16px; }
.chart { display: flex; flex-direction: column; }
.chart svg { width: 100%; flex: 1; min-height: 160px; display: block; }
.chart .axis { font-size: 11px; fill: var(--muted); }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin-top: 8px; flex-wrap: wrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.mix .bar { display: flex; height: 26px; border-radius: 6px; overflow: hidden; background: var(--line); }
.mix .bar div { height: 100%; transition: width 0.4s; }
.mix .rows { margin-top: 12px; }
.mix .row { display: flex; justify-content: space-between; padding: 5px 0; border-bottom: 1px solid var(--line); }
.mix .row:last-child { border-bottom: none; }
.mix h3 { font-size: 12px; color: var(--muted); font-weight: 600; margin: 14px 0 6px; }
.psi { display: flex; align-items: center; gap: 10px; }
.psi .track { flex: 1; height: 8px; background: var(--line); border-radius: 4px; position: relative; overflow: hidden; min-width: 80px; }
.psi .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 4px; }
.psi .num { width: 54px; text-align: right; font-variant-numeric: tabular-nums; }
.tag { font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 999px; border: 1px solid currentColor; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.kv { display: grid; grid-template-columns: auto 1fr; gap: 6px 16px; }
.kv div:nth-child(odd) { color: var(--muted); }
.kv div:nth-child(even) { text-align: right; font-variant-numeric: tabular-nums; }
.banner { display: none; margin-bottom: 16px; border-color: var(--bad); color: var(--bad); }
.num { font-variant-numeric: tabular-nums; }
footer { color: var(--muted); font-size: 12px; margin-top: 18px; }
.grid > * { min-width: 0; }
.scroll { overflow-x: auto; }
.keyform { display: none; margin-bottom: 16px; }
.keyform label { display: block; margin-bottom: 8px; }
.keyform input { font: inherit; padding: 6px 8px; width: min(100%, 320px); border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--ink); }
.keyform button { font: inherit; padding: 6px 12px; margin-left: 6px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--ink); }
@media (max-width: 980px) { .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); } .two { grid-template-columns: minmax(0, 1fr); } }
@media (max-width: 600px) {
  header.top { padding: 12px 14px; gap: 8px; }
  header.top nav a { margin: 0 12px 0 0; }
  main { padding: 14px 12px 28px; }
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .kpi .value { font-size: 21px; }
  .psi .track { display: none; }
  .drift th:nth-child(2), .drift td:nth-child(2) { display: none; }
  .drift td { overflow-wrap: anywhere; }
  th, td { padding: 6px 4px; }
}
`;

// The page runs opsScript's own source: the JavaScript Deno transpiled it to,
// under `deno run`, `deno test` and Deploy alike, so there is nothing to build.
const PAGE_JS = `(${opsScript.toString()})(${POLL_MS});`;

// The little of the DOM opsScript uses. Deno's types have no DOM, and adding
// lib "dom" would retype every module checked with this one.
interface PageNode {
  textContent: string | null;
}
interface PageElement extends PageNode {
  className: string;
  value: string;
  clientWidth: number;
  clientHeight: number;
  style: { width: string; background: string; display: string };
  firstChild: PageNode | null;
  setAttribute(name: string, value: string | number): void;
  appendChild(child: PageNode): void;
  removeChild(child: PageNode): void;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
  createElementNS(namespace: string, tag: string): PageElement;
  createTextNode(text: string): PageNode;
};
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};

/**
 * The page's script, run in the browser: polls `v1/ops` (relative, so the
 * page works under a path prefix) every `pollMs` and redraws; asks for the
 * API key when the edge wants one.
 *
 * The page embeds this function's source, so it must stand alone: browser
 * globals, its argument and its own locals only, nothing from this module or
 * its imports (type imports are erased, so {@link StatusBody} types what it
 * reads).
 */
export function opsScript(pollMs: number): void {
  const COLORS = ["var(--c0)", "var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)"];
  const $ = (id: string): PageElement => document.getElementById(id)!;
  function el(tag: string, attrs?: Record<string, string>, text?: unknown): PageElement {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs![k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(n: number | null | undefined, digits?: number): string {
    if (n === null || n === undefined || !isFinite(n)) return "\u2013";
    return Number(n).toLocaleString(undefined, {
      maximumFractionDigits: digits === undefined ? 0 : digits,
      minimumFractionDigits: digits || 0,
    });
  }
  function ms(n: number | null | undefined): string {
    if (n === null || n === undefined) return "\u2013";
    return n < 1 ? fmt(n, 2) : n < 10 ? fmt(n, 1) : fmt(n, 0);
  }
  function pct(x: number | null | undefined, digits?: number): string {
    return x === null || x === undefined
      ? "\u2013"
      : fmt(x * 100, digits === undefined ? 1 : digits) + "%";
  }
  function bytes(b: number | null | undefined): string {
    return b === null || b === undefined ? "\u2013" : fmt(b / 1048576, 1) + " MiB";
  }
  function duration(s: number): string {
    if (s < 60) return Math.round(s) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + Math.round(s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  function psiLevel(p: number | null): string {
    return p === null ? "" : p < 0.1 ? "ok" : p < 0.2 ? "warn" : "bad";
  }
  function psiText(p: number | null): string {
    return p === null ? "too few samples" : p < 0.1 ? "stable" : p < 0.2 ? "moderate" : "shifted";
  }
  function clear(e: PageElement): void {
    while (e.firstChild) e.removeChild(e.firstChild);
  }
  function setKpi(id: string, value: string, unit: string, sub?: string): void {
    const v = $(id + "-value");
    v.textContent = value;
    if (unit) v.appendChild(el("small", {}, unit));
    $(id + "-sub").textContent = sub || "";
  }

  function renderChart(series: [number, number][]): void {
    // Drawn in CSS pixels at the size the layout gave the chart, so text is never stretched.
    const svg = $("chart"), W = svg.clientWidth || 600, H = svg.clientHeight || 160, pad = 28;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    clear(svg);
    let max = 1;
    for (const [req] of series) max = Math.max(max, req);
    const bw = (W - pad) / Math.max(series.length, 1);
    const ns = "http://www.w3.org/2000/svg";
    function svgEl(tag: string, attrs: Record<string, string | number>): PageElement {
      const e = document.createElementNS(ns, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      return e;
    }
    function line(y: number, label: string): void {
      svg.appendChild(svgEl("line", { x1: pad, x2: W, y1: y, y2: y, stroke: "var(--line)" }));
      const t = svgEl("text", { x: 0, y: y + 4, class: "axis" });
      t.textContent = label;
      svg.appendChild(t);
    }
    line(6, fmt(max));
    line(H - 16, "0");
    series.forEach(([req, err], j) => {
      const h = (H - 22) * req / max, he = (H - 22) * err / max;
      const x = pad + j * bw + 1, width = Math.max(bw - 2, 1);
      svg.appendChild(svgEl("rect", {
        x,
        width,
        y: H - 16 - h,
        height: h,
        rx: 1.5,
        fill: "var(--accent)",
        opacity: "0.85",
      }));
      if (err > 0) {
        svg.appendChild(
          svgEl("rect", { x, width, y: H - 16 - he, height: he, fill: "var(--bad)" }),
        );
      }
    });
    const t0 = svgEl("text", { x: pad, y: H - 2, class: "axis" });
    t0.textContent = "-" + series.length + "s";
    svg.appendChild(t0);
    const t1 = svgEl("text", { x: W, y: H - 2, class: "axis", "text-anchor": "end" });
    t1.textContent = "now";
    svg.appendChild(t1);
  }

  function renderMix(
    target: string,
    counts: Record<string, number>,
    classes: readonly string[],
  ): void {
    const box = $(target);
    clear(box);
    let total = 0;
    for (const c of classes) total += counts[c] || 0;
    const bar = el("div", { "class": "bar" });
    const rows = el("div", { "class": "rows" });
    classes.forEach((c, k) => {
      const n = counts[c] || 0, share = total ? n / total : 0;
      const seg = el("div", { title: c });
      seg.style.width = (share * 100) + "%";
      seg.style.background = COLORS[k % COLORS.length];
      bar.appendChild(seg);
      const row = el("div", { "class": "row" });
      const name = el("span");
      const sw = el("span", { "class": "swatch" });
      sw.style.background = COLORS[k % COLORS.length];
      name.appendChild(sw);
      name.appendChild(document.createTextNode(c));
      row.appendChild(name);
      row.appendChild(el("span", { "class": "num" }, fmt(n) + "  \u00b7  " + pct(share)));
      rows.appendChild(row);
    });
    box.appendChild(bar);
    box.appendChild(rows);
  }

  function renderDrift(drift: StatusBody["drift"]): void {
    const body = $("drift-body");
    clear(body);
    const feats = drift.features.slice().sort((a, b) =>
      (b.psi === null ? -1 : b.psi) - (a.psi === null ? -1 : a.psi)
    );
    $("drift-window").textContent = "last " + fmt(drift.window) +
      " instances on this instance \u00b7 PSI vs training";
    if (feats.length === 0) {
      const tr0 = el("tr");
      tr0.appendChild(
        el("td", { colspan: "4", "class": "muted" }, "No feature statistics in this bundle."),
      );
      body.appendChild(tr0);
    }
    for (const f of feats) {
      const tr = el("tr");
      tr.appendChild(el("td", {}, f.name));
      tr.appendChild(el("td", { "class": "muted" }, f.kind));
      const cell = el("td"), wrap = el("div", { "class": "psi" });
      const track = el("div", { "class": "track" }), fill = el("div", { "class": "fill" });
      fill.style.width = Math.min(100, (f.psi || 0) / 0.3 * 100) + "%";
      fill.style.background = f.psi === null
        ? "var(--line)"
        : f.psi < 0.1
        ? "var(--ok)"
        : f.psi < 0.2
        ? "var(--warn)"
        : "var(--bad)";
      track.appendChild(fill);
      wrap.appendChild(track);
      wrap.appendChild(el("span", { "class": "num" }, f.psi === null ? "\u2013" : fmt(f.psi, 3)));
      cell.appendChild(wrap);
      tr.appendChild(cell);
      const st = el("td");
      st.appendChild(el("span", { "class": "tag " + psiLevel(f.psi) }, psiText(f.psi)));
      st.appendChild(
        el(
          "span",
          { "class": "muted" },
          "  n=" + fmt(f.n) + (f.psi === null ? " of " + fmt(f.minSamples) : ""),
        ),
      );
      tr.appendChild(st);
      body.appendChild(tr);
    }
  }

  function renderKv(id: string, pairs: [string, string][]): void {
    const box = $(id);
    clear(box);
    for (const [k, v] of pairs) {
      box.appendChild(el("div", {}, k));
      box.appendChild(el("div", {}, v));
    }
  }

  function render(s: StatusBody): void {
    const m = s.model, t = s.traffic, acc = s.live_accuracy;
    $("model-name").textContent = m.name || "no model";
    $("model-version").textContent = m.status === "ready"
      ? "version " + (m.version === null ? "unregistered" : m.version)
      : "";
    const st = $("model-status");
    st.className = "pill " +
      (m.status === "ready" ? "ok" : m.status === "loading" ? "warn" : "bad");
    st.textContent = m.status === "ready" ? "serving" : m.status;
    const banner = $("banner");
    banner.style.display = m.status === "ready" ? "none" : "block";
    banner.textContent = m.status === "ready" ? "" : "Not serving: " + (m.reason || m.status);
    $("uptime").textContent = "this instance (" + s.instance + "), up " +
      duration(s.uptime_seconds);

    setKpi(
      "rps",
      fmt(t.rps, t.rps < 10 ? 2 : 1),
      "req/s",
      fmt(t.requests) + " in last " + t.window_seconds + "s",
    );
    setKpi("p50", ms(t.latency_ms.p50), "ms", "p90 " + ms(t.latency_ms.p90) + " ms");
    setKpi("p99", ms(t.latency_ms.p99), "ms", "over last " + t.window_seconds + "s");
    setKpi(
      "errors",
      pct(t.error_rate, 2),
      "",
      "5xx " + fmt(t.server_errors) + " \u00b7 4xx " + fmt(t.client_errors),
    );
    const trained = m.training_metrics && m.training_metrics.accuracy;
    setKpi(
      "accuracy",
      acc.accuracy === null ? "\u2013" : pct(acc.accuracy),
      "",
      acc.n + " feedback" + (trained ? " \u00b7 holdout " + pct(trained) : ""),
    );
    setKpi("predictions", fmt(s.predictions.total), "", fmt(t.total_requests) + " API requests");

    renderChart(t.series);
    const classes = m.classes || [];
    renderMix("mix-window", s.predictions.window_by_class, classes);
    renderMix("mix-total", s.predictions.total_by_class, classes);
    renderDrift(s.drift);

    const unknown: [string, string][] = [];
    for (const f in s.unknown_categories) unknown.push([f, fmt(s.unknown_categories[f])]);
    if (unknown.length === 0) unknown.push(["none seen", ""]);
    renderKv("unknown", unknown);
    const rejected: [string, string][] = [];
    for (const r in s.rejected) rejected.push([r.replace(/_/g, " "), fmt(s.rejected[r])]);
    if (rejected.length === 0) rejected.push(["none", ""]);
    renderKv("rejected", rejected);
    const at = (iso: string | null | undefined, none: string) =>
      iso ? new Date(iso).toLocaleString() : none;
    renderKv("runtime", [
      ["resident memory", bytes(s.runtime.rss_bytes)],
      ["heap used", bytes(s.runtime.heap_used_bytes)],
      [
        "event-loop lag",
        s.runtime.event_loop_lag_ms === null ? "\u2013" : ms(s.runtime.event_loop_lag_ms) + " ms",
      ],
      ["model loaded", at(m.loaded_at, "\u2013")],
      ["trained", at(m.created_at, "\u2013")],
      ["promoted", at(m.promoted_at, "not promoted")],
    ]);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  }

  const KEY = "mlops-ops-key";
  function key(): string {
    try {
      return sessionStorage.getItem(KEY) || "";
    } catch {
      return "";
    }
  }
  function askForKey(wrong: boolean): void {
    $("keyform").style.display = "block";
    $("key-msg").textContent = wrong
      ? "That key was not accepted."
      : "This view needs an API key of this edge.";
  }
  $("keyform").addEventListener("submit", (ev) => {
    ev.preventDefault();
    try {
      sessionStorage.setItem(KEY, $("key").value.trim());
    } catch { /* storage refused (private mode): ask again next time */ }
    $("keyform").style.display = "none";
    poll(true);
  });
  function poll(once?: boolean): void {
    // Relative URLs keep the page working when the app is mounted under a prefix.
    const headers: Record<string, string> = key() ? { authorization: "Bearer " + key() } : {};
    fetch("v1/ops", { cache: "no-store", headers })
      .then((r) => {
        if (r.status === 401 || r.status === 400) {
          askForKey(Boolean(key()));
          throw new Error("key");
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json() as Promise<StatusBody>;
      })
      .then((s) => {
        render(s);
        $("conn").className = "pill ok";
        $("conn").textContent = "live";
      })
      .catch(() => {
        $("conn").className = "pill bad";
        $("conn").textContent = "offline";
      })
      .then(() => {
        if (!once) setTimeout(poll, pollMs);
      });
  }
  poll();
}

function kpi(id: string, label: string): string {
  return `<div class="panel kpi"><div class="label">${label}</div>` +
    `<div class="value" id="${id}-value">–</div><div class="sub" id="${id}-sub"></div></div>`;
}

/** The complete page. */
export const OPS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlops edge · operator view</title>
<style>${THEME_CSS}${PAGE_CSS}</style>
</head>
<body>
<header class="top">
  <h1 id="model-name">mlops edge</h1>
  <span class="pill" id="model-version"></span>
  <span class="pill warn" id="model-status">connecting</span>
  <span class="muted" id="uptime"></span>
  <span class="spacer"></span>
  <span class="pill" id="conn">…</span>
  <nav><a href="./">Status</a><a href="docs">API docs</a><a href="v1/model">Model</a><a href="metrics">Metrics</a></nav>
</header>
<main>
  <form class="panel keyform" id="keyform"><label for="key" id="key-msg"></label><input id="key" type="password" autocomplete="off"><button type="submit">Show</button></form>
  <div class="panel banner" id="banner"></div>
  <section class="grid kpis">
    ${kpi("rps", "Request rate")}
    ${kpi("p50", "Latency p50")}
    ${kpi("p99", "Latency p99")}
    ${kpi("errors", "Error rate (5xx)")}
    ${kpi("accuracy", "Live accuracy")}
    ${kpi("predictions", "Predictions")}
  </section>
  <section class="grid two">
    <div class="panel chart">
      <h2>Requests per second</h2>
      <svg id="chart" role="img" aria-label="requests per second, last minute"></svg>
      <div class="legend"><span><span class="swatch" style="background:var(--accent)"></span>requests</span><span><span class="swatch" style="background:var(--bad)"></span>errors (4xx + 5xx)</span></div>
    </div>
    <div class="panel mix">
      <h2>Class mix</h2>
      <h3>Last minute</h3><div id="mix-window"></div>
      <h3>Since start</h3><div id="mix-total"></div>
    </div>
  </section>
  <section class="grid two">
    <div class="panel">
      <h2>Drift per feature <span class="muted" id="drift-window" style="text-transform:none;letter-spacing:0;font-weight:400"></span></h2>
      <div class="scroll"><table class="drift"><thead><tr><th>Feature</th><th>Kind</th><th>PSI</th><th>Status</th></tr></thead><tbody id="drift-body"></tbody></table></div>
    </div>
    <div class="grid" style="align-content:start">
      <div class="panel"><h2>Runtime</h2><div class="kv" id="runtime"></div></div>
      <div class="panel"><h2>Unseen categories</h2><div class="kv" id="unknown"></div></div>
      <div class="panel"><h2>Rejected requests</h2><div class="kv" id="rejected"></div></div>
    </div>
  </section>
  <footer><span id="updated"></span> · refreshes every ${
  POLL_MS / 1000
}s · PSI &lt; 0.1 stable, 0.1–0.2 moderate, &gt; 0.2 shifted · <a href="openapi.json">openapi.json</a></footer>
</main>
<script>${PAGE_JS}</script>
</body>
</html>
`;
