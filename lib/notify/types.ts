/**
 * What a notification is and what delivers one.
 *
 * @module
 */

/** How loud a notification is; also what the bot's notify endpoint accepts. */
export type Severity = "info" | "warning" | "critical";

/** The severities, quietest first. */
export const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

/** One message for people: a short title, plain text, and optionally a link. */
export interface Notification {
  /** One line, e.g. "Batch inference: 7,043 rows scored". */
  title: string;
  /** Plain text (never markup): every channel escapes it for its own format. */
  text: string;
  severity: Severity;
  /** Where to read more (a CI run, an MLflow run); http(s) only. */
  url?: string;
  /**
   * Stable id of this notification, so a receiver that sees it twice (a retry
   * after a lost answer) can deliver it once. Set by {@link notify} when absent.
   */
  id?: string;
}

/** A place notifications go: Telegram, Slack, the bot. */
export interface Channel {
  /** Short name for messages, e.g. "telegram", "slack", "bot". */
  readonly name: string;
  /** Delivers `n`, retrying as the channel allows; throws a one-line error when it cannot. */
  send(n: Notification): Promise<void>;
}

/** The `fetch` a channel uses (a test passes its own). */
export type Fetch = typeof fetch;
