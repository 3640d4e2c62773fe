/**
 * `/help` and `/start`, and "did you mean" for commands nobody handles.
 *
 * @module
 */
import { Composer } from "grammy";
import { escapeHtml } from "../alerts/html.ts";
import type { BotContext } from "../context.ts";
import { answer } from "./_reply.ts";
import { COMMANDS, didYouMean } from "./commands.ts";

function helpText(): string {
  return [
    "<b>mlops bot</b>: alerts from Alertmanager, and answers about the live system.",
    "",
    ...COMMANDS.map((c) => `/${c.command} — ${escapeHtml(c.description)}`),
    "",
    "Alert messages carry buttons: <b>🔕 1h/4h/24h</b> silence the alert in Alertmanager, " +
    "<b>👀 Ack</b> tells the chat you are on it.",
  ].join("\n");
}

/** `/help` and `/start`. */
export function help(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command(["help", "start"], answer("help", helpText));
  return c;
}

/** Answers commands no other feature handled (install last). */
export function unknownCommand(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.on("message:entities:bot_command", async (ctx) => {
    const text = ctx.message.text ?? "";
    const m = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?/.exec(text);
    if (!m) return;
    // Addressed to another bot in a group: not ours to answer.
    if (m[2] && ctx.me && m[2].toLowerCase() !== ctx.me.username.toLowerCase()) return;
    const guess = didYouMean(m[1]);
    ctx.mlops.metrics.commands.add(1, { command: "unknown", outcome: "unknown" });
    await ctx.reply(
      `Unknown command /${escapeHtml(m[1])}.` +
        (guess ? ` Did you mean /${guess}?` : "") + " See /help.",
      { parse_mode: "HTML" },
    );
  });
  return c;
}
