/**
 * One way for every command to answer: run the query, reply in HTML (split
 * if long), and count the command by outcome. A backend failure becomes one
 * line naming the backend — never silence, never a stack trace.
 *
 * @module
 */
import type { InlineKeyboardButton } from "grammy/types";
import { escapeHtml } from "../alerts/html.ts";
import { splitHtml } from "../alerts/split.ts";
import { BackendError } from "../../lib/backend_http.ts";
import type { BotContext } from "../context.ts";
import { errorText } from "../log.ts";
import { isUserError } from "../../lib/errors.ts";

/** What a command answers. */
export type Answer = string | { html: string; keyboard?: InlineKeyboardButton[][] };

/** A command's answer was bad input from the user (shown as is). */
export class BadInput extends Error {
  override name = "BadInput";
}

/** Sends `answer` as HTML, split at the length limit, buttons on the last part. */
export async function replyHtml(ctx: BotContext, answer: Answer): Promise<void> {
  const { html, keyboard } = typeof answer === "string"
    ? { html: answer, keyboard: undefined }
    : answer;
  const parts = splitHtml(html);
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    await ctx.reply(parts[i], {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      ...(last && keyboard?.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
    });
  }
}

/**
 * Middleware for command `name`: answers with what `run` returns.
 *
 * @example
 * ```ts
 * import { Composer } from "grammy";
 * import type { BotContext } from "../context.ts";
 *
 * const composer = new Composer<BotContext>();
 * composer.command("help", answer("help", () => "<b>Commands</b> …"));
 * ```
 */
export function answer(name: string, run: (ctx: BotContext) => Promise<Answer> | Answer) {
  return async (ctx: BotContext): Promise<void> => {
    const m = ctx.mlops.metrics;
    let reply: Answer;
    let outcome = "ok";
    try {
      reply = await run(ctx);
    } catch (e) {
      if (e instanceof BackendError || isUserError(e)) {
        outcome = "backend_down";
        reply = `⚠️ ${escapeHtml(e.message)}`;
      } else if (e instanceof BadInput) {
        outcome = "bad_input";
        reply = `⚠️ ${escapeHtml(e.message)}`;
      } else {
        outcome = "error";
        ctx.mlops.log(`/${name} failed: ${errorText(e)}`);
        reply = `⚠️ /${name} failed: ${escapeHtml(errorText(e))}`;
      }
    }
    m.commands.add(1, { command: name, outcome });
    await replyHtml(ctx, reply);
  };
}

/** A number for display: "0.123", "12.3", "1234". */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "n/a";
  return Number(v.toPrecision(digits)).toString();
}

/** A ratio as a percentage. */
export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "n/a";
  return `${(v * 100).toFixed(1)}%`;
}
