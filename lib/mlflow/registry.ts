/**
 * The model registry as the rest of the tool uses it: registering a run's
 * model as a new version, and finding the model a run logged.
 *
 * Works on every store, also on servers without a registry (DagsHub), where
 * the store emulates it with tags; aliases and version lookups are the
 * `TrackingStore`'s own methods (`setAlias`, `getModelVersionByAlias`,
 * `searchModelVersions`).
 *
 * ```ts
 * import { openStore, type TrackingStore } from "./mod.ts";
 * import { modelOfRun, registerModelVersion } from "./registry.ts";
 *
 * const store: TrackingStore = openStore();
 * const run = await store.getRun("0123456789abcdef0123456789abcdef");
 * const model = await modelOfRun(store, run);
 * const version = await registerModelVersion(store, {
 *   name: "churn",
 *   runId: run.info.runId,
 *   source: model?.source ?? `runs:/${run.info.runId}/model`,
 *   modelId: model?.modelId ?? undefined,
 * });
 * console.log(version.version);
 * ```
 *
 * @module
 */
export { registerModelVersion } from "./log_run.ts";
export { modelOfRun, type ModelRef } from "./log_model.ts";
