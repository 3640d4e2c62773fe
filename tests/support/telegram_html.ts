/**
 * Telegram's HTML parse mode as the Bot API documents it ("Formatting
 * options" → "HTML style"), for the emulator: turns `text` with
 * `parse_mode=HTML` into plain text and entities, or fails the way the Bot
 * API does ("can't parse entities: …").
 *
 * Rules enforced (from the documentation):
 * - only these tags: b, strong, i, em, u, ins, s, strike, del,
 *   span class="tg-spoiler", tg-spoiler, a href, tg-emoji emoji-id, code,
 *   pre (optionally with one code class="language-…"), blockquote
 *   (optionally expandable);
 * - every `<`, `>` and `&` that is not part of a tag or an entity must be
 *   escaped; the named entities are only `&lt;` `&gt;` `&amp;` `&quot;`,
 *   numeric entities are all allowed;
 * - tags must be closed in order; code and pre contain no other entities
 *   (except code directly in pre); blockquotes do not nest.
 *
 * Written from the documentation, not from the bot's code. Stricter than
 * Telegram where the documentation says "must" and Telegram may tolerate.
 *
 * @module
 */

/** A message entity (offsets and lengths in UTF-16 code units). */
export interface Entity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}

/** A parse failure, with the Bot API's description. */
export class EntityParseError extends Error {}

const SIMPLE: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  a: "text_link",
  span: "spoiler",
  "tg-emoji": "custom_emoji",
};

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function byteOffset(html: string, i: number): number {
  return new TextEncoder().encode(html.slice(0, i)).length;
}

function fail(msg: string): never {
  throw new EntityParseError(`Bad Request: can't parse entities: ${msg}`);
}

function attrs(raw: string, at: number, html: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z-]+)(?:\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>]+)))?/y;
  let i = 0;
  while (i < raw.length) {
    re.lastIndex = i;
    const m = re.exec(raw);
    if (!m || m[0].length === 0) {
      if (raw.slice(i).trim() === "") break;
      fail(
        `Expected equal sign in declaration of an attribute of a start tag at byte offset ${
          byteOffset(html, at)
        }`,
      );
    }
    out[m[1].toLowerCase()] = decode(m[3] ?? m[4] ?? m[5] ?? "", html, at);
    i = re.lastIndex;
  }
  return out;
}

function decode(s: string, html: string, at: number): string {
  return s.replace(/&([^;]*);?/g, (m, e: string) => entity(m, e, html, at));
}

function entity(m: string, e: string, html: string, at: number): string {
  if (!m.endsWith(";")) {
    fail(`Character '&' is reserved and must be escaped at byte offset ${byteOffset(html, at)}`);
  }
  if (/^#\d+$/.test(e)) return String.fromCodePoint(Number(e.slice(1)));
  if (/^#x[0-9a-f]+$/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
  const v = NAMED[e];
  if (v === undefined) {
    fail(`Unsupported HTML entity "&${e};" at byte offset ${byteOffset(html, at)}`);
  }
  return v;
}

/**
 * Text and entities of an HTML-formatted message.
 *
 * @example
 * ```ts
 * parseHtml("<b>x &lt; 1</b>"); // { text: "x < 1", entities: [{ type: "bold", offset: 0, length: 5 }] }
 * ```
 */
export function parseHtml(html: string): { text: string; entities: Entity[] } {
  let text = "";
  const entities: Entity[] = [];
  const stack: { tag: string; entity: Entity; at: number }[] = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i];
    if (c === "<") {
      const end = html.indexOf(">", i);
      if (end < 0) fail(`Unclosed start tag at byte offset ${byteOffset(html, i)}`);
      const inner = html.slice(i + 1, end);
      if (inner.startsWith("/")) {
        const name = inner.slice(1).trim().toLowerCase();
        const top = stack.pop();
        if (!top) fail(`Unexpected end tag at byte offset ${byteOffset(html, i)}`);
        if (top.tag !== name) {
          fail(
            `Unmatched end tag at byte offset ${
              byteOffset(html, i)
            }, expected "</${top.tag}>", found "</${name}>"`,
          );
        }
        top.entity.length = text.length - top.entity.offset;
        if (top.entity.length > 0) entities.push(top.entity);
        i = end + 1;
        continue;
      }
      const m = /^([a-zA-Z][a-zA-Z0-9-]*)([\s\S]*)$/.exec(inner);
      if (!m) {
        fail(
          `Unsupported start tag "${inner.split(/\s/)[0]}" at byte offset ${byteOffset(html, i)}`,
        );
      }
      const name = m[1].toLowerCase();
      const type = SIMPLE[name];
      if (!type) fail(`Unsupported start tag "${name}" at byte offset ${byteOffset(html, i)}`);
      const a = attrs(m[2], i, html);
      const parent = stack[stack.length - 1];
      if (parent && (parent.tag === "code" || (parent.tag === "pre" && name !== "code"))) {
        fail(`Entities can't be nested in ${parent.tag} at byte offset ${byteOffset(html, i)}`);
      }
      if (name === "blockquote" && stack.some((s) => s.tag === "blockquote")) {
        fail(`Blockquote entities can't be nested at byte offset ${byteOffset(html, i)}`);
      }
      const entity: Entity = { type, offset: text.length, length: 0 };
      if (name === "span" && a.class !== "tg-spoiler") {
        fail(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(html, i)}`);
      }
      if (name === "a") {
        if (!a.href) fail(`Can't find href in the tag "a" at byte offset ${byteOffset(html, i)}`);
        entity.url = a.href;
      }
      if (name === "tg-emoji") entity.custom_emoji_id = a["emoji-id"];
      if (name === "blockquote" && "expandable" in a) entity.type = "expandable_blockquote";
      if (name === "code" && parent?.tag === "pre" && a.class?.startsWith("language-")) {
        parent.entity.language = a.class.slice("language-".length);
      }
      stack.push({ tag: name, entity, at: i });
      i = end + 1;
      continue;
    }
    if (c === ">") {
      fail(`Character '>' is reserved and must be escaped at byte offset ${byteOffset(html, i)}`);
    }
    if (c === "&") {
      const m = /^&([^;\s<>&]{0,10});/.exec(html.slice(i));
      if (!m) {
        fail(`Character '&' is reserved and must be escaped at byte offset ${byteOffset(html, i)}`);
      }
      text += entity(m[0], m[1], html, i);
      i += m[0].length;
      continue;
    }
    text += c;
    i++;
  }
  if (stack.length > 0) {
    fail(`Can't find end tag corresponding to start tag "${stack[stack.length - 1].tag}"`);
  }
  // Code blocks nested in pre are one pre entity.
  return {
    text,
    entities: entities.filter((e, _, all) =>
      !(e.type === "code" &&
        all.some((p) => p.type === "pre" && p.offset === e.offset && p.length === e.length))
    ).sort((a, b) => a.offset - b.offset || b.length - a.length),
  };
}
