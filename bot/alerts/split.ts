/**
 * Splitting a Telegram HTML message that is over the length limit into
 * messages that are each under it and each well-formed: cuts fall between
 * lines where possible, inside a long line at a space, never inside a tag
 * or an entity, and tags open at a cut are closed before it and reopened
 * after it.
 *
 * Length is measured on the HTML source in UTF-16 code units, which is never
 * less than what Telegram counts (the text after entity parsing), so a part
 * that passes here passes there.
 *
 * @module
 */

/** Telegram's limit for a message text, after entity parsing. */
export const MESSAGE_LIMIT = 4096;

type Tag = { kind: "open" | "close"; name: string; raw: string };
type Token = Tag | { kind: "text"; raw: string };

function tokenize(html: string): Token[] {
  const out: Token[] = [];
  const re = /<\/?([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&[^;\s&<>]{1,10};|[^<&]+|[<&]/g;
  for (const m of html.matchAll(re)) {
    const raw = m[0];
    if (m[1] !== undefined) {
      out.push({ kind: raw[1] === "/" ? "close" : "open", name: m[1].toLowerCase(), raw });
    } else if (raw[0] === "&" && raw.length > 1) out.push({ kind: "text", raw });
    else {
      // Plain text: one token per character run, split further at cut time.
      out.push({ kind: "text", raw });
    }
  }
  return out;
}

/**
 * Parts of `html`, each at most `limit` long and well-formed.
 *
 * @example
 * ```ts
 * splitHtml("<b>" + "x".repeat(5000) + "</b>", 4096).length; // 2
 * ```
 */
export function splitHtml(html: string, limit = MESSAGE_LIMIT): string[] {
  if (html.length <= limit) return [html];
  const parts: string[] = [];
  const stack: Tag[] = []; // open tags
  let cur = "";
  const closing = () => stack.slice().reverse().map((t) => `</${t.name}>`).join("");
  const reopening = () => stack.map((t) => t.raw).join("");
  // Room left in the current part, keeping space to close what is open.
  const room = () => limit - cur.length - closing().length;
  const flush = () => {
    const body = cur + closing();
    if (body.replace(/<[^>]*>/g, "").trim() !== "") parts.push(body.replace(/\n+$/, ""));
    cur = reopening();
  };

  // Cut preferably at line ends: feed line by line, each line token by token.
  const lines = html.split(/(?<=\n)/);
  for (const line of lines) {
    if (line.length <= room()) {
      // Fast path: the whole line fits; still track its tags.
      for (const t of tokenize(line)) track(stack, t);
      cur += line;
      continue;
    }
    if (
      cur.length > reopening().length &&
      line.length + reopening().length + closing().length <= limit
    ) {
      flush();
      for (const t of tokenize(line)) track(stack, t);
      cur += line;
      continue;
    }
    for (const t of tokenize(line)) {
      if (t.kind !== "text") {
        const need = t.kind === "open" ? t.raw.length + `</${t.name}>`.length : 0;
        if (need > room()) flush();
        track(stack, t);
        cur += t.raw;
        continue;
      }
      let text = t.raw;
      while (text.length > 0) {
        let r = room();
        if (r <= 0) {
          flush();
          r = room();
          if (r <= 0) throw new Error("splitHtml: limit too small for the open tags");
        }
        if (text.length <= r) {
          cur += text;
          break;
        }
        if (text[0] === "&") { // an entity never splits
          flush();
          continue;
        }
        // Cut at the last space within reach, else hard; never between surrogates.
        let cut = text.lastIndexOf(" ", r);
        if (cut < r / 2) cut = r;
        if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
        cur += text.slice(0, cut);
        text = text.slice(cut);
        flush();
      }
    }
  }
  if (cur.length > reopening().length || parts.length === 0) flush();
  return parts;
}

function track(stack: Tag[], t: Token): void {
  if (t.kind === "open") stack.push(t);
  else if (t.kind === "close") {
    const i = stack.map((s) => s.name).lastIndexOf(t.name);
    if (i >= 0) stack.splice(i, 1);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
