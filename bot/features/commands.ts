/**
 * The command list: what `setMyCommands` registers, what `/help` shows, and
 * what a mistyped command is compared with.
 *
 * @module
 */

/** A command and its one-line description. */
export interface CommandInfo {
  command: string;
  description: string;
}

/** Every command, in `/help` order. */
export const COMMANDS: readonly CommandInfo[] = [
  { command: "status", description: "Edge health, model, traffic, errors, p99, live accuracy" },
  { command: "model", description: "Registered versions and the champion (MLflow)" },
  { command: "alerts", description: "Active alerts and undeliverable notifications" },
  { command: "silences", description: "Active silences, with Unsilence buttons" },
  { command: "drift", description: "The most drifted features" },
  { command: "runs", description: "Latest training runs and their key metric" },
  { command: "predict", description: "Score one row: /predict tenure=5 Contract=Month-to-month" },
  { command: "help", description: "What this bot can do" },
];

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/**
 * The known command closest to `name`, if it is close enough to be a typo.
 *
 * @example
 * ```ts
 * didYouMean("stauts"); // "status"
 * didYouMean("weather"); // null
 * ```
 */
export function didYouMean(name: string): string | null {
  const n = name.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const { command } of COMMANDS) {
    const d = command.startsWith(n) && n.length >= 2 ? 0.5 : editDistance(n, command);
    if (d < bestD) {
      bestD = d;
      best = command;
    }
  }
  return bestD <= Math.max(1, Math.floor(n.length / 3)) ? best : null;
}
