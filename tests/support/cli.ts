/**
 * Runs the `mlops` CLI in-process and captures what it prints, for tests
 * that need many commands and cannot pay a subprocess each.
 *
 * @module
 */
import { run } from "../../cli/main.ts";

/** Exit code and captured output of one command. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mlops <args>` in this process.
 *
 * @example
 * ```ts
 * const { code, stdout } = await mlops("runs", "list", "--json");
 * ```
 */
export async function mlops(...args: string[]): Promise<CliResult> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.map(String).join(" "));
  console.error = (...a: unknown[]) => err.push(a.map(String).join(" "));
  try {
    const code = await run(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** The argv that runs the CLI in a subprocess (for wrappers such as `unshare`). */
export const MLOPS_ARGV: readonly string[] = [
  Deno.execPath(),
  "run",
  "-A",
  "--no-check",
  new URL("../../cli/main.ts", import.meta.url).pathname,
];

/**
 * Runs `cmd args` and captures its output, with colour off and CI on (no
 * progress bars).
 *
 * @example
 * ```ts
 * const { code, stderr } = await runCommand("unshare", ["--mount", "true"]);
 * ```
 */
export async function runCommand(
  cmd: string,
  args: string[],
  o: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: o.cwd,
    env: { NO_COLOR: "1", CI: "true", ...o.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs `mlops <args>` in a subprocess, as a user would: real exit codes,
 * uncaught errors and stdout bytes.
 *
 * @example
 * ```ts
 * const { code, stderr } = await mlopsProcess("train", "--trees", "0");
 * ```
 */
export function mlopsProcess(...args: string[]): Promise<CliResult> {
  return mlopsProcessWith({}, ...args);
}

/**
 * {@link mlopsProcess} with extra environment variables (on top of this
 * process' environment; `""` counts as unset for mlops).
 *
 * @example
 * ```ts
 * const url = "http://127.0.0.1:8099/hook";
 * const r = await mlopsProcessWith({ SLACK_WEBHOOK_URL: url }, "notify", "--title", "hi");
 * ```
 */
export function mlopsProcessWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  const [cmd, ...rest] = MLOPS_ARGV;
  return runCommand(cmd, [...rest, ...args], { env });
}

/**
 * Like {@link mlopsProcess}, in folder `cwd` with no tracking URI set, as a
 * user who has not configured one (the local default applies).
 *
 * @example
 * ```ts
 * const { code } = await mlopsIn("/tmp/project", "train", "--trees", "3");
 * ```
 */
export function mlopsIn(cwd: string, ...args: string[]): Promise<CliResult> {
  const [cmd, ...rest] = MLOPS_ARGV;
  return runCommand(cmd, [...rest, ...args], { cwd, env: { MLFLOW_TRACKING_URI: "" } });
}
