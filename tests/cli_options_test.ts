/**
 * Options several commands share read the same everywhere: `--tracking-uri`
 * has one help text (where the store comes from by default), and `--json`
 * is a flag that defaults to false, on every command that takes them. The
 * library's errors name options, and the CLI shows them as its flags.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../cli/main.ts";
import { cliMessage, flagOf, TRACKING_URI_HELP } from "../cli/options.ts";
import { errorAt, OptionError, UserError } from "../lib/errors.ts";
import { mlops } from "./support/cli.ts";
import { moduleTempDir } from "./support/temp.ts";

function allCommands(cmd: Command, path = ""): [string, Command][] {
  return cmd.commands.flatMap((c) => {
    const name = `${path} ${c.name()}`.trim();
    return [[name, c] as [string, Command], ...allCommands(c, name)];
  });
}

const commands = allCommands(buildProgram());

Deno.test("every --tracking-uri has the shared help, naming the real default", () => {
  const withUri = commands.filter(([, c]) => c.options.some((o) => o.long === "--tracking-uri"));
  assert.ok(withUri.length >= 8, `only ${withUri.map(([n]) => n)} take --tracking-uri`);
  for (const [name, c] of withUri) {
    const o = c.options.find((o) => o.long === "--tracking-uri")!;
    assert.equal(o.flags, "--tracking-uri <uri>", name);
    assert.equal(o.description, TRACKING_URI_HELP, `${name}: its own --tracking-uri help`);
  }
});

Deno.test("every --json is a flag defaulting to false", () => {
  const withJson = commands.filter(([, c]) => c.options.some((o) => o.long === "--json"));
  assert.ok(withJson.length >= 10, `only ${withJson.map(([n]) => n)} take --json`);
  for (const [name, c] of withJson) {
    const o = c.options.find((o) => o.long === "--json")!;
    assert.equal(o.flags, "--json", name);
    assert.equal(o.defaultValue, false, `${name}: --json default`);
  }
});

Deno.test("an OptionError names the option in the library and the flag in the CLI", () => {
  const e = new OptionError(
    "minDelta",
    (name) => `${name("minDelta")} -1: expected a number >= 0 (see ${name("live")})`,
  );
  assert.equal(e.option, "minDelta");
  assert.equal(e.message, "minDelta -1: expected a number >= 0 (see live)");
  assert.equal(cliMessage(e), "--min-delta -1: expected a number >= 0 (see --live)");
  assert.ok(e instanceof UserError);
  assert.equal(flagOf("prometheusUrl"), "--prometheus-url");
  // A value from a file is a place, not an option: shown as is everywhere.
  const inFile = errorAt("sweep.yaml: cv", "cv", " 1: expected an integer >= 2");
  assert.ok(!(inFile instanceof OptionError));
  assert.equal(cliMessage(inFile), "sweep.yaml: cv 1: expected an integer >= 2");
});

Deno.test("every option the library's errors name is a flag of some command", async () => {
  const flags = new Set(commands.flatMap(([, c]) => c.options.map((o) => o.long)));
  const root = new URL("../lib/", import.meta.url);
  const named = new Set<string>();
  for await (const file of walkTs(root)) {
    const text = await Deno.readTextFile(file);
    if (!/\b(OptionError|errorAt)\b/.test(text)) continue;
    const calls = /(?:new OptionError\(\s*|\b(?:name|option)\(|errorAt\(\w+, )"(\w+)"/g;
    for (const m of text.matchAll(calls)) named.add(m[1]);
  }
  assert.ok(named.size >= 15, `only ${[...named]}`);
  for (const option of named) {
    assert.ok(flags.has(flagOf(option)), `${option}: the CLI has no ${flagOf(option)}`);
  }
});

async function* walkTs(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const url = new URL(e.isDirectory ? `${e.name}/` : e.name, dir);
    if (e.isDirectory) yield* walkTs(url);
    else if (e.name.endsWith(".ts")) yield url;
  }
}

const tmp = await moduleTempDir("mlops-cli-options-");

Deno.test("--min-delta: the CLI reads a number, the library checks it once", async () => {
  const uri = join(tmp, "mlruns");
  const promote = (...args: string[]) =>
    mlops("promote", "--dry-run", "--tracking-uri", uri, ...args);
  const negative = await promote("--min-delta", "-1");
  assert.equal(negative.code, 2);
  assert.equal(negative.stderr, "mlops: --min-delta -1: expected a number >= 0");
  const live = await promote("--live", "--min-delta", "1");
  assert.equal(live.code, 2);
  assert.equal(live.stderr, "mlops: --min-delta 1: expected a number >= 0 and < 1");
  const text = await promote("--min-delta", "a lot");
  assert.equal(text.code, 2);
  assert.equal(text.stderr, "mlops: --min-delta a lot: expected a number");
});
