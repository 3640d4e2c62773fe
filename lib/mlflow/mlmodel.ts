/**
 * The `MLmodel` file: MLflow's description of a model directory. Ours
 * declares a custom flavor, `mlops_forest`, pointing at the bundle file,
 * plus the top-level fields MLflow's UI reads (run id, creation time,
 * signature). There is deliberately no `python_function` flavor: nothing in
 * Python can load our bundle, and a pyfunc entry would promise that it can.
 * Nor is there an `mlflow_version`: that field names the MLflow that saved
 * the model, and none did (MLflow reads its absence as "unknown"); the
 * flavor's `mlops_version` says what wrote it.
 *
 * @module
 */
import { join } from "node:path";
import type { DatasetSchema } from "../data/mod.ts";
import { BUNDLE_FILE, BUNDLE_FORMAT, BUNDLE_VERSION } from "../model/mod.ts";
import { VERSION } from "../version.ts";
import { atomicWrite, readYaml, toYaml } from "./_fs.ts";
import { newRunId } from "./_ids.ts";

/** MLflow's column types (the subset a tabular classifier needs). */
export type ColType = "double" | "long" | "integer" | "float" | "string" | "boolean";

/** One column of an MLflow column-based schema ("colspec"). */
export interface ColSpec {
  type: ColType;
  /** Omitted for an unnamed output column. */
  name?: string;
  required: boolean;
}

/** What the model takes and returns, in MLflow's terms. */
export interface ModelSignature {
  inputs: ColSpec[];
  outputs: ColSpec[];
}

/** Fields of the `MLmodel` file we write. */
export interface MlmodelOptions {
  runId: string;
  /** The logged model (MLflow 3) this directory is the files of. */
  modelId?: string;
  /** Unique id of this model; default a random 32-hex id (MLflow 2 style). */
  modelUuid?: string;
  /**
   * Where the directory sits: its path in the run's artifacts (default
   * "model"), or, for a logged model, the model's artifact location.
   */
  artifactPath?: string;
  /** Bundle file name inside the directory; default `model.mlops.json`. */
  bundleFile?: string;
  signature?: ModelSignature | null;
  /** Extra fields for the `mlops_forest` flavor section. */
  flavor?: Record<string, string | number | boolean | null>;
  /** Creation time; default now. */
  createdAt?: Date;
}

/**
 * Column specs of a dataset schema: raw features (numeric as `double`,
 * categorical as `string`), and the target (a `string` label) if asked.
 *
 * @example
 * ```ts
 * import { colSpecsFromSchema } from "./mlmodel.ts";
 *
 * const inputs = colSpecsFromSchema({
 *   target: "churn",
 *   features: [{ name: "tenure", kind: "numeric", fill: 0 }],
 *   encodedNames: ["tenure"], encodedSource: [0], dropped: [], classes: ["No", "Yes"],
 * });
 * // [{ type: "double", name: "tenure", required: true }]
 * ```
 */
export function colSpecsFromSchema(schema: DatasetSchema, withTarget = false): ColSpec[] {
  const cols: ColSpec[] = schema.features.map((f) => ({
    type: f.kind === "numeric" ? "double" : "string",
    name: f.name,
    required: true,
  }));
  if (withTarget) cols.push({ type: "string", name: schema.target, required: true });
  return cols;
}

/**
 * The signature of a classifier trained on `schema`: raw feature columns in,
 * one string label out.
 *
 * @example
 * ```ts
 * import { signatureFromSchema } from "./mlmodel.ts";
 * declare const schema: import("../data/mod.ts").DatasetSchema;
 *
 * const signature = signatureFromSchema(schema);
 * ```
 */
export function signatureFromSchema(schema: DatasetSchema): ModelSignature {
  return { inputs: colSpecsFromSchema(schema), outputs: [{ type: "string", required: true }] };
}

/** MLflow's `utc_time_created` format: "YYYY-MM-DD HH:MM:SS.ffffff". */
function utcTimeCreated(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "000");
}

/**
 * Writes `<dir>/MLmodel` (atomically) and returns its path. The bundle's
 * size goes in `model_size_bytes` when the bundle is already in `dir`.
 *
 * @example
 * ```ts
 * import { writeMlmodel } from "./mlmodel.ts";
 *
 * await writeMlmodel("out/model", { runId: "0123456789abcdef0123456789abcdef" });
 * ```
 */
export async function writeMlmodel(dir: string, options: MlmodelOptions): Promise<string> {
  const bundleFile = options.bundleFile ?? BUNDLE_FILE;
  const size = await Deno.stat(join(dir, bundleFile)).then((s) => s.size, () => null);
  const sig = options.signature;
  const doc: Record<string, unknown> = {
    artifact_path: options.artifactPath ?? "model",
    flavors: {
      mlops_forest: {
        bundle_file: bundleFile,
        bundle_format: BUNDLE_FORMAT,
        bundle_version: BUNDLE_VERSION,
        mlops_version: VERSION,
        ...options.flavor,
      },
    },
    ...(options.modelId ? { model_id: options.modelId } : {}),
    model_uuid: options.modelUuid ?? newRunId(),
    run_id: options.runId,
    utc_time_created: utcTimeCreated(options.createdAt ?? new Date()),
  };
  if (size !== null) doc.model_size_bytes = size;
  if (sig) {
    // MLflow stores each side of the signature as a JSON string.
    doc.signature = {
      inputs: JSON.stringify(sig.inputs),
      outputs: JSON.stringify(sig.outputs),
      params: null,
    };
  }
  const path = join(dir, "MLmodel");
  await atomicWrite(path, toYaml(doc));
  return path;
}

/**
 * Points a copied `MLmodel` at where the copy now belongs: another run (and
 * logged model, whose id is also its `model_uuid`, and whose location is
 * its `artifact_path`). Other fields stay as they were.
 *
 * @example
 * ```ts
 * import { relinkMlmodel } from "./mlmodel.ts";
 *
 * await relinkMlmodel("dl/model/MLmodel", { runId: "0123456789abcdef0123456789abcdef" });
 * ```
 */
export async function relinkMlmodel(
  path: string,
  links: { runId: string; modelId?: string; artifactPath?: string },
): Promise<void> {
  const doc = await readYaml(path);
  doc.run_id = links.runId;
  if (links.modelId) {
    doc.model_id = links.modelId;
    doc.model_uuid = links.modelId;
  }
  if (links.artifactPath) doc.artifact_path = links.artifactPath;
  await atomicWrite(path, toYaml(doc));
}
