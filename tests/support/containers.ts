/**
 * Podman for the container tests: every call runs with this repository's
 * `.ci/containers.conf` (runc, no default ulimits) and a time bound, and the
 * Deno base image the Dockerfile names is assembled locally when it is not
 * already there, since no image registry can be reached.
 *
 * The stand-in copies the official image's layout (denoland/deno_docker's
 * debian.dockerfile): deno at `/usr/bin/deno`, tini at `/tini`, the `deno`
 * user and group (1993), `DENO_DIR=/deno-dir/` owned by it, the
 * `docker-entrypoint.sh` that runs deno subcommands, and `/bin/sh`. It is
 * built from this machine's own deno (which must be the pinned version), the
 * shared libraries `ldd` lists for it and for `/bin/sh`, and Debian's static
 * tini; it is labelled as a stand-in and tagged with the official name, so
 * `--pull=never` builds of the real Dockerfile use it. Where the official
 * image is present (pulled on a machine that can), it is used as is.
 *
 * @module
 */
import { dirname, join } from "node:path";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** The settings every podman call here uses (see the file for why). */
export const CONTAINERS_CONF = join(ROOT, ".ci/containers.conf");

/** Environment for podman and for programs that run it (`mlops image build`). */
export function podmanEnv(): Record<string, string> {
  return { CONTAINERS_CONF, NO_COLOR: "1" };
}

/** Output of one podman call. */
export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `podman args`, killed after `timeoutMs`. Throws with podman's stderr
 * when it fails, unless `check` is false.
 *
 * @example
 * ```ts
 * const { stdout } = await podman(["images", "--format", "{{.Repository}}"]);
 * ```
 */
export async function podman(
  args: string[],
  { timeoutMs = 120_000, check = true }: { timeoutMs?: number; check?: boolean } = {},
): Promise<PodmanResult> {
  const child = new Deno.Command("podman", {
    args,
    env: podmanEnv(),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  const r = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (check && r.code !== 0) {
    throw new Error(`podman ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  }
  return r;
}

/** The Deno version the Dockerfile pins (`ARG DENO_VERSION=...`). */
export async function pinnedDenoVersion(): Promise<string> {
  const text = await Deno.readTextFile(join(ROOT, "Dockerfile"));
  const m = /^ARG DENO_VERSION=(\S+)$/m.exec(text);
  if (!m) throw new Error("Dockerfile: no ARG DENO_VERSION=");
  return m[1];
}

/** The base image the Dockerfile builds on, for the pinned version. */
export async function baseImageName(): Promise<string> {
  return `docker.io/denoland/deno:${await pinnedDenoVersion()}`;
}

const STAND_IN_LABEL = "org.mlops.stand-in";

// The official image's entry script (denoland/deno_docker `_entry.sh`): deno
// subcommands run under deno, anything else runs as is.
const ENTRY_SCRIPT = `#!/bin/sh
set -e
if [ "$1" != "\${1#-}" ]; then
  exec deno "$@"
fi
case "$1" in
  bench | bundle | cache | check | compile | completions | coverage | doc | eval | fmt | help | info | init | install | jupyter | lint | lsp | publish | repl | run | task | test | types | uninstall | upgrade )
    exec deno "$@";;
esac
exec "$@"
`;

/**
 * Makes sure the base image exists: the official one when present, else a
 * stand-in assembled from this machine (see the module doc). Returns its name.
 */
export async function ensureDenoBaseImage(): Promise<string> {
  const name = await baseImageName();
  const exists = await podman(["image", "exists", name], { check: false });
  if (exists.code === 0) return name;
  const version = await pinnedDenoVersion();
  if (Deno.version.deno !== version) {
    throw new Error(
      `the Dockerfile pins Deno ${version} but this deno is ${Deno.version.deno}: ` +
        `a stand-in for ${name} needs the same binary`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "mlops-deno-base-" });
  try {
    const rootfs = join(dir, "rootfs");
    const deno = await Deno.realPath(Deno.execPath());
    const sh = await Deno.realPath("/bin/sh");
    await copyInto(rootfs, deno, "/usr/bin/deno");
    await copyInto(rootfs, sh, "/bin/sh");
    await copyInto(rootfs, "/usr/bin/tini-static", "/tini");
    for (const lib of await sharedLibraries([deno, sh])) await copyInto(rootfs, lib, lib);
    await Deno.mkdir(join(rootfs, "usr/local/bin"), { recursive: true });
    await Deno.writeTextFile(join(rootfs, "usr/local/bin/docker-entrypoint.sh"), ENTRY_SCRIPT, {
      mode: 0o755,
    });
    await Deno.chmod(join(rootfs, "usr/local/bin/docker-entrypoint.sh"), 0o755);
    await Deno.mkdir(join(rootfs, "etc"), { recursive: true });
    await Deno.writeTextFile(
      join(rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\ndeno:x:1993:1993::/home/deno:/bin/sh\n",
    );
    await Deno.writeTextFile(join(rootfs, "etc/group"), "root:x:0:\ndeno:x:1993:\n");
    for (const d of ["root", "home/deno", "deno-dir", "tmp"]) {
      await Deno.mkdir(join(rootfs, d), { recursive: true });
    }
    await Deno.chmod(join(rootfs, "tmp"), 0o1777);
    await Deno.chown(join(rootfs, "deno-dir"), 1993, 1993);
    await Deno.chown(join(rootfs, "home/deno"), 1993, 1993);
    // A tarball keeps ownership (a COPY would make /deno-dir root's).
    const tar = join(dir, "rootfs.tar");
    const t = await new Deno.Command("tar", {
      args: ["--numeric-owner", "-C", rootfs, "-cf", tar, "."],
      stderr: "piped",
    }).output();
    if (!t.success) throw new Error(`tar: ${new TextDecoder().decode(t.stderr)}`);
    await podman([
      "import",
      "--change",
      "ENV DENO_DIR=/deno-dir/",
      "--change",
      "ENV DENO_INSTALL_ROOT=/usr/local",
      "--change",
      `ENV DENO_VERSION=${version}`,
      "--change",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--change",
      `LABEL ${STAND_IN_LABEL}="local stand-in for ${name}, assembled by tests/support/containers.ts"`,
      "--change",
      'ENTRYPOINT ["/tini", "--", "docker-entrypoint.sh"]',
      "--change",
      `CMD ["eval", "console.log('Welcome to Deno!')"]`,
      tar,
      name,
    ]);
    return name;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Absolute paths of the shared libraries (and loader) that `binaries` load. */
async function sharedLibraries(binaries: string[]): Promise<string[]> {
  const out = await new Deno.Command("ldd", { args: binaries, stdout: "piped" }).output();
  const libs = new Set<string>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]);
  }
  if (libs.size === 0) throw new Error(`ldd found no libraries for ${binaries.join(", ")}`);
  return [...libs];
}

async function copyInto(rootfs: string, from: string, to: string): Promise<void> {
  const target = join(rootfs, to);
  await Deno.mkdir(dirname(target), { recursive: true });
  await Deno.copyFile(await Deno.realPath(from), target);
  await Deno.chmod(target, (await Deno.stat(from)).mode! & 0o7777);
}

/** A running container, removed (forcibly) on dispose. */
export interface RunningContainer extends AsyncDisposable {
  id: string;
  /** `http://127.0.0.1:<port>` for a published container port. */
  url(port: number): Promise<string>;
  logs(): Promise<string>;
}

/**
 * `podman run -d` with `args` (options, image, command), published ports on
 * loopback only.
 *
 * @example
 * ```ts
 * const image = "localhost/mlops-edge:test";
 * await using c = await runContainer(["-p", "127.0.0.1::8000", image]);
 * await fetch(`${await c.url(8000)}/readyz`);
 * ```
 */
export async function runContainer(args: string[]): Promise<RunningContainer> {
  const { stdout } = await podman(["run", "-d", ...args], { timeoutMs: 60_000 });
  const id = stdout.trim().split("\n").at(-1)!;
  return {
    id,
    async url(port: number) {
      const r = await podman(["port", id, `${port}/tcp`]);
      const hostPort = r.stdout.trim().split("\n")[0];
      if (!/^127\.0\.0\.1:\d+$/.test(hostPort)) {
        throw new Error(`unexpected port mapping ${hostPort}`);
      }
      return `http://${hostPort}`;
    },
    async logs() {
      const r = await podman(["logs", id], { check: false });
      return r.stdout + r.stderr;
    },
    async [Symbol.asyncDispose]() {
      await podman(["rm", "-f", "-t", "2", id], { check: false, timeoutMs: 30_000 });
    },
  };
}
