/**
 * `mlops export`: write a model's edge bundle into a folder (by default
 * where the edge reads it, `edge/model/`) without touching the registry —
 * what a deployment of "whatever champion is now" needs. `mlops promote`
 * exports too, but moves the alias.
 *
 * @module
 */
import type { Command } from "commander";
import { DEFAULT_EDGE_DIR, exportEdgeBundle } from "../../lib/registry/mod.ts";
import { loadModel } from "../model_uri.ts";
import { checkOutDir } from "../out_path.ts";
import { print } from "../output.ts";
import { withJson, withTrackingUri } from "../options.ts";

interface ExportFlags {
  model: string;
  out: string;
  trackingUri?: string;
  json: boolean;
}

/** Registers `export`. */
export function register(program: Command): void {
  withJson(
    withTrackingUri(
      program
        .command("export")
        .description("write a model's edge bundle to a folder (the registry is not changed)")
        .requiredOption(
          "--model <ref>",
          "models:/<name>@<alias>, models:/<name>/<version>, a bundle or folder",
        )
        .option("--out <dir>", "where model.mlops.json goes", DEFAULT_EDGE_DIR),
    ),
    "print one JSON object to stdout",
  )
    .action(async (flags: ExportFlags) => {
      await checkOutDir(flags.out, "export");
      const bundle = await loadModel(flags.model, flags.trackingUri);
      const out = await exportEdgeBundle(bundle, flags.out, {
        name: bundle.name,
        version: bundle.version,
        promotedAt: bundle.promotedAt,
      });
      const result = {
        model: bundle.name,
        version: bundle.version ?? null,
        bundle_file: out.file,
        checksum: out.checksum,
      };
      if (flags.json) print(JSON.stringify(result));
      else print(`exported  ${bundle.name} ${bundle.version ?? "(unregistered)"} to ${out.file}`);
    });
}
