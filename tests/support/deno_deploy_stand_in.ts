/**
 * A local stand-in for `deno deploy` (the new Deno Deploy's CLI, which needs
 * the internet), for running .github/scripts/deploy.sh for real: it takes the
 * documented flags (`--json --non-interactive --org --app --prod [root]`),
 * refuses what the real one refuses in non-interactive mode (no token: exit 3,
 * no org or app: exit 2, with the `{error: {code, message}}` envelope on
 * stderr), uploads what git does not ignore (as the real one does), nor
 * deno.json's top-level `exclude` (which it may also honour), into a new
 * revision folder, runs `deploy.runtime.entrypoint` from deno.json there on a
 * fixed loopback port, stopping the previous revision (with the app's
 * environment variables from `STAND_IN_APP_ENV`, a JSON object, as the
 * console sets them), and prints the documented `--json` answer with the
 * production domain.
 *
 * `installDenoDeployStandIn` puts a `deno` wrapper on a PATH folder that sends
 * `deno deploy ...` here and everything else to the real deno.
 *
 * @module
 */
import { dirname, join } from "node:path";

const SELF = decodeURIComponent(new URL(import.meta.url).pathname);

/** Where the stand-in keeps revisions and the running app's pid, and its port. */
export interface StandIn extends AsyncDisposable {
  /** Folder to put first on PATH. */
  binDir: string;
  /** Environment the stand-in reads (merge into the script's environment). */
  env: Record<string, string>;
  /** The production URL the stand-in serves on. */
  url: string;
  /** Revisions deployed so far. */
  revisions(): Promise<string[]>;
}

/** Creates the wrapper and the state folder; dispose stops the running app. */
export async function installDenoDeployStandIn(): Promise<StandIn> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-deno-deploy-" });
  const binDir = join(dir, "bin");
  await Deno.mkdir(binDir);
  const realDeno = Deno.execPath();
  await Deno.writeTextFile(
    join(binDir, "deno"),
    `#!/bin/sh
if [ "$1" = deploy ]; then
  shift
  exec "${realDeno}" run --allow-all --no-check "${SELF}" "$@"
fi
exec "${realDeno}" "$@"
`,
    { mode: 0o755 },
  );
  await Deno.chmod(join(binDir, "deno"), 0o755);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const state = join(dir, "state");
  await Deno.mkdir(state);
  return {
    binDir,
    url: `http://127.0.0.1:${port}`,
    env: { STAND_IN_STATE: state, STAND_IN_PORT: String(port) },
    async revisions() {
      const out: string[] = [];
      for await (const e of Deno.readDir(state)) {
        if (e.isDirectory && e.name.startsWith("rev_")) out.push(e.name);
      }
      return out.sort();
    },
    async [Symbol.asyncDispose]() {
      await stopRunning(state);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function stopRunning(state: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(await Deno.readTextFile(join(state, "pid")));
  } catch {
    return;
  }
  const alive = () => {
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  };
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 60 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) Deno.kill(pid, "SIGKILL");
  await Deno.remove(join(state, "pid")).catch(() => {});
}

function fail(code: number, errorCode: string, message: string): never {
  console.error(JSON.stringify({ error: { code: errorCode, message } }));
  Deno.exit(code);
}

async function main(args: string[]): Promise<void> {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  const valued = new Set(["--org", "--app", "--token", "--config", "--ignore", "--endpoint"]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-")) positional.push(a);
    else if (valued.has(a)) flags[a] = args[++i];
    else if (["--json", "--non-interactive", "--prod", "-j", "-y", "--no-wait"].includes(a)) {
      flags[a] = true;
    } else fail(2, "USAGE", `Unknown option "${a}".`);
  }
  const token = flags["--token"] ?? Deno.env.get("DENO_DEPLOY_TOKEN");
  if (!token) {
    fail(3, "AUTH_REQUIRED", "No token: set DENO_DEPLOY_TOKEN or pass --token.");
  }
  const org = flags["--org"] ?? Deno.env.get("DENO_DEPLOY_ORG");
  const app = flags["--app"] ?? Deno.env.get("DENO_DEPLOY_APP");
  if (!org) fail(2, "MISSING_FLAG", "Use --org to specify the organization.");
  if (!app) fail(2, "MISSING_FLAG", "Use --app to specify the application.");
  const root = await Deno.realPath(positional[0] ?? ".");
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const entrypoint = config.deploy?.runtime?.entrypoint;
  if (typeof entrypoint !== "string") {
    fail(1, "BUILD_FAILED", "deno.json has no deploy.runtime.entrypoint");
  }

  const state = Deno.env.get("STAND_IN_STATE")!;
  const port = Deno.env.get("STAND_IN_PORT")!;
  const revisions = [...Deno.readDirSync(state)]
    .filter((e) => e.isDirectory && e.name.startsWith("rev_")).length;
  const rev = `rev_${revisions + 1}`;
  const revDir = join(state, rev);

  // What the real CLI uploads: every file git does not ignore.
  const ls = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "-z"],
    cwd: root,
    stdout: "piped",
  }).output();
  if (!ls.success) fail(1, "GENERIC", "not a git checkout");
  // Files and folders ("dir/"), which is all deno.json lists; not globs.
  const excluded = ((config.exclude ?? []) as string[]).map((e) => e.replace(/^\.\//, ""));
  const skip = (rel: string) =>
    excluded.some((e) => e.endsWith("/") ? rel.startsWith(e) : rel === e);
  for (const rel of new TextDecoder().decode(ls.stdout).split("\0").filter(Boolean)) {
    if (skip(rel)) continue;
    const from = join(root, rel), to = join(revDir, rel);
    await Deno.mkdir(dirname(to), { recursive: true });
    const info = await Deno.lstat(from);
    if (info.isSymlink) await Deno.symlink(await Deno.readLink(from), to);
    else await Deno.copyFile(from, to);
  }

  await stopRunning(state);
  const log = join(state, `${rev}.log`);
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `exec "$0" run --allow-all --no-check "$1" >>"$2" 2>&1`,
      Deno.execPath(),
      entrypoint,
      log,
    ],
    cwd: revDir,
    // The app's environment variables, set in the Deno Deploy console for the real one.
    env: {
      ...JSON.parse(Deno.env.get("STAND_IN_APP_ENV") ?? "{}"),
      PORT: port,
      HOST: "127.0.0.1",
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  await Deno.writeTextFile(join(state, "pid"), String(child.pid));
  // Like the real CLI, answer once the revision is up (listening), not necessarily ready.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: Number(port) })).close();
      break;
    } catch {
      if (Date.now() > deadline) fail(1, "DEPLOY_FAILED", `revision ${rev} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log(JSON.stringify({
    org,
    app,
    revisionId: rev,
    url: `https://console.deno.com/${org}/${app}/builds/${rev}`,
    status: "ready",
    timelines: [{ partition: "production", domains: [`http://127.0.0.1:${port}`] }],
  }));
}

if (import.meta.main) await main(Deno.args);
