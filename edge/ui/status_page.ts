/**
 * The public status page at `/`, the way users know status pages: the
 * overall state first, then each component, the model and when it was
 * promoted, availability and latency over 24 hours and 7 days, live
 * accuracy, champion and challenger side by side while a challenger is
 * served, and recent incidents. One self-contained HTML document whose
 * inline script polls `/v1/status` every 30 s; no build step, no external
 * assets, so it works the same on Deno Deploy. The script is
 * {@link statusScript}: TypeScript that the linter and type checker see,
 * embedded as the JavaScript Deno transpiled it to.
 *
 * Accessible by construction: one `h1`, a heading per section, every state
 * spelled out in words beside its colour and symbol, text contrast of at
 * least 4.5:1 in light and dark mode, and a single column that fits a
 * 375-pixel-wide phone without scrolling sideways (tests/edge_browser_test.ts).
 *
 * @module
 */
import type { ComponentState } from "../status/incidents.ts";
import type { PublicStatus } from "../status/public_status.ts";

// The little of the DOM statusScript uses. Deno's types have no DOM, and
// adding lib "dom" would retype every module checked with this one.
interface PageNode {
  textContent: string | null;
}
interface PageElement extends PageNode {
  className: string;
  hidden: boolean;
  firstChild: PageNode | null;
  lastChild: PageNode | null;
  setAttribute(name: string, value: string): void;
  appendChild(child: PageNode): void;
  removeChild(child: PageNode): void;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
  createTextNode(text: string): PageNode;
};

const CSS = `
:root {
  --bg: #f6f7f9; --panel: #ffffff; --ink: #14171c; --muted: #4b5563; --line: #d9dde3;
  --ok: #0b6b32; --warn: #8a4b00; --bad: #b3261e; --unknown: #4b5563; --link: #0b57d0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --panel: #171b21; --ink: #eef1f4; --muted: #b3bac4; --line: #2c333d;
    --ok: #6fdc8c; --warn: #f2c14e; --bad: #ff8a80; --unknown: #b3bac4; --link: #8ab4f8;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); }
main { max-width: 880px; margin: 0 auto; padding: 24px 16px 48px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin-bottom: 16px; }
h1 { font-size: 1.5rem; margin: 0; overflow-wrap: anywhere; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 1.05rem; margin: 0 0 12px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin-bottom: 16px; }
.banner { display: flex; align-items: center; gap: 12px; font-size: 1.2rem; font-weight: 650; border-width: 2px; }
.banner .symbol { font-size: 1.6rem; line-height: 1; }
.state-operational { color: var(--ok); border-color: var(--ok); }
.state-degraded { color: var(--warn); border-color: var(--warn); }
.state-outage { color: var(--bad); border-color: var(--bad); }
.state-unknown { color: var(--unknown); border-color: var(--line); }
ul.rows { list-style: none; margin: 0; padding: 0; }
ul.rows li { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 2px 12px; padding: 10px 0; border-top: 1px solid var(--line); }
ul.rows li:first-child { border-top: none; padding-top: 0; }
.name { font-weight: 600; }
.detail { color: var(--muted); font-size: 0.9rem; width: 100%; }
.badge { font-weight: 650; white-space: nowrap; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.figure { min-width: 0; }
.figure .label { color: var(--muted); font-size: 0.85rem; }
.figure .value { font-size: 1.35rem; font-weight: 650; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.figure .sub { color: var(--muted); font-size: 0.85rem; }
dl.model { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 6px 16px; margin: 0; }
dl.model dt { color: var(--muted); }
dl.model dd { margin: 0; overflow-wrap: anywhere; }
.note, footer { color: var(--muted); font-size: 0.9rem; }
footer { display: flex; flex-wrap: wrap; gap: 4px 16px; }
`;

// The page runs statusScript's own source: the JavaScript Deno transpiled it to,
// under `deno run`, `deno test` and Deploy alike, so there is nothing to build.
const JS = `(${statusScript.toString()})();`;

/** The complete page. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service status</title>
<style>${CSS}</style>
</head>
<body>
<main>
  <header><h1>Service status</h1><p id="model-version"></p></header>
  <section class="banner state-unknown" id="overall" role="status" aria-live="polite" data-state="loading">
    <span class="symbol" id="overall-symbol" aria-hidden="true">?</span><span id="overall-text">Checking…</span>
  </section>
  <p class="note" id="offline" hidden>The status could not be fetched; retrying.</p>
  <section aria-labelledby="h-components"><h2 id="h-components">Components</h2><ul class="rows" id="components"></ul></section>
  <section aria-labelledby="h-model"><h2 id="h-model">Model</h2><dl class="model" id="model"></dl></section>
  <section aria-labelledby="h-compare" id="compare-section" hidden><h2 id="h-compare">Champion and challenger</h2><ul class="rows" id="compare"></ul></section>
  <section aria-labelledby="h-figures"><h2 id="h-figures">Availability, latency and accuracy</h2><div class="figures" id="figures"></div></section>
  <section aria-labelledby="h-incidents"><h2 id="h-incidents">Recent incidents</h2><ul class="rows" id="incidents"></ul></section>
  <p class="note" id="note"></p>
  <footer><span id="updated"></span><span id="refresh"></span><a href="docs">API documentation</a><a href="ops">Operator view</a></footer>
</main>
<script>${JS}</script>
</body>
</html>
`;

/**
 * The page's script, run in the browser: polls `v1/status` (relative, so the
 * page works under a path prefix) and renders it into the page's elements,
 * every `refresh_seconds`, or every 30 s while the status cannot be fetched.
 *
 * The page embeds this function's source, so it must stand alone: browser
 * globals and its own locals only, nothing from this module or its imports
 * (type imports are erased, so {@link PublicStatus} types what it reads).
 */
export function statusScript(): void {
  const SYMBOL: Record<ComponentState, string> = {
    operational: "\u2713",
    degraded: "!",
    outage: "\u2715",
    unknown: "?",
  };
  const WORD: Record<ComponentState, string> = {
    operational: "Operational",
    degraded: "Degraded",
    outage: "Outage",
    unknown: "Not monitored",
  };
  const $ = (id: string): PageElement => document.getElementById(id)!;
  function el(tag: string, cls?: string | null, text?: unknown): PageElement {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(e: PageElement): void {
    while (e.firstChild) e.removeChild(e.firstChild);
  }
  function pct(x: number | null | undefined): string {
    return x === null || x === undefined
      ? "no data"
      : (Math.floor(x * 100000) / 1000).toFixed(x >= 0.99995 ? 2 : 3).replace(/\.?0+$/, "") + "%";
  }
  function ms(x: number | null | undefined): string {
    return x === null || x === undefined || !isFinite(x)
      ? "no data"
      : (x < 10 ? x.toFixed(1) : Math.round(x)) + " ms";
  }
  function when(iso: string | null): string {
    return iso ? new Date(iso).toLocaleString() : "not recorded";
  }
  function ago(iso: string | null): string {
    if (!iso) return "";
    const s = (Date.now() - new Date(iso).getTime()) / 1000;
    if (s < 3600) return Math.max(1, Math.round(s / 60)) + " min ago";
    if (s < 172800) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " days ago";
  }
  function badge(state: ComponentState): PageElement {
    const b = el("span", "badge state-" + state);
    const sym = el("span", null, SYMBOL[state] + " ");
    sym.setAttribute("aria-hidden", "true");
    b.appendChild(sym);
    b.appendChild(document.createTextNode(WORD[state]));
    return b;
  }
  function figure(box: PageElement, label: string, value: string, sub?: string): void {
    const f = el("div", "figure");
    f.appendChild(el("div", "label", label));
    f.appendChild(el("div", "value", value));
    if (sub) f.appendChild(el("div", "sub", sub));
    box.appendChild(f);
  }

  function render(s: PublicStatus): number {
    const banner = $("overall");
    banner.className = "banner state-" + s.overall;
    banner.setAttribute("data-state", s.overall);
    $("overall-symbol").textContent = SYMBOL[s.overall];
    $("overall-text").textContent = s.headline;

    const list = $("components");
    clear(list);
    for (const c of s.components) {
      const li = el("li");
      li.setAttribute("data-component", c.id);
      li.appendChild(el("span", "name", c.name));
      li.appendChild(badge(c.state));
      li.appendChild(el("span", "detail", c.detail));
      list.appendChild(li);
    }

    const m = s.model, dl = $("model");
    clear(dl);
    const rows = [
      ["Model", m.name || "none loaded"],
      [
        "Version",
        m.status !== "ready" ? m.status : m.version === null ? "unregistered" : m.version,
      ],
      [
        "Promoted",
        m.promoted_at ? when(m.promoted_at) + " (" + ago(m.promoted_at) + ")" : "not promoted",
      ],
      ["Trained", when(m.trained_at)],
    ];
    for (const [dt, dd] of rows) {
      dl.appendChild(el("dt", null, dt));
      dl.appendChild(el("dd", null, dd));
    }
    $("model-version").textContent = m.version === null ? "" : "version " + m.version;

    const f = $("figures");
    clear(f);
    figure(
      f,
      "Availability, 24 hours",
      pct(s.availability["24h"]),
      "scoring requests without a server error",
    );
    figure(f, "Availability, 7 days", pct(s.availability["7d"]));
    figure(
      f,
      "Latency p99, 24 hours",
      ms(s.latency_p99_ms["24h"]),
      "7 days: " + ms(s.latency_p99_ms["7d"]),
    );
    figure(f, "Latency now", ms(s.recent.p99_ms), "p99 over the last minute on this instance");
    const acc = s.live_accuracy;
    figure(
      f,
      "Live accuracy",
      acc.value === null ? "no labels yet" : pct(acc.value),
      acc.labels + " labels, " + acc.window,
    );

    const models = s.models || [], cmp = $("compare");
    clear(cmp);
    $("compare-section").hidden = models.length < 2;
    for (const md of models) {
      const row = el("li"), a = md.live_accuracy;
      row.setAttribute("data-role", md.role);
      const role = md.role === "champion" ? "Champion" : "Challenger";
      const version = md.version === null ? "(unregistered)" : "version " + md.version;
      row.appendChild(el("span", "name", role + ": " + md.name + " " + version));
      row.appendChild(
        el("span", "badge", a.value === null ? "no labels yet" : pct(a.value) + " right"),
      );
      row.appendChild(
        el(
          "span",
          "detail",
          "Answers " + md.answers + " \u00b7 live accuracy on " + a.labels + " labels, " + a.window,
        ),
      );
      cmp.appendChild(row);
    }

    const inc = $("incidents");
    clear(inc);
    if (s.incidents.length === 0) {
      inc.appendChild(
        el(
          "li",
          null,
          s.source === "prometheus"
            ? "No incidents in the last 7 days."
            : "Incident history is not available from this instance.",
        ),
      );
    }
    for (const x of s.incidents) {
      const item = el("li");
      item.appendChild(el("span", "name", x.title));
      const b = badge(x.ended_at ? "operational" : x.impact);
      b.lastChild!.textContent = x.ended_at
        ? "Resolved"
        : (x.impact === "outage" ? "Ongoing outage" : "Ongoing");
      item.appendChild(b);
      item.appendChild(
        el(
          "span",
          "detail",
          "Started " + when(x.started_at) + (x.ended_at ? ", resolved " + when(x.ended_at) : "") +
            " \u00b7 " + x.component,
        ),
      );
      inc.appendChild(item);
    }
    $("note").textContent = s.note;
    $("updated").textContent = "Updated " + new Date(s.updated_at).toLocaleTimeString();
    $("refresh").textContent = "refreshes every " + s.refresh_seconds + " s";
    return s.refresh_seconds;
  }

  function poll(): void {
    fetch("v1/status", { cache: "no-store" })
      .then((r) => {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json() as Promise<PublicStatus>;
      })
      .then((s) => {
        $("offline").hidden = true;
        setTimeout(poll, render(s) * 1000);
      })
      .catch(() => {
        $("offline").hidden = false;
        setTimeout(poll, 30000);
      });
  }
  poll();
}
