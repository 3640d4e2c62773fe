/**
 * The `/docs` page: the OpenAPI document rendered as readable HTML on the
 * server (no CDN-hosted viewer, so it works offline and on Deploy), with the
 * model's feature contract and a small "try it" form for `/v1/predict`.
 *
 * @module
 */
import { THEME_CSS } from "./theme.ts";

const DOCS_CSS = `
main { max-width: 1000px; }
.intro { margin-bottom: 18px; }
.op { margin-bottom: 14px; }
.op h3 { margin: 0 0 6px; font-size: 15px; display: flex; gap: 10px; align-items: center; }
.method { font: 700 11px var(--mono); padding: 3px 8px; border-radius: 5px; color: #fff; }
.method.get { background: #0f766e; } .method.post { background: #1d4ed8; }
.path { font-family: var(--mono); }
.codes { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 8px; }
.code { font: 12px var(--mono); padding: 1px 7px; border-radius: 5px; border: 1px solid var(--line); color: var(--muted); }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; overflow: auto; max-height: 360px; white-space: pre-wrap; word-break: break-word; }
textarea { width: 100%; min-height: 220px; font: 12.5px var(--mono); background: var(--bg); color: var(--ink); border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
input { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--ink); width: 320px; }
button { font: inherit; font-weight: 600; padding: 7px 16px; border-radius: 6px; border: 0; background: var(--accent); color: #fff; cursor: pointer; }
.row { display: flex; gap: 10px; align-items: center; margin: 10px 0; flex-wrap: wrap; }
h2.section { font-size: 16px; margin: 26px 0 10px; }
`;

const TRY_JS = `
document.getElementById("send").addEventListener("click", function () {
  var out = document.getElementById("out");
  var headers = { "content-type": "application/json" };
  var key = document.getElementById("key").value.trim();
  if (key) headers.authorization = "Bearer " + key;
  out.textContent = "…";
  fetch("v1/predict", { method: "POST", headers: headers, body: document.getElementById("body").value })
    .then(function (r) { return r.text().then(function (t) { return r.status + " " + r.statusText + "\\n\\n" + t; }); })
    .then(function (t) {
      try { var i = t.indexOf("\\n\\n"); t = t.slice(0, i + 2) + JSON.stringify(JSON.parse(t.slice(i + 2)), null, 2); } catch (e) {}
      out.textContent = t;
    })
    .catch(function (e) { out.textContent = String(e); });
});
`;

/**
 * Escapes text for HTML element content and quoted attributes.
 *
 * @example
 * ```ts
 * escapeHtml('<a href="x">'); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

type Operation = {
  summary?: string;
  description?: string;
  responses?: Record<string, { description?: string }>;
  requestBody?: {
    content?: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }>;
  };
};

/** Pretty JSON with arrays of plain values kept on one line (rows, column lists). */
function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s+([^[\]{}]*?)\s+\]/g,
    (_m, inner: string) => `[${inner.replace(/\s*\n\s*/g, " ")}]`,
  );
}

/** A minimal inline Markdown: `code` and **bold**, after escaping. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

/**
 * Renders the docs page for `spec` (the `/openapi.json` document).
 *
 * @example
 * ```ts
 * import { buildOpenApi } from "../openapi/spec.ts";
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const holder: ModelHolder;
 * const html = renderDocsPage(buildOpenApi(holder.model, { maxBatch: 1000, maxBodyBytes: 1 << 20, auth: false }));
 * ```
 */
export function renderDocsPage(spec: Record<string, unknown>): string {
  const info = spec.info as { title: string; version: string; description: string };
  const paths = spec.paths as Record<string, Record<string, Operation>>;
  const schemas = (spec.components as { schemas: Record<string, Record<string, unknown>> })
    .schemas;
  const instance = schemas.Instance;
  const props = (instance.properties ?? {}) as Record<string, { description?: string }>;
  const example = (instance.examples as unknown[] | undefined)?.[0] ?? { feature: "value" };

  const ops = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const codes = Object.entries(op.responses ?? {})
        .map(([code, r]) =>
          `<span class="code" title="${escapeHtml(r.description ?? "")}">${code}</span>`
        )
        .join("");
      const ex = op.requestBody?.content?.["application/json"];
      const sample = ex?.example ?? Object.values(ex?.examples ?? {})[0]?.value;
      return `<div class="panel op">
  <h3><span class="method ${method}">${method.toUpperCase()}</span><span class="path">${
        escapeHtml(path)
      }</span><span class="muted" style="font-weight:400">${inline(op.summary ?? "")}</span></h3>
  ${op.description ? `<div>${inline(op.description)}</div>` : ""}
  ${sample !== undefined ? `<pre>${escapeHtml(prettyJson(sample))}</pre>` : ""}
  <div class="codes">${codes}</div>
</div>`;
    })
  ).join("\n");

  const features = Object.entries(props).map(([name, p]) =>
    `<tr><td><code>${escapeHtml(name)}</code></td><td>${inline(p.description ?? "")}</td></tr>`
  ).join("\n");

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} · API</title>
<style>${THEME_CSS}${DOCS_CSS}</style>
</head>
<body>
<header class="top">
  <h1>${escapeHtml(info.title)} API</h1><span class="pill">v${escapeHtml(info.version)}</span>
  <span class="spacer"></span>
  <nav><a href="./">Status</a><a href="openapi.json">openapi.json</a><a href="v1/model">Model</a></nav>
</header>
<main>
  <div class="panel intro">${inline(info.description)}</div>
  <h2 class="section">Endpoints</h2>
  ${ops}
  <h2 class="section">Instance fields</h2>
  <div class="panel"><table><thead><tr><th>Field</th><th>Accepted values</th></tr></thead><tbody>
  ${features || '<tr><td colspan="2" class="muted">No model loaded yet.</td></tr>'}
  </tbody></table></div>
  <h2 class="section">Try it</h2>
  <div class="panel">
    <textarea id="body" spellcheck="false">${
    escapeHtml(JSON.stringify(example, null, 2))
  }</textarea>
    <div class="row"><input id="key" placeholder="API key (only if the server requires one)" autocomplete="off"><button id="send">POST /v1/predict</button></div>
    <pre id="out" class="muted">Response appears here.</pre>
  </div>
</main>
<script>${TRY_JS}</script>
</body>
</html>
`;
}
