/**
 * Every `mlops` command, flag and `deno task` that the GitHub workflows and
 * composite actions run must exist, so a renamed flag fails here instead of
 * in a sweep that can then never promote.
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
import { buildProgram } from "../cli/main.ts";

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

Deno.test("every mlops command, flag and deno task in .github/ exists", async () => {
  const files = await yamlFiles();
  assert.ok(files.some((f) => f.includes("workflows/")), "no workflows found");
  const problems: string[] = [];
  let mlopsCalls = 0, taskCalls = 0;
  for (const file of files) {
    const doc = parse(await Deno.readTextFile(join(ROOT, file))) as Record<string, unknown>;
    const { scripts, uses } = scriptsOf(file, doc);
    for (const { where, run } of scripts) {
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
      const inputs = Object.keys((action.inputs ?? {}) as object);
      for (const k of Object.keys(u.with)) {
        if (!inputs.includes(k)) problems.push(`${u.where}: ${u.action} has no input ${k}`);
      }
    }
  }
  // The workflows train, sweep, collect and promote: a lexer that finds none is broken.
  assert.ok(mlopsCalls >= 4, `found only ${mlopsCalls} mlops invocations`);
  assert.ok(taskCalls >= 4, `found only ${taskCalls} deno task invocations`);
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
