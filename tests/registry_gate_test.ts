import { strict as assert } from "node:assert";
import { decide, type GateInput } from "../lib/registry/mod.ts";
import { OptionError } from "../lib/errors.ts";
import { cliMessage, flagOf } from "../cli/options.ts";

const base: GateInput = {
  metric: "accuracy",
  candidate: 0.8,
  champion: 0.75,
  currentVersion: "3",
  minDelta: 0,
  runId: "r1",
};

/** [what, input changes, pass, kind, reason pattern] */
const TABLE: [string, Partial<GateInput>, boolean, string, RegExp][] = [
  [
    "no champion yet: first",
    { currentVersion: null, champion: null },
    true,
    "first",
    /no current champion/,
  ],
  [
    "first even when worse than nothing",
    { currentVersion: null, candidate: 0 },
    true,
    "first",
    /no current champion/,
  ],
  ["better, no min-delta", {}, true, "passed", /\+0\.05, beats it by at least minDelta 0$/],
  ["tie: not better", { candidate: 0.75 }, false, "rejected", /: \+0, not better$/],
  [
    "tie within epsilon (text round-trip)",
    { candidate: 0.75 + 1e-13 },
    false,
    "rejected",
    /not better/,
  ],
  ["worse", { candidate: 0.7 }, false, "rejected", /-0\.05, not better/],
  [
    "better by less than min-delta",
    { minDelta: 0.06 },
    false,
    "rejected",
    /less than minDelta 0\.06/,
  ],
  ["better by exactly min-delta", { minDelta: 0.05 }, true, "passed", /beats it/],
  [
    "min-delta met up to epsilon",
    { candidate: 0.8, champion: 0.7, minDelta: 0.1 + 1e-13 },
    true,
    "passed",
    /beats it/,
  ],
  [
    "min-delta missed by more than epsilon",
    { minDelta: 0.05 + 1e-9 },
    false,
    "rejected",
    /less than minDelta/,
  ],
  [
    "log_loss: lower wins",
    { metric: "log_loss", candidate: 0.4, champion: 0.45 },
    true,
    "passed",
    /log_loss 0\.4 .*: \+0\.05/,
  ],
  [
    "log_loss: higher loses",
    { metric: "log_loss", candidate: 0.5, champion: 0.45 },
    false,
    "rejected",
    /-0\.05, not better/,
  ],
  [
    "log_loss: min-delta in its units",
    { metric: "log_loss", candidate: 0.44, champion: 0.45, minDelta: 0.02 },
    false,
    "rejected",
    /less than minDelta 0\.02/,
  ],
  [
    "log_loss tie",
    { metric: "log_loss", candidate: 0.45, champion: 0.45 },
    false,
    "rejected",
    /not better/,
  ],
  [
    "champion without the metric",
    { champion: null },
    false,
    "rejected",
    /cannot compare: version 3 has no accuracy on record \(pass force to promote anyway\)$/,
  ],
  [
    "force skips the gate when worse",
    { candidate: 0.1, force: true },
    true,
    "forced",
    /gate skipped \(force\)$/,
  ],
  [
    "force with an unknown champion",
    { champion: null, force: true },
    true,
    "forced",
    /\(unknown\); gate skipped/,
  ],
];

for (const [what, change, pass, kind, reason] of TABLE) {
  Deno.test(`gate: ${what}`, () => {
    const g = decide({ ...base, ...change });
    assert.equal(g.pass, pass, g.reason);
    assert.equal(g.kind, kind);
    assert.match(g.reason, reason);
  });
}

Deno.test("gate: an unknown metric is refused by name", () => {
  assert.throws(() => decide({ ...base, metric: "auc" }), (e: unknown) => {
    // The library names the option; the CLI shows it as the flag.
    assert.ok(e instanceof OptionError && e.option === "metric", String(e));
    assert.match(e.message, /^metric auc: unknown metric/);
    assert.match(cliMessage(e), /--metric auc: unknown metric/);
    return true;
  });
});

Deno.test("gate: the reason names options as the caller spells them (the CLI: flags)", () => {
  const greedy = { ...base, minDelta: 0.06 };
  assert.match(decide(greedy).reason, /, less than minDelta 0\.06$/);
  assert.match(decide(greedy, flagOf).reason, /, less than --min-delta 0\.06$/);
  assert.match(decide(base, flagOf).reason, /, beats it by at least --min-delta 0$/);
  assert.match(decide({ ...base, force: true }, flagOf).reason, /gate skipped \(--force\)$/);
  assert.match(
    decide({ ...base, champion: null }, flagOf).reason,
    /on record \(pass --force to promote anyway\)$/,
  );
});
