/**
 * Slack, through an incoming webhook: one `text` message in Slack's mrkdwn,
 * where `&`, `<` and `>` are markup (`<!channel>` pings everyone) and so are
 * escaped in everything that is not ours.
 *
 * @module
 */
import { postJson, type PostPolicy } from "./_post.ts";
import type { Channel, Notification, Severity } from "./types.ts";

/** Kept under Slack's 3,000-character limit for one block of text. */
export const SLACK_LIMIT = 3000;

const EMOJI: Record<Severity, string> = {
  info: ":information_source:",
  warning: ":warning:",
  critical: ":rotating_light:",
};

/**
 * `&`, `<`, `>` as the entities Slack decodes.
 *
 * @example
 * ```ts
 * import { escapeSlack } from "./slack.ts";
 *
 * escapeSlack("<!channel> & co"); // "&lt;!channel&gt; &amp; co"
 * ```
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The webhook payload for `n`.
 *
 * @example
 * ```ts
 * import { slackPayload } from "./slack.ts";
 *
 * slackPayload({ title: "Batch done", text: "7043 rows", severity: "info" }).text;
 * // ":information_source: *Batch done*\n7043 rows"
 * ```
 */
export function slackPayload(n: Notification): { text: string } {
  const head = `${EMOJI[n.severity]} *${escapeSlack(n.title).slice(0, 256)}*`;
  const link = n.url && /^https?:\/\//i.test(n.url) ? `\n<${escapeSlack(n.url)}|Details>` : "";
  const room = SLACK_LIMIT - head.length - link.length - 1;
  let body = escapeSlack(n.text.trim());
  if (body.length > room) {
    body = body.slice(0, room - 1).replace(/&[a-z]*$/, "") + "…";
  }
  return { text: `${head}${body ? `\n${body}` : ""}${link}` };
}

/**
 * A channel that posts to one Slack incoming webhook.
 *
 * @example
 * ```ts
 * import { slackChannel } from "./slack.ts";
 *
 * await slackChannel({ webhookUrl: "https://hooks.slack.com/services/T/B/X" })
 *   .send({ title: "Batch failed", text: "data.csv: no such file", severity: "critical" });
 * ```
 */
export function slackChannel(o: PostPolicy & { webhookUrl: string }): Channel {
  return {
    name: "slack",
    async send(n: Notification) {
      const answer = await postJson("slack", o.webhookUrl, slackPayload(n), {}, o);
      if (answer.status >= 200 && answer.status < 300) return;
      throw new Error(`slack: webhook refused (${answer.status}): ${answer.text.slice(0, 200)}`);
    },
  };
}
