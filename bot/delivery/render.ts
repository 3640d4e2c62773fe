/**
 * The text and buttons of a thread's first message as they should be now:
 * what the worker edits in when alerts resolve and what a button press
 * edits in when someone silences or acks — one rendering for both.
 *
 * @module
 */
import type { InlineKeyboardButton } from "grammy/types";
import { escapeHtml, htmlToText } from "../alerts/html.ts";
import { type FormatOptions, renderMessage } from "../alerts/format.ts";
import { splitHtml } from "../alerts/split.ts";
import type { StoredAlerts } from "../store/outbox.ts";
import { keyboardOf, type Thread, threadView } from "../store/threads.ts";

/** A plain text cut like HTML (entities are never split), then decoded. */
export function splitPlain(text: string): string[] {
  return splitHtml(escapeHtml(text)).map(htmlToText);
}

/** The first message of `thread`, re-rendered. */
export function renderThread(
  thread: Thread,
  stored: StoredAlerts,
  format: FormatOptions,
  plain = false,
): { text: string; keyboard: InlineKeyboardButton[][] } {
  const html = renderMessage(threadView(thread, stored), format);
  return {
    text: plain ? splitPlain(htmlToText(html))[0] : splitHtml(html)[0],
    keyboard: keyboardOf(thread, stored, format.now),
  };
}
