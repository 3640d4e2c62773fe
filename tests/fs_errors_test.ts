/**
 * Filesystem failures are one line naming the path and the problem, never a
 * stack trace: `--out` where a file or folder is in the way (checked before
 * any work is done), a full disk (ENOSPC) and a read-only store (EROFS,
 * EACCES). The full disk and the read-only file system are real: `/dev/full`
 * answers every write with ENOSPC, and where the machine allows mount
 * namespaces (root, as in CI) small tmpfs mounts fill up or are mounted
 * read-only for one command.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { describeFsError } from "../lib/fs_error.ts";
import { partsRequired } from "./support/parts.ts";
import { type CliResult as Result, MLOPS_ARGV, mlopsProcess, runCommand } from "./support/cli.ts";
import { moduleTempDir } from "./support/temp.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const tmp = await moduleTempDir("mlops-fs-errors-");

const mlops = mlopsProcess;

/** Exit ≠ 0 and exactly one line on stderr matching `pattern`, no stack trace. */
function oneLine(r: Result, pattern: RegExp, what: string): void {
  assert.notEqual(r.code, 0, `${what}: exit 0`);
  assert.match(r.stderr, pattern, `${what}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Uncaught|\^/, `${what}: stack trace: ${r.stderr}`);
  assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: not one line: ${r.stderr}`);
}

const csv = join(tmp, "small.csv");
await Deno.writeTextFile(
  csv,
  ["x,y,label", ...Array.from({ length: 80 }, (_, i) => `${i % 10},${i % 7},${i % 10 < 5}`)]
    .join("\n") + "\n",
);
const train = ["train", "--data", csv, "--target", "label", "--trees", "3"];

/** An error as Deno throws it for OS codes without a class of their own. */
const osError = (message: string, code: string) => Object.assign(new Error(message), { code });

Deno.test("describeFsError: path and problem from Deno's errors, null for anything else", () => {
  const cases: [Error, string][] = [
    [
      new Deno.errors.PermissionDenied("Permission denied (os error 13): mkdir '/s/x'"),
      "/s/x: permission denied",
    ],
    [
      osError("No space left on device (os error 28): writefile '/o/m.json'", "ENOSPC"),
      "/o/m.json: no space left on device (the disk is full)",
    ],
    [
      osError("Read-only file system (os error 30): mkdir '/ro/.trash'", "EROFS"),
      "/ro/.trash: read-only file system",
    ],
    [
      new Deno.errors.NotADirectory("Not a directory (os error 20): mkdir '/f/model'"),
      "/f/model: not a directory (a file is where a folder should be)",
    ],
    [
      new Deno.errors.IsADirectory("Is a directory (os error 21): writefile '/tmp'"),
      "/tmp: is a directory (a folder is where a file should be)",
    ],
    [
      osError("Disk quota exceeded (os error 122): rename '/a' -> '/b'", "EDQUOT"),
      "/a -> /b: disk quota exceeded",
    ],
    [
      osError("Operation not permitted (os error 1): open '/i'", "EPERM"),
      "/i: operation not permitted",
    ],
    [new Deno.errors.PermissionDenied("Permission denied (os error 13)"), "permission denied"],
  ];
  for (const [e, line] of cases) assert.equal(describeFsError(e), line, e.message);
  assert.equal(describeFsError(new TypeError("x is undefined")), null);
  assert.equal(describeFsError(Object.assign(new Error("boom"), { code: "ERR_X" })), null);
  assert.equal(describeFsError("ENOSPC"), null);
  // Deno's own permission system (not the OS) also throws PermissionDenied.
  assert.match(
    describeFsError(
      new Deno.errors.NotCapable('Requires write access to "/x", run again with --allow-write'),
    ) ?? "",
    /Requires write access to "\/x"/,
  );
});

Deno.test("--out in the way: train, predict and promote refuse before doing any work", async () => {
  const file = join(tmp, "a-file");
  await Deno.writeTextFile(file, "keep me\n");
  oneLine(
    await mlops(...train, "--no-track", "--out", file),
    /^mlops: --out .*a-file: is a file; train writes a folder there/,
    "train --out file",
  );
  oneLine(
    await mlops(...train, "--no-track", "--out", join(file, "sub")),
    /^mlops: --out .*a-file\/sub: .*a-file is a file, not a folder/,
    "train --out file/sub",
  );
  assert.equal(await Deno.readTextFile(file), "keep me\n");

  const store = join(tmp, "store");
  const ok = await mlops(...train, "--out", join(tmp, "o"), "--tracking-uri", store, "--json");
  assert.equal(ok.code, 0, ok.stderr);
  const model = JSON.parse(ok.stdout).model_path;
  for (
    const [out, pattern] of [
      [tmp, /^mlops: --out .*: is a folder; give a file name, e.g\. .*predictions\.csv/],
      [join(file, "p.csv"), /^mlops: --out .*a-file\/p\.csv: .*a-file is a file, not a folder/],
    ] as const
  ) {
    oneLine(await mlops("predict", "--model", model, "--data", csv, "--out", out), pattern, out);
  }
  // An existing file is overwritten, and a missing folder is made.
  const pred = join(tmp, "new", "dir", "p.csv");
  for (let i = 0; i < 2; i++) {
    const p = await mlops("predict", "--model", model, "--data", csv, "--out", pred);
    assert.equal(p.code, 0, p.stderr);
  }
  assert.equal((await Deno.readTextFile(pred)).trim().split("\n").length, 81);

  // Promote checks --out before registering: the registry is unchanged.
  const versions = () => {
    try {
      return [...Deno.readDirSync(join(store, "models", "small"))].length;
    } catch {
      return 0;
    }
  };
  const before = versions();
  oneLine(
    await mlops("promote", "--experiment", "small", "--out", file, "--tracking-uri", store),
    /^mlops: --out .*a-file: is a file; promote writes a folder there/,
    "promote --out file",
  );
  assert.equal(versions(), before);
});

Deno.test({
  name: "a full disk (/dev/full, ENOSPC) is one line naming the file",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const model = join(tmp, "full-model");
    const ok = await mlops(...train, "--no-track", "--out", model);
    assert.equal(ok.code, 0, ok.stderr);
    oneLine(
      await mlops("predict", "--model", join(model, "model"), "--data", csv, "--out", "/dev/full"),
      /^mlops: \/dev\/full: no space left on device/,
      "predict --out /dev/full",
    );
    // A plot that lands on a full device, after training.
    const out = join(tmp, "full-out");
    await Deno.mkdir(join(out, "plots"), { recursive: true });
    await Deno.symlink("/dev/full", join(out, "plots", "confusion_matrix.svg"));
    oneLine(
      await mlops(...train, "--no-track", "--out", out),
      /^mlops: .*confusion_matrix\.svg: no space left on device/,
      "train with a full plot file",
    );
  },
});

// ---- real mounts, one mount namespace per command ---------------------------------

/** Runs `mlops args` between `setup` and `after` (shell) in a private mount namespace. */
function inNamespace(setup: string, args: string[], after = "true"): Promise<Result> {
  return runCommand("unshare", [
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    `${setup} || exit 99; "$@"; rc=$?; ${after}; exit $rc`,
    "sh",
    ...MLOPS_ARGV,
    ...args,
  ]);
}

function canMount(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    const dir = Deno.makeTempDirSync({ prefix: "mlops-mount-probe-" });
    try {
      return new Deno.Command("unshare", {
        args: ["--mount", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", dir],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } finally {
      Deno.removeSync(dir);
    }
  } catch {
    return false;
  }
}

const mountable = canMount();
const NAMESPACE_TEST = "a read-only store and a full disk, on real mounts: one line each";
if (!mountable && !partsRequired()) {
  console.warn(
    `SKIPPED "${NAMESPACE_TEST}": needs mount namespaces (run as root with util-linux's unshare)`,
  );
}

Deno.test({
  name: NAMESPACE_TEST,
  ignore: !mountable && !partsRequired(),
  async fn() {
    assert.ok(mountable, "needs mount namespaces (root and unshare), and MLOPS_REQUIRE_PARTS=1");
    const base = join(tmp, "mounts");
    const store = join(base, "store");
    const ok = await mlops(...train, "--out", join(base, "o"), "--tracking-uri", store);
    assert.equal(ok.code, 0, ok.stderr);
    const ro = `mount --bind ${store} ${store} && mount -o remount,bind,ro ${store}`;

    // Reading a read-only store works; writing to it is one line.
    const list = await inNamespace(ro, ["runs", "list", "--tracking-uri", store]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /Experiment small/);
    oneLine(
      await inNamespace(ro, [...train, "--out", join(base, "o2"), "--tracking-uri", store]),
      /^mlops: .*store.*: read-only file system/,
      "train into a read-only store",
    );
    oneLine(
      await inNamespace(ro, [
        "promote",
        "--experiment",
        "small",
        "--out",
        join(base, "edge"),
        "--tracking-uri",
        store,
      ]),
      /^mlops: .*store.*: read-only file system/,
      "promote in a read-only store",
    );
    // --out on a read-only file system is refused before training.
    const roDir = join(base, "ro");
    await Deno.mkdir(roDir);
    oneLine(
      await inNamespace(`mount -t tmpfs -o ro tmpfs ${roDir}`, [
        ...train,
        "--no-track",
        "--out",
        join(roDir, "out"),
      ]),
      /^mlops: --out .*ro\/out: read-only file system/,
      "train --out on a read-only file system",
    );

    // A 64 KiB file system fills up with the bundle, or with the store's files.
    const full = join(base, "full");
    await Deno.mkdir(full);
    const small = `mount -t tmpfs -o size=64k tmpfs ${full}`;
    const big = ["--data", join(ROOT, "data/telco-customer-churn.csv"), "--trees", "20"];
    // What is left on the full disk: no half-written bundle.
    const listing = join(base, "listing.txt");
    oneLine(
      await inNamespace(
        small,
        ["train", ...big, "--no-track", "--out", join(full, "out")],
        `ls -A ${join(full, "out", "model")} > ${listing}`,
      ),
      /^mlops: .*full\/out\/.*: no space left on device/,
      "train --out on a full disk",
    );
    assert.equal((await Deno.readTextFile(listing)).trim(), "");
    oneLine(
      await inNamespace(small, [
        "train",
        ...big,
        "--out",
        join(base, "o3"),
        "--tracking-uri",
        join(full, "store"),
      ]),
      /^mlops: .*full\/store.*: no space left on device/,
      "train into a store on a full disk",
    );
  },
});
