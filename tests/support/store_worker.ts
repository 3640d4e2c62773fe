/**
 * A separate process that works on a file store, for tests of what two
 * processes on one store may do to each other. Each job waits for a shared
 * start time first, so processes started one after the other still hit the
 * store at the same moment.
 *
 * ```sh
 * deno run -A tests/support/store_worker.ts '<job as JSON>'
 * ```
 *
 * Jobs:
 * - `{"job": "experiment", "store", "name", "startAt"}`: get-or-create the
 *   experiment, log a finished run into it, print the experiment id.
 * - `{"job": "cli", "args", "startAt"}`: run `mlops <args>` in this process
 *   and exit with its code.
 * - `{"job": "stage", "store", "name", "idle"?}`: start a run, print
 *   "ready <run id>", then log a metric again and again until killed (a
 *   process killed mid-write), or with `idle` just wait (a live process
 *   between writes).
 * - `{"job": "lock", "path"}`: take the lock `path`, print "locked", and hold
 *   it until killed.
 *
 * @module
 */
import { run } from "../../cli/main.ts";
import { ensureExperiment } from "../../lib/mlflow/logging.ts";
import { FileStore } from "../../lib/mlflow/transfer.ts";
import { withLock } from "../../lib/mlflow/_fs.ts";

/** A job of this worker. */
export type WorkerJob =
  | { job: "experiment"; store: string; name: string; startAt: number }
  | { job: "cli"; args: string[]; startAt: number }
  | { job: "stage"; store: string; name: string; idle?: boolean }
  | { job: "lock"; path: string };

/** Path of this script, for `deno run`. */
export const WORKER = new URL(import.meta.url).pathname;

/** Spawns a worker process for `job` with piped output. */
export function spawnWorker(job: WorkerJob): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", WORKER, JSON.stringify(job)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs workers for `jobs` at once; their exit codes and output, in order. */
export async function runWorkers(
  jobs: WorkerJob[],
): Promise<{ code: number; stdout: string; stderr: string }[]> {
  const children = jobs.map(spawnWorker);
  return await Promise.all(children.map(async (c) => {
    const o = await c.output();
    const dec = new TextDecoder();
    return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
  }));
}

/**
 * Reads a worker's stdout until a line starts with `prefix` and returns that
 * line; the rest of its output is drained in the background.
 */
export async function waitForLine(child: Deno.ChildProcess, prefix: string): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`worker ended before printing '${prefix}': ${text}`);
    text += value;
    const line = text.split("\n").slice(0, -1).find((l) => l.startsWith(prefix));
    if (line !== undefined) {
      (async () => {
        while (!(await reader.read()).done);
      })().catch(() => {});
      return line;
    }
  }
}

/** Waits until killed (a bare pending promise would let Deno exit). */
function forever(): Promise<never> {
  setInterval(() => {}, 60_000);
  return new Promise(() => {});
}

async function untilStart(startAt: number): Promise<void> {
  const wait = startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

async function main(job: WorkerJob): Promise<number> {
  if (job.job === "experiment") {
    const store = new FileStore(job.store);
    await untilStart(job.startAt);
    const id = await ensureExperiment(store, job.name);
    const info = await store.createRun({ experimentId: id });
    await store.updateRun(info.runId, "FINISHED");
    console.log(id);
    return 0;
  }
  if (job.job === "cli") {
    await untilStart(job.startAt);
    return await run(job.args);
  }
  if (job.job === "lock") {
    return await withLock(job.path, "holding a lock for a test", async () => {
      console.log("locked");
      return await forever();
    });
  }
  const store = new FileStore(job.store);
  const id = await ensureExperiment(store, job.name);
  const info = await store.createRun({ experimentId: id });
  await store.logBatch(info.runId, { params: { p: "1" } });
  console.log(`ready ${info.runId}`);
  if (job.idle) await forever();
  for (let step = 0;; step++) {
    const m = { key: "loss", value: 1 / (step + 1), timestamp: Date.now(), step };
    await store.logBatch(info.runId, { metrics: [m] });
  }
}

if (import.meta.main) Deno.exit(await main(JSON.parse(Deno.args[0])));
