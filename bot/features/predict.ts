/**
 * `/predict`: scores one row on the edge. The row is JSON
 * (`/predict {"tenure": 5}`) or `key=value` pairs (`/predict tenure=5
 * Contract=Month-to-month`; numbers are sent as numbers).
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import { edgePredict } from "../backends/edge.ts";
import { notConfigured } from "../../lib/backend_http.ts";
import type { BotContext } from "../context.ts";
import { answer, BadInput } from "./_reply.ts";

/**
 * The instance in `/predict`'s argument.
 *
 * @example
 * ```ts
 * parseInstance("tenure=5 Contract=Month-to-month"); // { tenure: 5, Contract: "Month-to-month" }
 * parseInstance('{"tenure": 5}'); // { tenure: 5 }
 * ```
 */
export function parseInstance(text: string): Record<string, unknown> {
  const t = text.trim();
  if (t === "") {
    throw new BadInput(
      'give the row to score: /predict tenure=5 Contract=Month-to-month, or /predict {"tenure": 5}',
    );
  }
  if (t.startsWith("{")) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new BadInput(`not valid JSON: ${(e as Error).message}`);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new BadInput("the JSON must be one object of feature values");
    }
    return v as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  // key=value, key="value with spaces"
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  let consumed = "";
  for (const m of t.matchAll(re)) {
    const raw = m[2].startsWith('"') ? JSON.parse(m[2]) as string : m[2];
    out[m[1]] = raw !== "" && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(raw) ? Number(raw) : raw;
    consumed += m[0];
  }
  const leftover = t.replace(re, "").trim();
  if (Object.keys(out).length === 0 || leftover !== "") {
    throw new BadInput(
      `could not read "${(leftover || t).slice(0, 60)}": write key=value pairs separated by spaces`,
    );
  }
  return out;
}

/** `/predict`. */
export function predict(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(
    "predict",
    answer("predict", async (ctx) => {
      const edge = ctx.mlops.config.edgeUrl;
      if (!edge) throw notConfigured("The edge", "EDGE_URL");
      const instance = parseInstance(typeof ctx.match === "string" ? ctx.match : "");
      const p = await edgePredict(edge, instance, ctx.mlops.config.edgeApiKey);
      const probs = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
      const lines = [`🎯 Prediction: <b>${escapeHtml(p.label)}</b>`];
      for (const [label, v] of probs) {
        const bar = "▇".repeat(Math.round(v * 10)) || "▏";
        lines.push(`<code>${escapeHtml(label)}</code> ${(v * 100).toFixed(1)}% ${bar}`);
      }
      if (p.unknown_categories?.length) {
        lines.push(`<i>unseen categories: ${escapeHtml(p.unknown_categories.join(", "))}</i>`);
      }
      return lines.join("\n");
    }),
  );
  return c;
}
