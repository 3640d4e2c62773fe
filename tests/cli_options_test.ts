/**
 * Options several commands share read the same everywhere: `--tracking-uri`
 * has one help text (where the store comes from by default), and `--json`
 * is a flag that defaults to false, on every command that takes them.
 */
import { strict as assert } from "node:assert";
import type { Command } from "commander";
import { buildProgram } from "../cli/main.ts";
import { TRACKING_URI_HELP } from "../cli/options.ts";

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
