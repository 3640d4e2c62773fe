/**
 * Telegram's HTML parse mode, the part a notifier writes: escaping text so
 * nothing in it can open a tag or an entity, and cutting text to a length
 * without splitting an entity or a surrogate pair.
 *
 * @module
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * Text safe inside Telegram HTML (text and attribute values alike).
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 *
 * escapeHtml('a<b & "c"'); // "a&lt;b &amp; &quot;c&quot;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c]);
}

/**
 * The longest prefix of `text` whose escaped form fits in `budget` UTF-16
 * code units, escaped, with `…` when something was cut.
 *
 * @example
 * ```ts
 * import { escapeWithin } from "./html.ts";
 *
 * escapeWithin("a<b<c", 9); // "a&lt;…" (the next "b&lt;" would not fit with the ellipsis)
 * ```
 */
export function escapeWithin(text: string, budget: number): string {
  const full = escapeHtml(text);
  if (full.length <= budget) return full;
  let out = "";
  for (const ch of text) { // by code point: never half a surrogate pair
    const e = ESCAPES[ch] ?? ch;
    if (out.length + e.length + 1 > budget) break;
    out += e;
  }
  return `${out}…`;
}
