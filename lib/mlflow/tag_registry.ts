/**
 * A model registry kept in tags, for tracking servers that have none
 * (DagsHub's hosted MLflow answers registry calls with 404, "Model Registry
 * features are not supported by the store"). `promote`, `models:/`
 * resolution and the edge export keep working against such a server:
 *
 * - a version is a run: tags `mlops.registry.<model>.version` (its number),
 *   `.name`, `.source` and `.created`, and `.tag.<key>` for version tags;
 * - the model lives on an experiment (the one of its first version): tags
 *   `mlops.registry.<model>.name`, `.latest` (the highest number) and
 *   `.alias.<alias>` (a version number; "" once deleted).
 *
 * `<model>` is the model name when it fits MLflow's tag keys, else a hash of
 * it (the `.name` tags keep the real name). Without a registry there is no
 * transaction: two promotions racing may take the same number, which the
 * server cannot prevent; one at a time is safe.
 *
 * @module
 */
import { md5Hex } from "./_ids.ts";
import { checkAlias, checkModelName } from "./_names.ts";
import { MlflowError } from "./errors.ts";
import type {
  CreateModelVersionOptions,
  Experiment,
  ModelVersion,
  ModelVersionFilter,
  RegisteredModel,
  Run,
  TrackingStore,
} from "./types.ts";

/** What the tag registry needs from the tracking half of a store. */
export interface TaggableStore extends TrackingStore {
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
}

/** Prefix of every tag the tag registry writes. */
export const REGISTRY_TAG_PREFIX = "mlops.registry.";

/** The tag key of `field` for model `name`. */
export function registryTag(name: string, field: string): string {
  const key = /^[\w\-. ]{1,100}$/.test(name) ? name : md5Hex(name);
  return `${REGISTRY_TAG_PREFIX}${key}.${field}`;
}

/**
 * The registry half of {@link TrackingStore}, in tags of runs and
 * experiments of `store`.
 *
 * @example
 * ```ts
 * import { RestStore } from "./rest_store.ts";
 *
 * const registry = new TagRegistry(new RestStore("http://127.0.0.1:5000"));
 * const runId = "0a1b2c3d";
 * const source = `runs:/${runId}/model`;
 * const mv = await registry.createModelVersion({ name: "churn", source, runId });
 * await registry.setAlias("churn", "champion", mv.version);
 * ```
 */
export class TagRegistry {
  readonly #store: TaggableStore;

  constructor(store: TaggableStore) {
    this.#store = store;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | null> {
    checkModelName(name);
    const home = await this.#home(name);
    if (!home) return null;
    const aliases: Record<string, string> = {};
    const prefix = registryTag(name, "alias.");
    for (const [k, v] of Object.entries(home.tags)) {
      if (k.startsWith(prefix) && v) aliases[k.slice(prefix.length)] = v;
    }
    const created = Number(home.tags[registryTag(name, "created")] ?? home.creationTime ?? 0);
    return {
      name,
      creationTimestamp: created,
      lastUpdatedTimestamp: home.lastUpdateTime ?? created,
      description: null,
      aliases,
      tags: {},
    };
  }

  /** Nothing to create: the model appears with its first version. */
  async createRegisteredModel(name: string): Promise<RegisteredModel> {
    checkModelName(name);
    return await this.getRegisteredModel(name) ?? {
      name,
      creationTimestamp: Date.now(),
      lastUpdatedTimestamp: Date.now(),
      description: null,
      aliases: {},
      tags: {},
    };
  }

  async createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    checkModelName(o.name);
    if (!o.runId) {
      throw new MlflowError(
        "INVALID_PARAMETER_VALUE",
        `${this.#store.uri} has no model registry: a version of '${o.name}' is recorded on its ` +
          `run, so it needs one`,
      );
    }
    const run = await this.#store.getRun(o.runId);
    const home = await this.#home(o.name) ??
      (await this.#store.listExperiments()).find((e) => e.experimentId === run.info.experimentId);
    if (!home) {
      throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `experiment of run ${o.runId} not found`);
    }
    const version = String(Number(home.tags[registryTag(o.name, "latest")] ?? 0) + 1);
    const now = Date.now();
    const tags: Record<string, string> = {
      [registryTag(o.name, "name")]: o.name,
      [registryTag(o.name, "version")]: version,
      [registryTag(o.name, "source")]: o.source,
      [registryTag(o.name, "created")]: String(now),
    };
    for (const [k, v] of Object.entries(o.tags ?? {})) tags[registryTag(o.name, `tag.${k}`)] = v;
    await this.#store.logBatch(o.runId, { tags });
    if (!home.tags[registryTag(o.name, "name")]) {
      await this.#store.setExperimentTag(home.experimentId, registryTag(o.name, "name"), o.name);
      await this.#store.setExperimentTag(
        home.experimentId,
        registryTag(o.name, "created"),
        String(now),
      );
    }
    await this.#store.setExperimentTag(home.experimentId, registryTag(o.name, "latest"), version);
    return this.#version(o.name, {
      ...run,
      data: { ...run.data, tags: { ...run.data.tags, ...tags } },
    }, {})!;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    checkModelName(name);
    const [run] = /^\d+$/.test(version)
      ? await this.#versionRuns(name, { [registryTag(name, "version")]: version })
      : [];
    const mv = run ? this.#version(name, run, await this.#aliases(name)) : null;
    if (!mv) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `model version ${name}/${version} not found in ${this.#store.uri}`,
      );
    }
    return mv;
  }

  async searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]> {
    if (filter.name === undefined) {
      throw new MlflowError(
        "INVALID_PARAMETER_VALUE",
        `${this.#store.uri} has no model registry: versions can be listed per model only`,
      );
    }
    const name = filter.name;
    const runs = filter.runId !== undefined
      ? [await this.#store.getRun(filter.runId)]
      : await this.#versionRuns(name, {});
    const aliases = await this.#aliases(name);
    return runs
      .map((r) => this.#version(name, r, aliases))
      .filter((v): v is ModelVersion => v !== null)
      .sort((a, b) => Number(b.version) - Number(a.version));
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string) {
    const mv = await this.getModelVersion(name, version);
    await this.#store.logBatch(mv.runId!, { tags: { [registryTag(name, `tag.${key}`)]: value } });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkAlias(alias);
    await this.getModelVersion(name, version);
    const home = (await this.#home(name))!;
    await this.#store.setExperimentTag(
      home.experimentId,
      registryTag(name, `alias.${alias}`),
      version,
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    checkAlias(alias);
    const home = await this.#home(name);
    if (home) {
      await this.#store.setExperimentTag(
        home.experimentId,
        registryTag(name, `alias.${alias}`),
        "",
      );
    }
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    checkAlias(alias);
    const version = (await this.getRegisteredModel(name))?.aliases[alias];
    if (!version) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `registered model '${name}' has no alias '${alias}' (kept in tags on ${this.#store.uri})`,
      );
    }
    return await this.getModelVersion(name, version);
  }

  /** The experiment holding the model's tags (the first that names it). */
  async #home(name: string): Promise<Experiment | null> {
    const key = registryTag(name, "name");
    return (await this.#store.listExperiments()).find((e) => e.tags[key] === name) ?? null;
  }

  async #aliases(name: string): Promise<Record<string, string>> {
    return (await this.getRegisteredModel(name))?.aliases ?? {};
  }

  /** Runs that are versions of `name` (with `extra` tag values), in every experiment. */
  async #versionRuns(name: string, extra: Record<string, string>): Promise<Run[]> {
    const ids = (await this.#store.listExperiments()).map((e) => e.experimentId);
    return await this.#store.searchRuns(ids, {
      tags: { [registryTag(name, "name")]: name, ...extra },
    });
  }

  #version(name: string, run: Run, aliases: Record<string, string>): ModelVersion | null {
    const t = run.data.tags;
    const version = t[registryTag(name, "version")];
    if (t[registryTag(name, "name")] !== name || !/^\d+$/.test(version ?? "")) return null;
    const prefix = registryTag(name, "tag.");
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(t)) {
      if (k.startsWith(prefix)) tags[k.slice(prefix.length)] = v;
    }
    const created = Number(t[registryTag(name, "created")] ?? run.info.startTime);
    const source = t[registryTag(name, "source")] ?? "";
    return {
      name,
      version,
      creationTimestamp: created,
      lastUpdatedTimestamp: created,
      currentStage: "None",
      description: null,
      source,
      runId: run.info.runId,
      status: "READY",
      aliases: Object.keys(aliases).filter((a) => aliases[a] === version).sort(),
      tags,
      modelId: /^models:\/(m-[\w-]+)$/.exec(source)?.[1] ?? null,
    };
  }
}
