/**
 * Text from data and stores (run names, column names, paths, experiment
 * names) reaches the terminal through one helper that escapes control
 * characters, so a run named "\x1b[31mred\x1b[0m\x07" cannot recolour,
 * retitle or ring the user's terminal.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { terminalText } from "../cli/output.ts";
import { mlops } from "./support/cli.ts";

// C0 controls except \n, DEL, C1 controls, and the bidirectional overrides.
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

Deno.test("terminalText escapes control characters and keeps text and line breaks", () => {
  assert.equal(terminalText("\x1b[31mred\x1b[0m\x07"), "\\u001b[31mred\\u001b[0m\\u0007");
  assert.equal(
    terminalText("a\rb\0c\x7fd\x9be\u202ef\tg"),
    "a\\u000db\\u0000c\\u007fd\\u009be\\u202ef\\u0009g",
  );
  assert.equal(terminalText("line 1\nline 2 · é 🚀"), "line 1\nline 2 · é 🚀");
  // JSON stays valid JSON with the same meaning.
  const json = JSON.stringify({ name: "x\x9by\u202e" });
  assert.deepEqual(JSON.parse(terminalText(json)), { name: "x\x9by\u202e" });
  assert.doesNotMatch(terminalText(json), RAW_CONTROL);
});

Deno.test("train, runs list/show/compare, sweep and promote print no raw control characters", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlops-terminal-" });
  try {
    const evil = "\x1b[31mred\x1b[0m\x07";
    // A store folder, a data file and a column whose names carry escape sequences.
    const store = join(tmp, "store\x1b]0;pwned\x07");
    const csv = join(tmp, "data\x1b[2J.csv");
    const rows = ["x,\x1b[5mblink,label"];
    for (let i = 0; i < 80; i++) rows.push(`${i % 10},${(i * 7) % 5},${i % 10 < 5 ? "a" : "b"}`);
    await Deno.writeTextFile(csv, rows.join("\n") + "\n");
    const base = ["--data", csv, "--target", "label", "--tracking-uri", store];
    const outputs: Record<string, { code: number; stdout: string; stderr: string }> = {};
    const check = (name: string, r: { code: number; stdout: string; stderr: string }) => {
      outputs[name] = r;
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      for (const [stream, text] of [["stdout", r.stdout], ["stderr", r.stderr]]) {
        const m = RAW_CONTROL.exec(text);
        assert.ok(
          !m,
          `${name} ${stream}: raw ${JSON.stringify(m?.[0])} in ${JSON.stringify(text)}`,
        );
      }
    };
    const exp = ["--experiment", "exp"];
    const t1 = ["train", ...base, ...exp, "--trees", "3", "--out", join(tmp, "o1")];
    check("train", await mlops(...t1, "--run-name", evil));
    check("train 2", await mlops(...t1, "--run-name", "plain", "--json"));
    assert.ok(outputs.train.stdout.includes("data\\u001b[2J.csv"), outputs.train.stdout);
    check("runs list", await mlops("runs", "list", "--tracking-uri", store));
    assert.ok(
      outputs["runs list"].stdout.includes("\\u001b[31mred\\u001b[0m\\u0007"),
      outputs["runs list"].stdout,
    );
    check("runs show", await mlops("runs", "show", evil, "--tracking-uri", store));
    assert.ok(
      outputs["runs show"].stdout.includes("data\\u001b[2J.csv"),
      outputs["runs show"].stdout,
    );
    check("runs compare", await mlops("runs", "compare", evil, "plain", "--tracking-uri", store));
    check("runs list --json", await mlops("runs", "list", "--json", "--tracking-uri", store));
    const listed = JSON.parse(outputs["runs list --json"].stdout);
    assert.ok(
      listed.experiments[0].runs.some((r: { run_name: string }) => r.run_name === evil),
      "JSON keeps the exact name",
    );
    check(
      "sweep",
      await mlops("sweep", ...base, ...exp, "--grid", "trees=2,3", "--cv", "2"),
    );
    check(
      "promote",
      await mlops(
        "promote",
        "--experiment",
        "exp",
        "--model",
        "m",
        "--out",
        join(tmp, "edge"),
        "--tracking-uri",
        store,
      ),
    );
    // Errors name the bad input with the same escaping.
    const bad = await mlops("runs", "show", "\x1b[31mnope", "--tracking-uri", store);
    assert.notEqual(bad.code, 0);
    assert.doesNotMatch(bad.stderr, RAW_CONTROL);
    assert.match(bad.stderr, /\\u001b\[31mnope/);
    const noBlink = join(tmp, "no_blink.csv");
    await Deno.writeTextFile(noBlink, "x,other\n1,2\n");
    const missing = await mlops("predict", "--model", join(tmp, "o1", "model"), "--data", noBlink);
    assert.notEqual(missing.code, 0);
    assert.doesNotMatch(missing.stderr, RAW_CONTROL);
    assert.match(missing.stderr, /missing model column.*\\u001b\[5mblink/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
