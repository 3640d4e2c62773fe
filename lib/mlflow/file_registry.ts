/**
 * The model registry of the file store: `mlruns/models/`, in the layout
 * MLflow's own file store writes (see `file_store.ts` for the whole tree,
 * crash safety and concurrency).
 *
 * ```
 * models/<name>/meta.yaml, aliases/<alias>, tags/<key>, version-<n>/meta.yaml, version-<n>/tags/
 * models/.mlops-model-<md5(name)>.lock   (ours; MLflow ignores files there)
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import {
  atomicWrite,
  exists,
  field,
  isCorrupt,
  isDir,
  listDir,
  millis,
  readValues,
  readYaml,
  tmpPath,
  toYaml,
  withLock,
} from "./_fs.ts";
import { md5Hex } from "./_ids.ts";
import { checkAlias, checkKey, checkModelName } from "./_names.ts";
import { MlflowError } from "./errors.ts";
import type {
  CreateModelVersionOptions,
  LoggedModel,
  ModelVersion,
  ModelVersionFilter,
  RegisteredModel,
} from "./types.ts";

const META = "meta.yaml";
const MODELS = "models";
/** Stage of versions MLflow has deleted but keeps on disk. */
const DELETED_STAGE = "Deleted_Internal";

/** What the registry needs from the store it belongs to. */
export interface FileRegistryHost {
  /** Absolute path of the store folder. */
  readonly root: string;
  /** Throws unless the root is a folder (or absent, to be created). */
  checkRoot(): Promise<void>;
  /** Creates the root (with the default experiment) if needed. */
  ensureRoot(): Promise<void>;
  /** A logged model, for the storage location of its versions. */
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  /** Reports a corrupt entry skipped while listing. */
  skip(what: string, e: UserError): void;
}

/**
 * Registered models, versions, tags and aliases under `<root>/models/`;
 * `FileStore` exposes them as part of its `TrackingStore`.
 *
 * @example
 * ```ts
 * import { FileStore } from "./file_store.ts";
 *
 * const store = new FileStore("./mlruns");
 * await store.createRegisteredModel("churn");
 * const mv = await store.createModelVersion({ name: "churn", source: "models:/m-1" });
 * await store.setAlias("churn", "champion", mv.version);
 * ```
 */
export class FileRegistry {
  readonly #host: FileRegistryHost;

  constructor(host: FileRegistryHost) {
    this.#host = host;
  }

  get root(): string {
    return this.#host.root;
  }

  async createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    checkModelName(name);
    await this.#host.ensureRoot();
    const dir = this.#modelDir(name);
    if (await exists(join(dir, META))) {
      throw new MlflowError(
        "RESOURCE_ALREADY_EXISTS",
        `registered model '${name}' already exists`,
      );
    }
    const now = Date.now();
    const model: RegisteredModel = {
      name,
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      description: description ?? null,
      aliases: {},
      tags: {},
    };
    // Assembled under a hidden name, then renamed: MLflow lists every folder
    // under models/ and fails on one without meta.yaml.
    const modelsDir = join(this.root, MODELS);
    const tmp = await tmpPath(modelsDir, "model");
    await Deno.mkdir(tmp, { recursive: true });
    await atomicWrite(join(tmp, META), registeredModelYaml(model), tmp);
    try {
      await Deno.rename(tmp, dir);
    } catch (e) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      if (await exists(join(dir, META))) {
        throw new MlflowError(
          "RESOURCE_ALREADY_EXISTS",
          `registered model '${name}' already exists`,
        );
      }
      throw e;
    }
    return model;
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | null> {
    checkModelName(name);
    await this.#host.checkRoot();
    const dir = this.#modelDir(name);
    const path = join(dir, META);
    if (!await exists(path)) return null;
    const meta = await readYaml(path);
    return {
      name: String(field(meta, "name", path)),
      creationTimestamp: millis(meta.creation_timestamp) ?? 0,
      lastUpdatedTimestamp: millis(meta.last_updated_timestamp) ?? 0,
      description: meta.description == null ? null : String(meta.description),
      aliases: await this.#readAliases(name),
      tags: await readValues(join(dir, "tags")),
    };
  }

  async createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    const model = await this.#requireModel(options.name);
    const dir = this.#modelDir(model.name);
    // Each failed attempt means another writer took that number; allow many.
    for (let attempt = 0; attempt < 100; attempt++) {
      const versions = await this.#versionNumbers(dir);
      const version = String(versions.length ? Math.max(...versions) + 1 : 1);
      const now = Date.now();
      const mv: ModelVersion = {
        name: model.name,
        version,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        currentStage: "None",
        description: options.description ?? null,
        source: options.source,
        runId: options.runId ?? null,
        status: "READY",
        aliases: [],
        tags: { ...options.tags },
        modelId: options.modelId ?? null,
      };
      // As MLflow: a version of a logged model is stored where the model's files are.
      const storage = mv.modelId
        ? (await this.#host.getLoggedModel(mv.modelId)).artifactLocation
        : mv.source;
      // Hidden while assembled: MLflow reads every `version-*` folder.
      const tmp = await tmpPath(dir, `version-${version}`);
      await Deno.mkdir(tmp, { recursive: true });
      await atomicWrite(join(tmp, META), modelVersionYaml(mv, storage), tmp);
      for (const [k, v] of Object.entries(mv.tags)) {
        checkKey("tag", k);
        await atomicWrite(join(tmp, "tags", k), v, tmp);
      }
      try {
        if (await exists(join(dir, `version-${version}`))) throw new Error("taken");
        await Deno.rename(tmp, join(dir, `version-${version}`));
      } catch {
        // Another writer took this number: try the next one.
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
        continue;
      }
      await this.#touchModel(model.name, now);
      return mv;
    }
    throw new MlflowError("INTERNAL_ERROR", `could not create a version of '${model.name}'`);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    await this.#requireModel(name);
    const mv = await this.#readVersion(name, version);
    if (!mv) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `model version ${name}/${version} not found in ${this.root}`,
      );
    }
    return mv;
  }

  async searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]> {
    await this.#host.checkRoot();
    const names = filter.name !== undefined
      ? [filter.name]
      : (await listDir(join(this.root, MODELS))).filter((e) => e.isDirectory).map((e) => e.name);
    const out: ModelVersion[] = [];
    for (const name of names) {
      checkModelName(name);
      for (const v of await this.#versionNumbers(this.#modelDir(name))) {
        const mv = await this.#readVersion(name, String(v));
        if (mv && (filter.runId === undefined || mv.runId === filter.runId)) out.push(mv);
      }
    }
    return out.sort((a, b) =>
      a.name.localeCompare(b.name) || Number(b.version) - Number(a.version)
    );
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string) {
    checkKey("tag", key);
    const mv = await this.getModelVersion(name, version);
    const vdir = join(this.#modelDir(mv.name), `version-${mv.version}`);
    await atomicWrite(join(vdir, "tags", key), value, vdir);
    await this.#touchModel(name);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkAlias(alias);
    const mv = await this.getModelVersion(name, version);
    const dir = this.#modelDir(name);
    await atomicWrite(join(dir, "aliases", alias), mv.version, dir);
    await this.#touchModel(name);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    checkAlias(alias);
    await this.#requireModel(name);
    await Deno.remove(join(this.#modelDir(name), "aliases", alias)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await this.#touchModel(name);
  }

  async lockRegisteredModel<T>(name: string, fn: () => Promise<T>): Promise<T> {
    checkModelName(name);
    await this.#host.checkRoot();
    // Beside the model's folder, not in it: the folder may not exist yet, and
    // MLflow reads every folder under models/ as a model (files it ignores).
    const lock = join(this.root, MODELS, `.mlops-model-${md5Hex(name)}.lock`);
    return await withLock(lock, `changing registered model '${name}'`, fn);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    checkAlias(alias);
    await this.#host.checkRoot();
    const dir = this.#modelDir(name);
    if (!await exists(join(dir, META))) await this.#requireModel(name); // throws: no such model
    const path = join(dir, "aliases", alias);
    const text = await Deno.readTextFile(path).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    });
    if (text === null) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `registered model '${name}' has no alias '${alias}'`,
      );
    }
    return await this.getModelVersion(name, aliasVersion(text, path));
  }

  // ---- internals --------------------------------------------------------

  #modelDir(name: string): string {
    checkModelName(name);
    return join(this.root, MODELS, name);
  }

  async #requireModel(name: string): Promise<RegisteredModel> {
    const model = await this.getRegisteredModel(name);
    if (!model) {
      throw new MlflowError(
        "RESOURCE_DOES_NOT_EXIST",
        `registered model '${name}' not found in ${this.root}`,
      );
    }
    return model;
  }

  async #versionNumbers(modelDir: string): Promise<number[]> {
    const out: number[] = [];
    for (const e of await listDir(modelDir)) {
      const m = /^version-(\d+)$/.exec(e.name);
      if (m && e.isDirectory && await exists(join(modelDir, e.name, META))) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  async #readVersion(name: string, version: string): Promise<ModelVersion | null> {
    if (!/^\d+$/.test(version)) return null;
    const modelDir = this.#modelDir(name);
    const dir = join(modelDir, `version-${Number(version)}`);
    const path = join(dir, META);
    if (!await isDir(dir) || !await exists(path)) return null;
    const meta = await readYaml(path);
    const stage = String(meta.current_stage ?? "None");
    if (stage === DELETED_STAGE) return null;
    const v = String(field(meta, "version", path));
    const aliases = await this.#readAliases(name);
    return {
      name: String(meta.name ?? name),
      version: v,
      creationTimestamp: millis(meta.creation_timestamp) ?? 0,
      lastUpdatedTimestamp: millis(meta.last_updated_timestamp) ?? 0,
      currentStage: stage,
      description: meta.description == null ? null : String(meta.description),
      source: String(meta.source ?? meta.storage_location ?? ""),
      runId: meta.run_id == null || meta.run_id === "" ? null : String(meta.run_id),
      status: String(meta.status ?? "READY"),
      aliases: Object.keys(aliases).filter((a) => aliases[a] === v).sort(),
      tags: await readValues(join(dir, "tags")),
      modelId: meta.model_id ? String(meta.model_id) : null,
    };
  }

  /**
   * A registered model's aliases (alias → version). An alias whose file does
   * not hold a version number is left out, with a warning naming the file.
   */
  async #readAliases(name: string): Promise<Record<string, string>> {
    const dir = join(this.#modelDir(name), "aliases");
    const out: Record<string, string> = {};
    for (const [alias, text] of Object.entries(await readValues(dir))) {
      try {
        out[alias] = aliasVersion(text, join(dir, alias));
      } catch (e) {
        if (!isCorrupt(e)) throw e;
        this.#host.skip(`alias '${alias}' of registered model '${name}'`, e);
      }
    }
    return out;
  }

  /** Bumps `last_updated_timestamp` and mirrors the aliases, as MLflow does. */
  async #touchModel(name: string, when = Date.now()): Promise<void> {
    const model = await this.#requireModel(name);
    const dir = this.#modelDir(name);
    await atomicWrite(
      join(dir, META),
      registeredModelYaml({ ...model, lastUpdatedTimestamp: when }),
      dir,
    );
  }
}

/**
 * The version an alias file names. Whitespace around it is ignored (a file
 * written with `echo 2 > aliases/champion` ends in a newline); anything but
 * decimal digits is a corrupt alias, reported with its file.
 */
function aliasVersion(text: string, path: string): string {
  const t = text.trim();
  if (/^\d{1,15}$/.test(t)) return String(Number(t));
  const shown = JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t);
  throw new UserError(`corrupted MLflow alias in ${path}: ${shown} is not a version number`, {
    code: "MLFLOW_CORRUPT",
  });
}

function registeredModelYaml(m: RegisteredModel): string {
  return toYaml({
    aliases: { ...m.aliases },
    creation_timestamp: m.creationTimestamp,
    description: m.description,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    name: m.name,
  });
}

function modelVersionYaml(mv: ModelVersion, storageLocation: string): string {
  return toYaml({
    aliases: [],
    creation_timestamp: mv.creationTimestamp,
    current_stage: mv.currentStage,
    description: mv.description,
    last_updated_timestamp: mv.lastUpdatedTimestamp,
    ...(mv.modelId ? { model_id: mv.modelId } : {}),
    name: mv.name,
    run_id: mv.runId,
    run_link: null,
    source: mv.source,
    status: mv.status,
    status_message: null,
    storage_location: storageLocation,
    user_id: null,
    version: Number(mv.version),
  });
}
