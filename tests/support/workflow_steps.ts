/**
 * Runs a workflow's (or composite action's) own `run:` step the way GitHub
 * does — `bash --noprofile --norc -eo pipefail` — with its `env:` filled in
 * by the test. `fill` insists the test gives a value for exactly the
 * variables the step declares, so a step that gains or loses one fails here
 * until the test follows. Steps carry no `${{ }}` inside `run:`
 * (tests/workflows_test.ts), so the script runs as written.
 *
 * @module
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** One step, as written. */
export interface Step {
  run: string;
  env: Record<string, unknown>;
  uses?: string;
  with: Record<string, unknown>;
  /** The step's env with the test's values (exactly its keys), plus `extra`. */
  fill(values: Record<string, string>, extra?: Record<string, string>): Record<string, string>;
}

function toStep(where: string, raw: Record<string, unknown>): Step {
  const env = (raw.env ?? {}) as Record<string, unknown>;
  return {
    run: typeof raw.run === "string" ? raw.run : "",
    env,
    uses: raw.uses as string | undefined,
    with: (raw.with ?? {}) as Record<string, unknown>,
    fill(values, extra = {}) {
      assert.deepEqual(
        Object.keys(values).sort(),
        Object.keys(env).sort(),
        `${where}: the test must fill exactly the step's env`,
      );
      return { ...values, ...extra };
    },
  };
}

/** The step of `job` in `file` whose id or name is `step`. */
export async function workflowStep(file: string, job: string, step: string): Promise<Step> {
  const doc = parse(await Deno.readTextFile(join(ROOT, file))) as {
    jobs: Record<string, { steps?: Record<string, unknown>[] }>;
  };
  const found = doc.jobs[job]?.steps?.find((s) => s.id === step || s.name === step);
  assert.ok(found, `${file}: no step ${step} in job ${job}`);
  return toStep(`${file} ${job}/${step}`, found);
}

/** The step named `step` of the composite action in `dir`. */
export async function actionStep(dir: string, step: string): Promise<Step> {
  const doc = parse(await Deno.readTextFile(join(ROOT, dir, "action.yml"))) as {
    runs: { steps: Record<string, unknown>[] };
  };
  const found = doc.runs.steps.find((s) => s.id === step || s.name === step);
  assert.ok(found, `${dir}: no step ${step}`);
  return toStep(`${dir}/${step}`, found);
}

/** Exit code and output of a step. */
export interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` with bash as GitHub does, in `cwd`, with this process'
 * environment plus `env`; killed after `timeoutMs`.
 */
export async function runStep(
  script: string,
  o: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<StepResult> {
  const child = new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", script],
    cwd: o.cwd,
    env: { NO_COLOR: "1", CI: "true", ...o.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 240_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The `name=value` lines a step wrote to `$GITHUB_OUTPUT`. */
export async function readOutputs(file: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await Deno.readTextFile(file)).split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
