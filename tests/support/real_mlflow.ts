/**
 * The real MLflow, for tests that must hold against MLflow itself and not
 * only against the fake in `mlflow_server.ts`: a tracking server (sqlite
 * backend, artifact proxy, optionally MLflow's basic-auth app) on a free
 * loopback port, and MLflow's own client reading a store
 * (`mlflow_read.py`). The release comes from the Python named by
 * `MLOPS_MLFLOW_PYTHON` (MLflow from PyPI) when that is set, else from
 * `../shared/real-mlflow` (its `env.sh`: 3.5, and `master`, its newer
 * client).
 * Use with `needs(["mlflow"], ...)` (and `"mlflowMaster"` for `master`).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { spawnChild } from "./child.ts";
import { have } from "./parts.ts";

const SHARED_ENV = fileURLToPath(new URL("../../../shared/real-mlflow/env.sh", import.meta.url));
const LAUNCHER = fileURLToPath(new URL("./real_mlflow_server.sh", import.meta.url));
const READER = fileURLToPath(new URL("./mlflow_read.py", import.meta.url));

/** Which MLflow: the release (3.5: server and client) or master (a newer client). */
export type MlflowRelease = "release" | "master";

function shared(): boolean {
  try {
    Deno.statSync(SHARED_ENV);
    return true;
  } catch {
    return false;
  }
}

/**
 * `bash`/python argv and environment that run `exe args` with MLflow
 * importable: `exe` is "python" (MLflow's interpreter) or a bash script.
 */
function mlflowArgv(
  exe: "python" | string,
  args: string[],
  release: MlflowRelease,
): { cmd: string; args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = { NO_COLOR: "1", PYTHONWARNINGS: "ignore" };
  const python = Deno.env.get("MLOPS_MLFLOW_PYTHON");
  if (shared() && (release === "master" || !python)) {
    if (release === "master") env.REAL_MLFLOW_RELEASE = "master";
    const run = exe === "python" ? 'exec "$MLFLOW_PYTHON" "$@"' : `exec bash "${exe}" "$@"`;
    return { cmd: "bash", args: ["-c", `. "${SHARED_ENV}" && ${run}`, "mlflow", ...args], env };
  }
  if (!python) {
    throw new Error(
      "no real MLflow: ../shared/real-mlflow is absent and MLOPS_MLFLOW_PYTHON unset",
    );
  }
  if (release === "master") throw new Error("MLflow's master is only in ../shared/real-mlflow");
  env.MLFLOW_PYTHON = python;
  return exe === "python" ? { cmd: python, args, env } : { cmd: "bash", args: [exe, ...args], env };
}

/** Output of a command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Python script with MLflow importable (bounded in time).
 *
 * @example
 * ```ts
 * const { stdout } = await runWithMlflow(["-c", "import mlflow; print(mlflow.__version__)"]);
 * ```
 */
export async function runWithMlflow(
  args: string[],
  o: { release?: MlflowRelease; cwd?: string; env?: Record<string, string>; timeoutMs?: number } =
    {},
): Promise<Ran> {
  const argv = mlflowArgv("python", args, o.release ?? "release");
  // MLflow leaves temporary folders behind (log_model's, for one): give it its own.
  const tmp = await Deno.makeTempDir({ prefix: "mlops-mlflow-tmp-" });
  try {
    const out = await new Deno.Command(argv.cmd, {
      args: argv.args,
      cwd: o.cwd,
      env: { ...argv.env, TMPDIR: tmp, ...o.env },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(o.timeoutMs ?? 180_000),
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** What MLflow's client read (see `mlflow_read.py`). */
// deno-lint-ignore no-explicit-any
export type MlflowView = any;

/**
 * What MLflow's own client reads from `uri` (`file:`, `sqlite:`, `http:`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const view = await readWithMlflow("sqlite:////tmp/x/mlflow.db");
 * assert.deepEqual(view.errors, []);
 * ```
 */
export async function readWithMlflow(
  uri: string,
  o: { release?: MlflowRelease; cwd?: string; env?: Record<string, string> } = {},
): Promise<MlflowView> {
  return (await readAllWithMlflow([uri], o))[0];
}

/**
 * What MLflow's client reads from each of `uris`, in one Python process
 * (importing MLflow takes seconds; reading takes far less).
 *
 * @example
 * ```ts
 * const [db, files] = await readAllWithMlflow(["sqlite:////tmp/a.db", "file:/tmp/mlruns"]);
 * ```
 */
export async function readAllWithMlflow(
  uris: string[],
  o: { release?: MlflowRelease; cwd?: string; env?: Record<string, string> } = {},
): Promise<MlflowView[]> {
  const env = { MLFLOW_ALLOW_FILE_STORE: "true", ...o.env };
  const r = await runWithMlflow([READER, ...uris], { ...o, env });
  if (r.code !== 0) throw new Error(`mlflow_read.py ${uris} failed (${r.code}):\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  return uris.length > 1 ? out : [out];
}

/** A running server; disposing of it stops it and removes its folder. */
export interface RealMlflow extends AsyncDisposable {
  /** Tracking URI, `http://127.0.0.1:<port>`. */
  url: string;
  /** The folder holding its database and artifacts. */
  dir: string;
}

/**
 * Starts `mlflow server` (sqlite backend in a temporary folder unless
 * `backendUri`, `--serve-artifacts`) and resolves once `/health` answers (a
 * cold start takes 10–20 s); rejects with its output after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { openStore } from "../../lib/mlflow/open.ts";
 *
 * await using mlflow = await startRealMlflow();
 * const store = openStore(mlflow.url);
 * ```
 */
export async function startRealMlflow(
  o: { app?: "basic-auth"; backendUri?: string; timeoutMs?: number } | number = {},
): Promise<RealMlflow> {
  const opts = typeof o === "number" ? { timeoutMs: o } : o;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  if (!have("mlflow")) throw new Error("no real MLflow on this machine");
  const dir = await Deno.makeTempDir({ prefix: "mlops-real-mlflow-" });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const argv = mlflowArgv(LAUNCHER, [String(port), dir], "release");
  // Its temporary files go in its folder, which stop() removes.
  await Deno.mkdir(`${dir}/tmp`);
  const child = spawnChild(argv.cmd, {
    args: argv.args,
    env: {
      ...argv.env,
      TMPDIR: `${dir}/tmp`,
      ...(opts.app ? { APP: opts.app } : {}),
      ...(opts.backendUri ? { BACKEND_URI: opts.backendUri } : {}),
    },
    keepChars: 20_000,
    // The launcher ends the server's process group on SIGTERM; a SIGKILL would orphan it.
    killAfterMs: Infinity,
  });
  const stop = async () => {
    await child.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const url = `http://127.0.0.1:${port}`;
  const healthy = () =>
    fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
      .then(async (r) => (await r.text()).includes("OK"))
      .catch(() => false);
  try {
    await child.waitFor(healthy, {
      timeoutMs,
      intervalMs: 250,
      what: `MLflow did not start within ${timeoutMs} ms`,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dir, [Symbol.asyncDispose]: stop };
}
