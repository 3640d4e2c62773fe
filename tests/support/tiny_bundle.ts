/**
 * A hand-made model bundle small enough to reason about: two stumps over
 * one numeric feature (`x`) and one binary categorical (`color`).
 *
 * - tree 0: `x <= 5` → [0.9, 0.1], else [0.2, 0.8]
 * - tree 1: `color == "red"` → [0.1, 0.9], else [0.7, 0.3]
 *
 * So `{x: 1, color: "blue"}` scores [0.8, 0.2] ("no") and `{x: 9, color:
 * "red"}` scores [0.15, 0.85] ("yes").
 *
 * @module
 */
import { join } from "node:path";
import type { TrackingStore } from "../../lib/mlflow/types.ts";
import { writeBundle } from "../../lib/model/io.ts";
import type { ModelBundle } from "../../lib/model/types.ts";
import { BUNDLE_FORMAT, BUNDLE_VERSION } from "../../lib/model/types.ts";
import { DEFAULT_PARAMS } from "../../lib/forest/types.ts";

/** Builds a fresh tiny bundle (callers may mutate it). */
export function tinyBundle(overrides: Partial<ModelBundle> = {}): ModelBundle {
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_VERSION,
    name: "tiny",
    version: "7",
    createdAt: "2025-01-01T00:00:00.000Z",
    promotedAt: "2025-01-02T00:00:00.000Z",
    schema: {
      target: "label",
      features: [
        { name: "x", kind: "numeric", fill: 5 },
        { name: "color", kind: "categorical", encoding: "binary", categories: ["blue", "red"] },
      ],
      encodedNames: ["x", "color=red"],
      encodedSource: [0, 1],
      dropped: [{ name: "id", reason: "identifier" }],
      classes: ["no", "yes"],
    },
    forest: {
      nTrees: 2,
      nFeatures: 2,
      nClasses: 2,
      roots: Int32Array.from([0, 3]),
      feature: Int32Array.from([0, -1, -1, 1, -1, -1]),
      threshold: Float64Array.from([5, 0, 0, 0.5, 0, 0]),
      left: Int32Array.from([1, 0, 2, 4, 4, 6]),
      right: Int32Array.from([2, -1, -1, 5, -1, -1]),
      value: Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.1, 0.9]),
    },
    importances: [0.5, 0.5],
    featureStats: [
      {
        name: "x",
        kind: "numeric",
        count: 100,
        missing: 0,
        mean: 5,
        std: 2,
        min: 0,
        max: 10,
        edges: [3, 5, 7],
        proportions: [0.25, 0.25, 0.25, 0.25],
      },
      { name: "color", kind: "categorical", count: 100, missing: 0, proportions: [0.5, 0.5] },
    ],
    training: {
      params: { ...DEFAULT_PARAMS, nTrees: 2 },
      metrics: { accuracy: 0.75 },
      oobScore: null,
      dataset: { name: "tiny", digest: "00000000", rows: 100, columns: 3 },
      nTrain: 80,
      nTest: 20,
      fitMs: 1,
      trainedBy: "hand",
      classShares: [0.5, 0.5],
    },
    ...overrides,
  };
}

/**
 * Logs a finished run with metric `accuracy` and the tiny bundle as its
 * `model/` artifact (what `mlops promote` needs); returns the run id.
 */
export async function logTinyModelRun(
  store: TrackingStore,
  experimentId: string,
  accuracy: number,
): Promise<string> {
  const info = await store.createRun({ experimentId, runName: `accuracy-${accuracy}` });
  await store.logBatch(info.runId, {
    metrics: [{ key: "accuracy", value: accuracy, timestamp: Date.now(), step: 0 }],
  });
  const dir = await Deno.makeTempDir({ prefix: "mlops-tiny-run-" });
  try {
    const bundle = tinyBundle();
    bundle.training.metrics = { accuracy };
    await writeBundle(join(dir, "model"), bundle);
    await store.logArtifact(info.runId, join(dir, "model"), "model");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await store.updateRun(info.runId, "FINISHED");
  return info.runId;
}
