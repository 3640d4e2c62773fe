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

/**
 * Edit distance with adjacent swaps counted as one edit (optimal string
 * alignment), for "did you mean": `mdoel` is one typo away from `model`.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
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
