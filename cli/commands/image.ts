/**
 * `mlops image build`: a container image from this checkout's `Dockerfile`,
 * with a model baked in — what `mlflow models build-docker` is for MLflow
 * users. The model (a registry URI, a bundle or a model folder) is staged
 * inside the build context (Dockerfile `COPY` reads nothing else) and passed
 * as `MODEL_DIR`; Docker or Podman does the rest. The staged folder is removed
 * when the build ends, fails or is interrupted (SIGINT/SIGTERM, which also
 * stop the engine's build); one left by a process killed outright is removed
 * by the next build.
 *
 * @module
 */
import type { Command } from "commander";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../lib/errors.ts";
import { bundlePath, writeBundle } from "../../lib/model/mod.ts";
import { VERSION } from "../../lib/version.ts";
import { loadModel } from "../model_uri.ts";
import { print, printError } from "../output.ts";
import { withJson, withTrackingUri } from "../options.ts";

/** The checkout holding the Dockerfile: the build context. */
const CONTEXT = fileURLToPath(new URL("../../", import.meta.url));

/** The Dockerfile's targets. */
export const TARGETS = ["edge", "cli", "bot"] as const;
/** One of {@link TARGETS}. */
export type Target = typeof TARGETS[number];

/** Container engines the command drives; both take the same `build` flags used here. */
export const ENGINES = ["docker", "podman"] as const;
/** One of {@link ENGINES}. */
export type Engine = typeof ENGINES[number];

interface ImageBuildFlags {
  target: string;
  model?: string;
  tag?: string;
  engine?: string;
  trackingUri?: string;
  dryRun: boolean;
  json: boolean;
}

const HELP = `
The edge image serves one model. --model picks it: models:/<name>@<alias>,
models:/<name>/<version>, a bundle file or a model folder (as for predict).
Without --model the image bakes what edge/model/ holds (where \`mlops promote\`
exports the champion), or nothing: then mount a model at /app/edge/model or
set MODEL_URL when the container starts.

Arguments after -- go to the engine's build command as they are.
DENO_CERT, when set, is passed as the build secret deno_cert: the CA bundle
that lets a build behind a TLS-inspecting proxy reach the npm registry.

Examples:
  mlops image build --model models:/telco-customer-churn@champion
  mlops image build --target cli --tag ghcr.io/me/mlops:dev
  mlops image build --engine podman -- --pull=never --platform linux/arm64`;

/** Registers `image build`. */
export function register(program: Command): void {
  const image = program.command("image").description("build container images");
  withJson(
    withTrackingUri(
      image
        .command("build")
        .description("build the edge (with a model), cli or bot image from the Dockerfile")
        .option("--target <t>", `image to build: ${TARGETS.join(", ")}`, "edge")
        .option(
          "--model <ref>",
          "model to bake into the edge image (default: what edge/model/ holds)",
        )
        .option(
          "--tag <name>",
          "image name (default: mlops-edge:<model>-v<version>, mlops:<version>)",
        )
        .option(
          "--engine <e>",
          `${ENGINES.join(" or ")} (default: $MLOPS_CONTAINER_ENGINE, else the one on PATH)`,
        ),
    ).option("--dry-run", "print the build command; build nothing", false),
    "print one JSON object to stdout",
  )
    .argument("[engine-args...]", "passed to the engine's build command (after --)")
    .addHelpText("after", HELP)
    .action(async (engineArgs: string[], flags: ImageBuildFlags) => {
      const target = checkTarget(flags.target);
      if (flags.model && target !== "edge") {
        throw new UserError(`--model only applies to --target edge, not ${target}`);
      }
      const engine = await pickEngine(flags.engine, flags.dryRun);
      const staged = flags.model && !flags.dryRun ? await stageModel(flags) : null;
      const stopOnSignal = staged ? onSignal(() => removeStagedSync(staged.dir)) : null;
      try {
        const model = staged?.model ?? null;
        const tag = flags.tag ?? defaultTag(target, model);
        checkTag(tag);
        const command = buildCommand({
          engine,
          target,
          tag,
          modelDir: staged ? relative(CONTEXT, staged.dir) : flags.model ? "<staged model>" : null,
          denoCert: Deno.env.get("DENO_CERT") || null,
          extra: engineArgs,
        });
        if (!flags.model && target === "edge" && !flags.dryRun) await warnIfNoBundle();
        if (flags.dryRun) {
          if (flags.json) {
            print(JSON.stringify({ dry_run: true, engine, target, image: tag, command }));
          } else print(command.map(shellWord).join(" "));
          return;
        }
        await runBuild(command);
        const size = await imageSize(engine, tag);
        if (flags.json) {
          print(JSON.stringify({ image: tag, engine, target, model, size_bytes: size, command }));
        } else {
          print(
            `built     ${tag} (${target}${
              model ? `, ${model.name} ${model.version ?? ""}`.trimEnd() : ""
            })`,
          );
          if (size !== null) print(`size      ${(size / 1e6).toFixed(1)} MB`);
          print(`run       ${runHint(engine, target, tag)}`);
        }
      } finally {
        stopOnSignal?.();
        if (staged) removeStagedSync(staged.dir);
      }
    });
}

function checkTarget(raw: string): Target {
  if ((TARGETS as readonly string[]).includes(raw)) return raw as Target;
  throw new UserError(`--target ${raw}: expected one of ${TARGETS.join(", ")}`);
}

/**
 * The engine: `--engine`, else `$MLOPS_CONTAINER_ENGINE`, else docker when
 * its daemon answers, else podman when it is installed.
 */
async function pickEngine(flag: string | undefined, dryRun: boolean): Promise<Engine> {
  const wanted = flag ?? (Deno.env.get("MLOPS_CONTAINER_ENGINE") || undefined);
  if (wanted !== undefined) {
    if (!(ENGINES as readonly string[]).includes(wanted)) {
      throw new UserError(`--engine ${wanted}: expected ${ENGINES.join(" or ")}`);
    }
    return wanted as Engine;
  }
  // A docker client without a daemon is common (podman's docker shim, a stopped Docker
  // Desktop): ask the server, not the client.
  if (await answers("docker", ["version", "--format", "{{.Server.Version}}"])) return "docker";
  if (await answers("podman", ["--version"])) return "podman";
  if (dryRun) return "docker";
  throw new UserError(
    "neither docker nor podman was found on PATH (install one, or pass --engine)",
  );
}

async function answers(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Where models are staged: inside the build context, which `.dockerignore` lets through. */
const STAGING = join(CONTEXT, "out", "image");

/**
 * The model, written into a fresh folder inside the build context. The folder
 * `model-*` has a lock file `model-*.lock` beside it that this process holds
 * (flock) until it exits, however it exits: a later build takes a folder whose
 * lock nobody holds for one left by a process killed outright (SIGKILL, power
 * loss) and removes it.
 */
async function stageModel(
  flags: ImageBuildFlags,
): Promise<{ dir: string; model: { name: string; version: string | null } }> {
  const bundle = await loadModel(flags.model!, flags.trackingUri);
  await Deno.mkdir(STAGING, { recursive: true });
  await removeOrphans();
  // Lock first, folder second: a sweeper never sees this folder unlocked.
  const lockPath = await Deno.makeTempFile({ dir: STAGING, prefix: "model-", suffix: ".lock" });
  const lock = await Deno.open(lockPath, { write: true });
  await lock.lock(true);
  const dir = lockPath.slice(0, -".lock".length);
  await Deno.mkdir(dir);
  await writeBundle(dir, bundle);
  return { dir, model: { name: bundle.name, version: bundle.version ?? null } };
}

/** Removes staged folders (and lock files) whose lock no running build holds. */
async function removeOrphans(): Promise<void> {
  for await (const e of Deno.readDir(STAGING)) {
    if (!e.name.startsWith("model-")) continue;
    const base = join(STAGING, e.name.replace(/\.lock$/, ""));
    let lock: Deno.FsFile | null = null;
    try {
      lock = await Deno.open(`${base}.lock`, { write: true });
      if (!await lock.tryLock(true)) continue; // a build is using it
    } catch {
      // no lock file: left by a build killed before it made one, or by an older mlops
    }
    await Deno.remove(base, { recursive: true }).catch(() => {});
    await Deno.remove(`${base}.lock`).catch(() => {});
    lock?.close();
  }
}

/** Removes a staged folder and its lock file (the lock itself goes when the process exits). */
function removeStagedSync(dir: string): void {
  for (const path of [dir, `${dir}.lock`]) {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch {
      // already gone
    }
  }
}

/** The build's child process, stopped with the signal that stops this one. */
let building: Deno.ChildProcess | null = null;

/**
 * On SIGINT or SIGTERM: stop the engine's build (so it removes its working
 * containers), run `cleanup`, exit 130 / 143. Returns the undo.
 */
function onSignal(cleanup: () => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((signal) => {
    const handler = () => {
      try {
        building?.kill(signal);
      } catch {
        // already gone
      }
      cleanup();
      Deno.exit(signal === "SIGINT" ? 130 : 143);
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}

async function warnIfNoBundle(): Promise<void> {
  try {
    await bundlePath(join(CONTEXT, "edge", "model"));
  } catch {
    printError(
      "note: edge/model/ holds no model.mlops.json; the image serves nothing until a model is " +
        "mounted at /app/edge/model or MODEL_URL is set (or pass --model)",
    );
  }
}

/**
 * The default image name: `mlops-edge:<model>-v<version>` for an edge with
 * a model, else `mlops-<target>:<mlops version>` (`mlops:<version>` for the CLI).
 *
 * @example
 * ```ts
 * import { defaultTag } from "./image.ts";
 *
 * defaultTag("edge", { name: "Telco Churn", version: "3" }); // "mlops-edge:telco-churn-v3"
 * ```
 */
export function defaultTag(
  target: Target,
  model: { name: string; version: string | null } | null,
): string {
  const repo = target === "cli" ? "mlops" : `mlops-${target}`;
  if (target === "edge" && model) {
    const name = model.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[.-]+/, "");
    const tag = `${name || "model"}-${model.version ? `v${model.version}` : "local"}`;
    return `${repo}:${tag.slice(0, 128)}`;
  }
  return `${repo}:${VERSION}`;
}

// [registry[:port]/]path[:tag]: lowercase path components, a tag of at most 128 characters.
const IMAGE_NAME =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

function checkTag(tag: string): void {
  if (!IMAGE_NAME.test(tag)) {
    throw new UserError(
      `--tag ${tag}: not an image name ([registry/]name[:tag], lowercase name, tag of letters, digits, . _ -)`,
    );
  }
}

/**
 * The engine's build command for one target.
 *
 * @example
 * ```ts
 * import { buildCommand } from "./image.ts";
 *
 * buildCommand({ engine: "podman", target: "cli", tag: "mlops:dev", modelDir: null, denoCert: null, extra: [] });
 * // ["podman", "build", "--target", "cli", "--tag", "mlops:dev", "--format", "docker", "<checkout>"]
 * ```
 */
export function buildCommand(o: {
  engine: Engine;
  target: Target;
  tag: string;
  /** Model folder relative to the build context, or null for the Dockerfile's default. */
  modelDir: string | null;
  /** CA bundle to hand in as the `deno_cert` build secret. */
  denoCert: string | null;
  extra: readonly string[];
}): string[] {
  const cmd: string[] = [o.engine, "build", "--target", o.target, "--tag", o.tag];
  // Podman writes OCI images by default, which have no HEALTHCHECK.
  if (o.engine === "podman") cmd.push("--format", "docker");
  if (o.modelDir !== null) cmd.push("--build-arg", `MODEL_DIR=${o.modelDir}`);
  if (o.denoCert) cmd.push("--secret", `id=deno_cert,src=${o.denoCert}`);
  cmd.push(...o.extra, CONTEXT);
  return cmd;
}

/** Runs the build, its output shown line by line (redacted, escaped) on stderr. */
async function runBuild(command: string[]): Promise<void> {
  const [cmd, ...args] = command;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, { args, cwd: CONTEXT, stdout: "piped", stderr: "piped" }).spawn();
    building = child;
  } catch (e) {
    throw new UserError(`cannot run ${cmd}: ${e instanceof Error ? e.message : e}`);
  }
  const tail: string[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split(/\r?\n/);
      rest = lines.pop() ?? "";
      for (const line of lines) show(line);
    }
    if (rest) show(rest);
  };
  const show = (line: string) => {
    printError(line);
    tail.push(line);
    if (tail.length > 5) tail.shift();
  };
  await Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = await child.status;
  building = null;
  if (!status.success) {
    throw new UserError(
      `${cmd} build failed (exit ${status.code}): ${tail.filter((l) => l.trim()).at(-1) ?? ""}`,
      { exitCode: 1, code: "IMAGE_BUILD_FAILED" },
    );
  }
}

async function imageSize(engine: Engine, tag: string): Promise<number | null> {
  try {
    const out = await new Deno.Command(engine, {
      args: ["image", "inspect", "--format", "{{.Size}}", tag],
      stdout: "piped",
      stderr: "null",
    }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return out.success && Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function runHint(engine: Engine, target: Target, tag: string): string {
  if (target === "edge") return `${engine} run --rm -p 8000:8000 ${tag}`;
  if (target === "bot") {
    return `${engine} run --rm -e TELEGRAM_BOT_TOKEN -e ALERT_WEBHOOK_TOKEN ${tag}`;
  }
  return `${engine} run --rm -v "$PWD:/work" ${tag} train --json`;
}

function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
}
