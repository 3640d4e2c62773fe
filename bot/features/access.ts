/**
 * Who may talk to the bot: users in `TELEGRAM_ALLOWED_USERS`, and anyone in
 * a chat in `TELEGRAM_ALLOWED_CHATS`. Everyone else gets one refusal line
 * (or a refusal toast for a button) and nothing else — no data, no hint of
 * what the bot knows. Alert chats receive alerts whether or not anyone there
 * may query.
 *
 * In groups, only commands are refused: ordinary chatter is not the bot's
 * business.
 *
 * @module
 */
import { Composer } from "grammy";
import { isAllowed } from "../config.ts";
import type { BotContext } from "../context.ts";
import { COMMANDS } from "./commands.ts";

/** The refusal, the same for everyone. */
export const REFUSAL = "Sorry, you are not allowed to use this bot.";

/** Passes allowed users on; refuses the rest. */
export function access(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.use(async (ctx, next) => {
    if (isAllowed(ctx.mlops.config, ctx.from?.id, ctx.chat?.id)) return await next();
    if (ctx.callbackQuery) {
      ctx.mlops.metrics.buttons.add(1, { action: "any", outcome: "refused" });
      await ctx.answerCallbackQuery({ text: REFUSAL, show_alert: true });
      return;
    }
    const text = ctx.message?.text ?? "";
    const isCommand = text.startsWith("/");
    if (ctx.chat?.type === "private" || isCommand) {
      if (isCommand) {
        const name = /^\/([A-Za-z0-9_]+)/.exec(text)?.[1]?.toLowerCase() ?? "";
        // Known names only: a stranger must not be able to mint label values.
        const command = COMMANDS.some((c) => c.command === name) ? name : "unknown";
        ctx.mlops.metrics.commands.add(1, { command, outcome: "refused" });
      }
      if (ctx.message) await ctx.reply(REFUSAL);
    }
  });
  return c;
}
