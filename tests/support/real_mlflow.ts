/**
 * What MLflow's own client reads from a store: runs
 * `../shared/real-mlflow/read_store.py` (needs the `mlflow` part, see
 * `parts.ts`) and returns its JSON report.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const REAL = fileURLToPath(new URL("../../../shared/real-mlflow/", import.meta.url));

/** The parts of read_store.py's report that tests look at. */
export interface MlflowReading {
  errors: { op: string; type: string; message: string }[];
  warnings: { message: string }[];
  experiments: { experiment_id: string; name: string; runs: { run_id: string }[] }[];
  registered_models: {
    name: string;
    aliases: Record<string, string>;
    versions: { version: number | string; run_id: string }[];
  }[];
}

/** Reads `storeUri` (a folder or URI) with MLflow's `MlflowClient`. */
export async function readWithMlflow(storeUri: string): Promise<MlflowReading> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `. "${REAL}env.sh" && "$MLFLOW_PYTHON" "${REAL}read_store.py" "$1"`,
      "-",
      storeUri,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`read_store.py failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text);
}
