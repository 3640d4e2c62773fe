/**
 * A child process for tests: its stdout and stderr are read as they come
 * (a full pipe would block it) into one text, which a test waits on ("listening
 * on …") and shows when the process fails to start. Stopping it always waits
 * for the exit and the last of its output, so no test leaks a process or a
 * pending read.
 *
 * @module
 */

/** How to run it: `Deno.CommandOptions` (output is always piped) plus two limits. */
export interface ChildOptions extends Omit<Deno.CommandOptions, "stdout" | "stderr"> {
  /** Keep only the last this many characters of output (a chatty server). Default: all. */
  keepChars?: number;
  /** How long {@link Child.stop} waits after its signal before SIGKILL. Default 5 s; `Infinity` waits. */
  killAfterMs?: number;
}

/** A running child process. Disposing of it stops it (see {@link Child.stop}). */
export interface Child extends AsyncDisposable {
  readonly process: Deno.ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /**
   * Polls `ready` (given the output so far) until it holds: true then, false
   * once the process has exited or `timeoutMs` passed without it.
   */
  until(
    ready: (output: string) => boolean | Promise<boolean>,
    o: { timeoutMs: number; intervalMs?: number },
  ): Promise<boolean>;
  /** Like {@link until}, but stops the process and throws `what`, with its output, when not ready. */
  waitFor(
    ready: (output: string) => boolean | Promise<boolean>,
    o: { timeoutMs: number; intervalMs?: number; what: string },
  ): Promise<void>;
  /**
   * Sends `signal` (default SIGTERM), SIGKILL after `killAfterMs`, and resolves
   * with the exit status once the process and its output have ended. Calling it
   * again returns the same promise.
   */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Spawns `cmd` with piped output.
 *
 * @example
 * ```ts
 * await using child = spawnChild(Deno.execPath(), { args: ["eval", "console.log('up')"] });
 * await child.waitFor((out) => out.includes("up"), { timeoutMs: 10_000, what: "no 'up'" });
 * ```
 */
export function spawnChild(cmd: string | URL, options: ChildOptions = {}): Child {
  const { keepChars = Infinity, killAfterMs = 5_000, ...command } = options;
  const process = new Deno.Command(cmd, { ...command, stdout: "piped", stderr: "piped" })
    .spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > keepChars) text = text.slice(-keepChars);
    }
  };
  const pumps = Promise.all([pump(process.stdout), pump(process.stderr)]);
  let done = false;
  const status = process.status.then((s) => {
    done = true;
    return s;
  });
  let stopping: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") =>
    stopping ??= (async () => {
      try {
        process.kill(signal);
      } catch {
        // already exited
      }
      const timer = Number.isFinite(killAfterMs)
        ? setTimeout(() => {
          try {
            process.kill("SIGKILL");
          } catch {
            // exited meanwhile
          }
        }, killAfterMs)
        : undefined;
      const s = await status;
      clearTimeout(timer);
      await pumps;
      return s;
    })();
  const until: Child["until"] = async (ready, { timeoutMs, intervalMs = 20 }) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await ready(text)) return true;
      if (done || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  return {
    process,
    pid: process.pid,
    status,
    output: () => text,
    exited: () => done,
    until,
    async waitFor(ready, o) {
      if (await until(ready, o)) return;
      await stop();
      throw new Error(`${o.what}:\n${text}`);
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
