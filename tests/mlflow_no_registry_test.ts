/**
 * A tracking server without a model registry (DagsHub's hosted MLflow
 * answers every registry call with 404): train, promote, `models:/`
 * resolution, rollback and the edge export still work, with versions and
 * aliases kept as tags on runs and the experiment; the server is named in
 * one warning.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { readBundle } from "../lib/model/io.ts";
import { registryTag } from "../lib/mlflow/tag_registry.ts";
import { mlops } from "./support/cli.ts";
import { startMlflowServer } from "./support/mlflow_server.ts";
import { withEnv } from "./support/env.ts";
import { trainTiny, writeTinyCsv } from "./support/tiny_csv.ts";

Deno.test("no registry (DagsHub): promote, models:/ and the edge export work through tags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlops-no-registry-" });
  const server = startMlflowServer({ registry: false });
  try {
    await withEnv({ MLOPS_CACHE: join(dir, "cache") }, async () => {
      const csv = await writeTinyCsv(dir);
      const uri = server.url;
      const first = await trainTiny({ csv, out: join(dir, "a"), trackingUri: uri }, "--json");
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(JSON.parse(first.stdout).registered_model, { name: "small", version: "1" });
      const warnings = first.stderr.split("\n").filter((l) => /has no model registry/.test(l));
      assert.equal(warnings.length, 1, first.stderr);
      assert.match(
        warnings[0],
        new RegExp(`MLflow at ${uri} has no model registry \\(it answered 404`),
      );
      const second = await trainTiny(
        { csv, out: join(dir, "b"), trackingUri: uri },
        "--trees",
        "5",
        "--json",
      );
      assert.equal(second.code, 0, second.stderr);
      assert.equal(JSON.parse(second.stdout).registered_model.version, "2");

      // Promote: the gate, the alias, version tags, the edge bundle.
      const edge = join(dir, "edge");
      const p = await mlops(
        "promote",
        "--experiment",
        "small",
        "--tracking-uri",
        uri,
        "--out",
        edge,
        "--json",
        "--force",
      );
      assert.equal(p.code, 0, p.stderr);
      const promoted = JSON.parse(p.stdout);
      assert.equal(promoted.status, "promoted");
      const bundle = await readBundle(promoted.bundle_file);
      assert.equal(bundle.name, "small");
      assert.equal(bundle.version, promoted.version);
      // Where it is kept: the alias on the experiment, the version and its tags on the run.
      const exp = [...server.experiments.values()].find((e) => e.name === "small")!;
      assert.equal(exp.tags.get(registryTag("small", "alias.champion")), promoted.version);
      assert.equal(exp.tags.get(registryTag("small", "latest")), "2");
      const run = server.runs.get(promoted.run_id)!;
      assert.equal(run.tags.get(registryTag("small", "version")), promoted.version);
      assert.ok(run.tags.get(registryTag("small", "tag.mlops.promoted_at")));

      // models:/ resolution through the tags.
      for (
        const ref of [
          "models:/small@champion",
          `models:/small/${promoted.version}`,
          "models:/small/latest",
        ]
      ) {
        const r = await mlops(
          "predict",
          "--model",
          ref,
          "--tracking-uri",
          uri,
          "--data",
          csv,
          "--json",
          "--out",
          join(dir, "p.csv"),
        );
        assert.equal(r.code, 0, `${ref}: ${r.stderr}`);
      }
      // Rollback moves the alias back.
      const other = promoted.version === "1" ? "2" : "1";
      const back = await mlops(
        "promote",
        "--model",
        "small",
        "--version",
        other,
        "--tracking-uri",
        uri,
        "--out",
        edge,
        "--json",
      );
      assert.equal(back.code, 0, back.stderr);
      assert.equal(exp.tags.get(registryTag("small", "alias.champion")), other);
      // Nothing reached a registry endpoint successfully: there is none.
      assert.equal(server.models.size, 0);
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
