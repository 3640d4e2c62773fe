/**
 * The package boundaries ARCHITECTURE.md draws hold in the code: its
 * "Packages" table says which packages each may import and through which of
 * their files (their entry points), and the import graph (from `deno info`,
 * type-only and dynamic imports included) crosses no other line. The table is
 * read from the document, so the two cannot drift apart.
 */
import { strict as assert } from "node:assert";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const ANYTHING = "anything";

/** The package a repository path belongs to (see ARCHITECTURE.md, "Packages"). */
export function packageOf(path: string): string {
  const lib = /^lib\/([^/]+)\//.exec(path);
  if (lib) return `lib/${lib[1]}`;
  if (/^lib\/[^/]+$/.test(path)) return "lib";
  if (path.startsWith(".github/scripts/")) return ".github/scripts";
  return path.split("/")[0];
}

/** Package → what it may import (or {@link ANYTHING}), from the table under "## Packages". */
export function parseRules(markdown: string): Map<string, Set<string> | typeof ANYTHING> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Packages\n"));
  if (!section) throw new Error('ARCHITECTURE.md has no "## Packages" section');
  const rules = new Map<string, Set<string> | typeof ANYTHING>();
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    const name = /^`([^`]+)`$/.exec(cells[0])?.[1];
    if (!name) throw new Error(`a package row must start with one \`name\`: ${line}`);
    const allowed = cells.at(-1)!;
    rules.set(
      name,
      allowed === ANYTHING
        ? ANYTHING
        : new Set([...allowed.matchAll(/`([^`]+)`/g)].map((m) => m[1])),
    );
  }
  return rules;
}

/**
 * Package → the files other packages may import (its entry points), from the
 * table's "Entry points" column: paths relative to the package's folder, or
 * `*.ts` for every file directly in it whose name does not start with `_`.
 * A package without the column, or with "—", has none.
 */
export function parseEntries(markdown: string): Map<string, string[]> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Packages\n"));
  if (!section) throw new Error('ARCHITECTURE.md has no "## Packages" section');
  const entries = new Map<string, string[]>();
  let column = -1;
  for (const line of section.split("\n")) {
    if (!line.startsWith("| ")) continue;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells[0] === "Package") column = cells.indexOf("Entry points");
    const name = /^`([^`]+)`$/.exec(cells[0])?.[1];
    if (!name) continue;
    entries.set(
      name,
      column === -1 ? [] : [...cells[column].matchAll(/`([^`]+)`/g)].map((m) => m[1]),
    );
  }
  return entries;
}

/** Whether `path` is one of `pkg`'s entry points (see {@link parseEntries}). */
export function isEntry(path: string, pkg: string, entries: readonly string[]): boolean {
  const rest = path.slice(pkg.length + 1);
  if (!path.startsWith(`${pkg}/`)) return false;
  return entries.some((e) =>
    e === "*.ts" ? /^[^_/][^/]*\.ts$/.test(rest) && !rest.includes("/") : e === rest
  );
}

/** One import from a file of one package to a file of another. */
interface CrossImport {
  from: string;
  to: string;
  fromPackage: string;
  toPackage: string;
}

/** The repository's cross-package imports, and every package that has code. */
async function crossImports(): Promise<{ imports: CrossImport[]; packages: Set<string> }> {
  const list = await new Deno.Command("git", {
    args: ["ls-files", "*.ts"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const files = new TextDecoder().decode(list.stdout).split("\n")
    .filter((f) => f.endsWith(".ts") && !f.startsWith("tests/"));
  assert.ok(files.length > 100, `only ${files.length} files: not a checkout?`);
  const dir = await Deno.makeTempDir({ prefix: "mlops-arch-" });
  try {
    const entry = `${dir}/all.ts`;
    await Deno.writeTextFile(entry, files.map((f) => `import "file://${ROOT}${f}";\n`).join(""));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(text) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
      }[];
    };
    const local = (specifier?: string) =>
      specifier?.startsWith(`file://${ROOT}`) ? specifier.slice(`file://${ROOT}`.length) : null;
    const imports: CrossImport[] = [];
    for (const mod of info.modules) {
      const from = local(mod.specifier);
      if (from === null) continue;
      for (const dep of mod.dependencies ?? []) {
        for (const to of [local(dep.code?.specifier), local(dep.type?.specifier)]) {
          if (to === null) continue;
          const [fromPackage, toPackage] = [packageOf(from), packageOf(to)];
          if (fromPackage !== toPackage) imports.push({ from, to, fromPackage, toPackage });
        }
      }
    }
    // Packages that import nothing outside themselves still need a row.
    return { imports, packages: new Set(files.map(packageOf)) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Cross-package imports as "from → to" lines per package pair, with a key for every package. */
function importGraph(
  { imports, packages }: Awaited<ReturnType<typeof crossImports>>,
): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>([...packages].map((p) => [p, new Map()]));
  for (const { from, to, fromPackage, toPackage } of imports) {
    if (!graph.has(fromPackage)) graph.set(fromPackage, new Map());
    const edges = graph.get(fromPackage)!;
    edges.set(toPackage, [...(edges.get(toPackage) ?? []), `${from} → ${to}`]);
  }
  return graph;
}

const architecture = await Deno.readTextFile(`${ROOT}ARCHITECTURE.md`);
const rules = parseRules(architecture);
const entries = parseEntries(architecture);
let scanned: ReturnType<typeof crossImports> | undefined;
/** The import scan, run once (by the first test that needs it). */
const scan = () => scanned ??= crossImports();

Deno.test("every import across packages is one ARCHITECTURE.md allows", async () => {
  const graph = importGraph(await scan());
  const problems: string[] = [];
  for (const [pkg, edges] of graph) {
    const allowed = rules.get(pkg);
    if (allowed === undefined) {
      problems.push(`${pkg}: no row in ARCHITECTURE.md's package table`);
      continue;
    }
    if (allowed === ANYTHING) continue;
    for (const [to, imports] of edges) {
      if (!allowed.has(to)) {
        problems.push(`${pkg} may not import ${to}: ${imports.slice(0, 3).join(", ")}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("imports across packages go through the target's entry points (mod.ts)", async () => {
  const problems = new Set<string>();
  for (const { from, to, fromPackage, toPackage } of (await scan()).imports) {
    // The test suite and the benchmarks reach into anything they measure.
    if (rules.get(fromPackage) === ANYTHING) continue;
    if (isEntry(to, toPackage, entries.get(toPackage) ?? [])) continue;
    const allowed = (entries.get(toPackage) ?? []).map((e) => `${toPackage}/${e}`).join(", ");
    problems.add(`${from} → ${to}: import ${allowed || `nothing of ${toPackage}`} instead`);
  }
  assert.deepEqual([...problems], []);
});

Deno.test("the package table is one-way: it names known packages and allows no cycle", () => {
  const layered = [...rules].filter(([, a]) => a !== ANYTHING) as [string, Set<string>][];
  for (const [pkg, allowed] of layered) {
    for (const to of allowed) {
      assert.ok(rules.has(to), `${pkg} may import ${to}, which has no row`);
      assert.notEqual(rules.get(to), ANYTHING, `${pkg} may import ${to} (test tooling)`);
    }
  }
  // Depth-first search; a package met again while on the stack closes a cycle.
  const state = new Map<string, "open" | "done">();
  const visit = (pkg: string, path: string[]) => {
    if (state.get(pkg) === "done") return;
    assert.notEqual(state.get(pkg), "open", `cycle: ${[...path, pkg].join(" → ")}`);
    state.set(pkg, "open");
    for (const to of (rules.get(pkg) as Set<string>) ?? []) visit(to, [...path, pkg]);
    state.set(pkg, "done");
  };
  for (const [pkg] of layered) visit(pkg, []);
});

Deno.test("the package table parser reads names, lists, '—' and 'anything'", () => {
  const parsed = parseRules(
    "# x\n## Packages\n| Package | Owns | May import |\n| --- | --- | --- |\n" +
      "| `lib` | leaves | — |\n| `lib/data` | CSV, `RawTable` | `lib` |\n" +
      "| `cli` | commands | `lib`, `lib/data` |\n| `tests` | tests | anything |\n## Next\n" +
      "| `ignored` | x | `lib` |\n",
  );
  assert.deepEqual([...parsed.keys()], ["lib", "lib/data", "cli", "tests"]);
  assert.deepEqual(parsed.get("lib"), new Set());
  assert.deepEqual(parsed.get("lib/data"), new Set(["lib"]));
  assert.deepEqual(parsed.get("cli"), new Set(["lib", "lib/data"]));
  assert.equal(parsed.get("tests"), ANYTHING);
  assert.equal(packageOf("lib/rng.ts"), "lib");
  assert.equal(packageOf("lib/forest/fit.ts"), "lib/forest");
  assert.equal(packageOf(".github/scripts/retrain_summary.ts"), ".github/scripts");
  assert.equal(packageOf("edge/routes/predict.ts"), "edge");
});

Deno.test("the entry points column: files, '*.ts' and packages without entries", () => {
  const markdown = "# x\n## Packages\n| Package | Owns | Entry points | May import |\n" +
    "| --- | --- | --- | --- |\n| `lib` | leaves | `*.ts` | — |\n" +
    "| `lib/data` | CSV | `mod.ts`, `serving.ts` | `lib` |\n| `tests` | tests | — | anything |\n";
  const parsed = parseEntries(markdown);
  assert.deepEqual(parsed.get("lib/data"), ["mod.ts", "serving.ts"]);
  assert.deepEqual(parsed.get("tests"), []);
  assert.deepEqual(parseRules(markdown).get("lib/data"), new Set(["lib"]));
  assert.ok(isEntry("lib/data/mod.ts", "lib/data", parsed.get("lib/data")!));
  assert.ok(isEntry("lib/data/serving.ts", "lib/data", parsed.get("lib/data")!));
  assert.ok(!isEntry("lib/data/csv.ts", "lib/data", parsed.get("lib/data")!));
  assert.ok(isEntry("lib/errors.ts", "lib", parsed.get("lib")!));
  assert.ok(!isEntry("lib/_private.ts", "lib", parsed.get("lib")!));
  assert.ok(!isEntry("lib/data/mod.ts", "lib", parsed.get("lib")!));
  assert.ok(!isEntry("tests/support/parts.ts", "tests", parsed.get("tests")!));
});
