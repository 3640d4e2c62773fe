/**
 * Telegram's HTML parse mode, the small part of it the bot writes: escaping
 * text so no label or annotation can open a tag or an entity (lib/notify's
 * `escapeHtml`, the one the direct-to-Telegram notifier uses too), and
 * turning our own HTML back into plain text for the resend-without-formatting
 * path.
 *
 * @module
 */
import { escapeHtml } from "../../lib/notify/mod.ts";

export { escapeHtml };

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"' };

/**
 * The text a reader sees: tags dropped, entities decoded.
 *
 * @example
 * ```ts
 * htmlToText("<b>x &lt; 1</b>"); // "x < 1"
 * ```
 */
export function htmlToText(html: string): string {
  return html.replace(/<[^>]*>/g, "").replace(
    /&(#x[0-9a-f]+|#\d+|[a-z]+);/gi,
    (m, e: string) => {
      if (e[0] === "#") {
        const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1));
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return NAMED[e.toLowerCase()] ?? m;
    },
  );
}

/** A link, or just the escaped label when there is no URL. */
export function link(url: string | null | undefined, label: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return escapeHtml(label);
  return `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
}
