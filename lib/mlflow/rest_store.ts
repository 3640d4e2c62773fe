/**
 * The REST store: a tracking server (MLflow, or a hosted one such as
 * DagsHub) through MLflow's REST API 2.0, with artifacts through the
 * server's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/<path>`).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { UserError } from "../errors.ts";
import { type ByteBudget, capStream } from "../read_capped.ts";
import { redact, redactUri } from "../redact.ts";
import { env } from "./_env.ts";
import { tmpPath, walkFiles } from "./_fs.ts";
import { checkArtifactPath } from "./_names.ts";
import {
  badAnswer,
  confirmInside,
  listedName,
  segmentProblem,
  serverVersion,
} from "./_server_paths.ts";
import { chunkBatch } from "./batch.ts";
import { hasErrorCode, isUnsupported, MlflowError } from "./errors.ts";
import { RestClient, type RestClientOptions } from "./rest_client.ts";
import { TagRegistry } from "./tag_registry.ts";
import {
  type ArtifactFile,
  type CreateLoggedModelOptions,
  type CreateModelVersionOptions,
  type CreateRunOptions,
  type DatasetInput,
  type Experiment,
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelFilter,
  type LoggedModelStatus,
  type Metric,
  type ModelOutput,
  type ModelVersion,
  type ModelVersionFilter,
  type RegisteredModel,
  type Run,
  type RunBatch,
  type RunFilter,
  type RunInfo,
  type RunStatus,
  type TrackingStore,
} from "./types.ts";

/** Path of the artifact proxy under a tracking URI. */
const ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts";
/** Page size for searches: every server supports at least 1000. */
const PAGE = 1000;
/** Page size for logged-model searches (MLflow's documented maximum). */
const MODEL_PAGE = 50;
/** Page size for metric histories (MLflow's own default). */
const HISTORY_PAGE = 25_000;
/** Deepest artifact tree a download follows (a listing could recurse forever). */
const MAX_ARTIFACT_DEPTH = 32;
/** Default cap on the files of one download: a few times the largest sane model. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024;

// deno-lint-ignore no-explicit-any
type Json = any;

/** Options of {@link RestStore}: the client's, and where one-line notices go. */
export interface RestStoreOptions extends RestClientOptions {
  /** Prints a warning (the server has no registry); default stderr. */
  warn?: (message: string) => void;
  /**
   * Most bytes one artifact download writes to disk, all files together;
   * default 1 GiB (`MLOPS_MAX_DOWNLOAD_MB`, in MiB).
   */
  maxDownloadBytes?: number;
}

/**
 * A tracking store talking to an MLflow tracking server. A server without
 * a model registry (DagsHub's) is detected on the first registry call; from
 * then on versions and aliases are kept in tags ({@link TagRegistry}).
 *
 * @example
 * ```ts
 * import { RestStore } from "./rest_store.ts";
 *
 * const store = new RestStore("http://127.0.0.1:5000");
 * const experiments = await store.listExperiments();
 * ```
 */
export class RestStore implements TrackingStore {
  readonly kind = "rest" as const;
  readonly uri: string;
  readonly client: RestClient;
  /** Artifact URI per run id, so artifact calls need no extra `runs/get`. */
  readonly #artifactUris = new Map<string, string>();
  readonly #warn: (message: string) => void;
  readonly #maxDownloadBytes: number;
  /** Set once the server turned out to have no registry. */
  #tags: TagRegistry | null = null;

  constructor(uri: string, options: RestStoreOptions = {}) {
    // The client keeps the credentials; what users see (messages, tags) never has them.
    this.uri = redactUri(uri.replace(/\/+$/, ""));
    this.client = new RestClient(uri, options);
    this.#warn = options.warn ?? ((m) => console.error(redact(m)));
    const maxMb = Number(env("MLOPS_MAX_DOWNLOAD_MB"));
    this.#maxDownloadBytes = options.maxDownloadBytes ??
      (maxMb > 0 ? Math.floor(maxMb * 1024 * 1024) : DEFAULT_MAX_DOWNLOAD_BYTES);
  }

  /** Sets a tag on an experiment. */
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.client.call("POST", "mlflow/experiments/set-experiment-tag", {
      experiment_id: experimentId,
      key,
      value,
    });
  }

  // ---- experiments -------------------------------------------------------

  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const res = await this.client.call<Json>("GET", "mlflow/experiments/get-by-name", {
        experiment_name: name,
      });
      const exp = toExperiment(res.experiment);
      return exp.lifecycleStage === "active" ? exp : null;
    } catch (e) {
      if (hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) return null;
      throw e;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const res = await this.client.call<Json>("POST", "mlflow/experiments/create", { name });
    return String(res.experiment_id);
  }

  async listExperiments(): Promise<Experiment[]> {
    const out: Experiment[] = [];
    let page_token: string | undefined;
    do {
      const res = await this.client.call<Json>("POST", "mlflow/experiments/search", {
        max_results: PAGE,
        ...(page_token ? { page_token } : {}),
      });
      out.push(...(res.experiments ?? []).map(toExperiment));
      page_token = res.next_page_token || undefined;
    } while (page_token);
    return out.filter((e) => e.lifecycleStage === "active");
  }

  // ---- runs --------------------------------------------------------------

  async createRun(options: CreateRunOptions): Promise<RunInfo> {
    const res = await this.client.call<Json>("POST", "mlflow/runs/create", {
      experiment_id: options.experimentId,
      ...(options.userId ? { user_id: options.userId } : {}),
      ...(options.runName ? { run_name: options.runName } : {}),
      start_time: options.startTime ?? Date.now(),
      tags: keyValues(options.tags ?? {}),
    }, { once: true });
    const info = toRunInfo(res.run?.info ?? {});
    this.#artifactUris.set(info.runId, info.artifactUri);
    return info;
  }

  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    const terminal = status !== "RUNNING" && status !== "SCHEDULED";
    await this.client.call("POST", "mlflow/runs/update", {
      run_id: runId,
      status,
      ...(terminal ? { end_time: endTime ?? Date.now() } : {}),
    });
  }

  async logBatch(runId: string, batch: RunBatch): Promise<void> {
    for (const chunk of chunkBatch(batch)) {
      await this.client.call("POST", "mlflow/runs/log-batch", {
        run_id: runId,
        metrics: chunk.metrics.map((m) => ({
          key: m.key,
          value: jsonDouble(m.value),
          timestamp: m.timestamp,
          step: m.step,
          ...(m.modelId ? { model_id: m.modelId } : {}),
        })),
        params: chunk.params.map(([key, value]) => ({ key, value })),
        tags: chunk.tags.map(([key, value]) => ({ key, value })),
      });
    }
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    if (!inputs.length) return;
    await this.client.call("POST", "mlflow/runs/log-inputs", {
      run_id: runId,
      datasets: inputs.map(({ dataset: d, tags }) => ({
        tags: keyValues(tags),
        dataset: {
          name: d.name,
          digest: d.digest,
          source_type: d.sourceType,
          source: d.source,
          ...(d.schema !== null ? { schema: d.schema } : {}),
          ...(d.profile !== null ? { profile: d.profile } : {}),
        },
      })),
    });
  }

  async logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    if (!outputs.length) return;
    await this.client.call("POST", "mlflow/runs/outputs", {
      run_id: runId,
      models: outputs.map((o) => ({ model_id: o.modelId, step: o.step })),
    });
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.client.call<Json>("GET", "mlflow/runs/get", { run_id: runId });
    const run = toRun(res.run ?? {});
    this.#artifactUris.set(run.info.runId, run.info.artifactUri);
    return run;
  }

  async searchRuns(experimentIds: string[], filter: RunFilter = {}): Promise<Run[]> {
    if (!experimentIds.length) return [];
    const tags = Object.entries(filter.tags ?? {});
    const filterString = tags
      .map(([k, v]) => `tags.\`${k}\` = '${v.replaceAll("'", "\\'")}'`)
      .join(" and ");
    const out: Run[] = [];
    let page_token: string | undefined;
    do {
      const res = await this.client.call<Json>("POST", "mlflow/runs/search", {
        experiment_ids: experimentIds,
        max_results: PAGE,
        ...(filterString ? { filter: filterString } : {}),
        ...(page_token ? { page_token } : {}),
      });
      out.push(...(res.runs ?? []).map(toRun));
      page_token = res.next_page_token || undefined;
    } while (page_token);
    // Re-check locally: a server ignoring part of the filter must not cause false matches.
    return out.filter((r) => tags.every(([k, v]) => r.data.tags[k] === v));
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let page_token: string | undefined;
    do {
      const res = await this.client.call<Json>("GET", "mlflow/metrics/get-history", {
        run_id: runId,
        metric_key: key,
        // Always sent: MLflow 3's server reads a missing max_results as 0 and
        // answers an empty page with a token it then refuses.
        max_results: HISTORY_PAGE,
        ...(page_token ? { page_token } : {}),
      });
      const page = (res.metrics ?? []).map(toMetric);
      out.push(...page);
      // An empty page ends the history even if a token came with it: some servers
      // always send one, and following it would never end.
      page_token = page.length ? res.next_page_token || undefined : undefined;
    } while (page_token);
    return out;
  }

  // ---- artifacts ---------------------------------------------------------

  async logArtifact(runId: string, localPath: string, artifactPath = ""): Promise<void> {
    checkArtifactPath(artifactPath);
    await this.#upload(await this.#artifactUri(runId), localPath, artifactPath);
  }

  /** Uploads a file or a folder's files to `<artifactUri>/<artifactPath>/` through the proxy. */
  async #upload(artifactUri: string, localPath: string, artifactPath: string): Promise<void> {
    const root = this.#proxy(artifactUri);
    const stat = await Deno.stat(localPath).catch(() => null);
    if (!stat) throw new UserError(`artifact not found: ${localPath}`, { code: "NOT_FOUND" });
    const files = stat.isDirectory
      ? (await walkFiles(localPath)).map((rel) => [join(localPath, rel), rel] as const)
      : [[localPath, basename(localPath)] as const];
    for (const [from, rel] of files) {
      const dest = artifactPath ? `${artifactPath}/${rel}` : rel;
      await this.client.request("PUT", `${root.fileUrl}/${encodePath(dest)}`, {
        body: await Deno.readFile(from),
        headers: { "Content-Type": "application/octet-stream" },
      });
    }
  }

  async listArtifacts(runId: string, path = ""): Promise<ArtifactFile[]> {
    checkArtifactPath(path);
    const root = this.#proxy(await this.#artifactUri(runId));
    const files = await this.#list(root.listUrl, joinPath(root.relPath, path));
    return files.map((f) => ({ ...f, path: joinPath(path, f.path) }));
  }

  async downloadArtifacts(uri: string, destDir: string): Promise<string> {
    const runs = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/.exec(uri);
    const model = /^models:\/(m-[\w-]+)(?:\/(.*))?$/.exec(uri);
    const artifactUri = runs
      ? joinPath(await this.#artifactUri(runs[1]), (runs[2] ?? "").replace(/\/+$/, ""))
      : model
      ? joinPath(
        (await this.getLoggedModel(model[1])).artifactLocation,
        (model[2] ?? "").replace(/\/+$/, ""),
      )
      : uri;
    const at = this.#proxy(artifactUri);
    // Downloaded next to destDir and renamed into place: a crash never
    // leaves a half-filled destDir behind, and what a killed download left
    // there is removed by the next one (tmpPath's stale-entry cleanup).
    const tmp = await tmpPath(dirname(destDir), basename(destDir));
    await Deno.mkdir(tmp, { recursive: true });
    const budget = { left: this.#maxDownloadBytes };
    try {
      const count = await this.#downloadTree(at.listUrl, at.relPath, at.fileUrl, tmp, budget);
      let result = destDir;
      if (count === 0) {
        // Not a folder: try it as a single file.
        const res = await this.client.request("GET", at.fileUrl, { allow404: true });
        if (res.status === 404) {
          await res.body?.cancel();
          throw new MlflowError("RESOURCE_DOES_NOT_EXIST", `no artifacts at ${uri}`);
        }
        const name = basename(at.relPath) || "artifact";
        const problem = segmentProblem(name);
        if (problem) throw badAnswer(this.uri, "an artifact named", name, problem);
        await this.#writeFile(await confirmInside(tmp, join(tmp, name)), res, uri, budget);
        result = join(destDir, name);
      }
      await Deno.remove(destDir, { recursive: true }).catch(() => {});
      await Deno.mkdir(dirname(destDir), { recursive: true });
      await Deno.rename(tmp, destDir);
      return result;
    } catch (e) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  // ---- logged models (MLflow 3) -------------------------------------------

  async createLoggedModel(o: CreateLoggedModelOptions): Promise<LoggedModel> {
    const res = await this.client.call<Json>("POST", "mlflow/logged-models", {
      experiment_id: o.experimentId,
      name: o.name,
      ...(o.sourceRunId ? { source_run_id: o.sourceRunId } : {}),
      ...(o.modelType ? { model_type: o.modelType } : {}),
      params: keyValues(o.params ?? {}),
      tags: keyValues(o.tags ?? {}),
    }, { once: true });
    return this.#loggedModel(res.model, "logged-models");
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const res = await this.client.call<Json>("GET", `mlflow/logged-models/${modelPath(modelId)}`);
    return this.#loggedModel(res.model, "logged-models/get");
  }

  async searchLoggedModels(
    experimentIds: string[],
    filter: LoggedModelFilter = {},
  ): Promise<LoggedModel[]> {
    if (!experimentIds.length) return [];
    const out: LoggedModel[] = [];
    let page_token: string | undefined;
    do {
      const res = await this.client.call<Json>("POST", "mlflow/logged-models/search", {
        experiment_ids: experimentIds,
        ...(filter.sourceRunId ? { filter: `source_run_id = '${filter.sourceRunId}'` } : {}),
        max_results: MODEL_PAGE,
        ...(page_token ? { page_token } : {}),
      });
      const page = (res.models ?? []).map((j: Json) =>
        this.#loggedModel(j, "logged-models/search")
      );
      out.push(...page);
      page_token = page.length ? res.next_page_token || undefined : undefined;
    } while (page_token);
    return out
      .filter((m) => filter.sourceRunId === undefined || m.sourceRunId === filter.sourceRunId)
      .sort((a, b) =>
        b.creationTimestamp - a.creationTimestamp || a.modelId.localeCompare(b.modelId)
      );
  }

  async setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void> {
    await this.client.call("PATCH", `mlflow/logged-models/${modelPath(modelId)}/tags`, {
      tags: keyValues(tags),
    });
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void> {
    await this.client.call("PATCH", `mlflow/logged-models/${modelPath(modelId)}`, {
      model_id: modelId,
      // The proto enum's number: PENDING 1, READY 2, UPLOAD_FAILED 3.
      status: LOGGED_MODEL_STATUSES.indexOf(status) + 1,
    });
  }

  async logLoggedModelArtifacts(modelId: string, localDir: string): Promise<void> {
    await this.#upload((await this.getLoggedModel(modelId)).artifactLocation, localDir, "");
  }

  /** A logged model from the server; its id becomes part of URIs, so it is checked here. */
  #loggedModel(j: Json, endpoint: string): LoggedModel {
    const m = toLoggedModel(j);
    if (!/^m-[\w-]{1,64}$/.test(m.modelId)) {
      throw badAnswer(
        this.uri,
        `${endpoint}: model.info.model_id`,
        j?.info?.model_id,
        "not a logged model id",
      );
    }
    return m;
  }

  // ---- model registry ----------------------------------------------------

  async createRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return await this.#registry(async () => {
      try {
        const res = await this.client.call<Json>("POST", "mlflow/registered-models/create", {
          name,
          ...(description ? { description } : {}),
        });
        return toRegisteredModel(res.registered_model ?? { name });
      } catch (e) {
        // Creating never answers "not found" on a server that has the endpoint.
        if (e instanceof MlflowError && e.status === 404) {
          throw new MlflowError("ENDPOINT_NOT_FOUND", e.message, { status: 404 });
        }
        throw e;
      }
    }, (r) => r.createRegisteredModel(name));
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | null> {
    return await this.#registry(async () => {
      try {
        const res = await this.client.call<Json>("GET", "mlflow/registered-models/get", { name });
        return toRegisteredModel(res.registered_model);
      } catch (e) {
        if (hasErrorCode(e, "RESOURCE_DOES_NOT_EXIST")) return null;
        throw e;
      }
    }, (r) => r.getRegisteredModel(name));
  }

  async createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    return await this.#registry(() => this.#createModelVersion(o), (r) => r.createModelVersion(o));
  }

  async #createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    const res = await this.client.call<Json>("POST", "mlflow/model-versions/create", {
      name: o.name,
      source: o.source,
      ...(o.runId ? { run_id: o.runId } : {}),
      ...(o.modelId ? { model_id: o.modelId } : {}),
      ...(o.description ? { description: o.description } : {}),
      tags: keyValues(o.tags ?? {}),
    }, { once: true });
    return this.#version(res.model_version, "model-versions/create");
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return await this.#registry(async () => {
      const res = await this.client.call<Json>("GET", "mlflow/model-versions/get", {
        name,
        version,
      });
      return this.#version(res.model_version, "model-versions/get");
    }, (r) => r.getModelVersion(name, version));
  }

  async searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]> {
    return await this.#registry(
      () => this.#searchModelVersions(filter),
      (r) => r.searchModelVersions(filter),
    );
  }

  async #searchModelVersions(filter: ModelVersionFilter): Promise<ModelVersion[]> {
    const clauses: string[] = [];
    if (filter.name !== undefined) clauses.push(`name='${filter.name.replaceAll("'", "\\'")}'`);
    if (filter.runId !== undefined) clauses.push(`run_id='${filter.runId}'`);
    const out: ModelVersion[] = [];
    let page_token: string | undefined;
    do {
      const res = await this.client.call<Json>("GET", "mlflow/model-versions/search", {
        ...(clauses.length ? { filter: clauses.join(" and ") } : {}),
        max_results: PAGE,
        ...(page_token ? { page_token } : {}),
      });
      for (const j of res.model_versions ?? []) {
        out.push(this.#version(j, "model-versions/search"));
      }
      page_token = res.next_page_token || undefined;
    } while (page_token);
    return out
      .filter((v) => filter.runId === undefined || v.runId === filter.runId)
      .sort((a, b) => a.name.localeCompare(b.name) || Number(b.version) - Number(a.version));
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string) {
    await this.#registry(
      () =>
        this.client.call("POST", "mlflow/model-versions/set-tag", { name, version, key, value }),
      (r) => r.setModelVersionTag(name, version, key, value),
    );
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.#registry(
      () => this.client.call("POST", "mlflow/registered-models/alias", { name, alias, version }),
      (r) => r.setAlias(name, alias, version),
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#registry(
      () => this.client.call("DELETE", "mlflow/registered-models/alias", { name, alias }),
      (r) => r.deleteAlias(name, alias),
    );
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return await this.#registry(
      () => this.#getModelVersionByAlias(name, alias),
      (r) => r.getModelVersionByAlias(name, alias),
    );
  }

  async #getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    try {
      const res = await this.client.call<Json>("GET", "mlflow/registered-models/alias", {
        name,
        alias,
      });
      return this.#version(res.model_version, "registered-models/alias");
    } catch (e) {
      // Servers disagree on the code for a missing alias; normalize it.
      if (hasErrorCode(e, "INVALID_PARAMETER_VALUE") && /alias/i.test(e.message)) {
        throw new MlflowError("RESOURCE_DOES_NOT_EXIST", e.message, { status: e.status ?? 404 });
      }
      throw e;
    }
  }

  // ---- internals ---------------------------------------------------------

  /**
   * A registry call, or its tag-registry twin once the server turned out to
   * have no registry: the first call that finds out says so, in one line.
   */
  async #registry<T>(call: () => Promise<T>, inTags: (r: TagRegistry) => Promise<T>): Promise<T> {
    if (this.#tags) return await inTags(this.#tags);
    try {
      return await call();
    } catch (e) {
      if (!isUnsupported(e)) throw e;
      this.#tags = new TagRegistry(this);
      this.#warn(
        `mlops: warning: MLflow at ${this.uri} has no model registry (it answered ${e.status} ` +
          `to a registry call); keeping versions and aliases as tags on runs and experiments ` +
          `(mlops.registry.*)`,
      );
      return await inTags(this.#tags);
    }
  }

  /** A model version from the server; its number names a cache folder, so it is checked here. */
  #version(j: Json, endpoint: string): ModelVersion {
    const mv = toModelVersion(j);
    mv.version = serverVersion(this.uri, `${endpoint}: model_version.version`, j?.version);
    return mv;
  }

  async #artifactUri(runId: string): Promise<string> {
    return this.#artifactUris.get(runId) ?? (await this.getRun(runId)).info.artifactUri;
  }

  /**
   * Maps an artifact URI onto the server's proxy, as MLflow's
   * `MlflowArtifactsRepository.resolve_uri` does: `mlflow-artifacts:/<p>`
   * becomes `<tracking uri>/api/2.0/mlflow-artifacts/artifacts/<p>`.
   */
  #proxy(artifactUri: string): { fileUrl: string; listUrl: string; relPath: string } {
    const tracking = new URL(this.uri);
    const base = tracking.pathname.replace(/\/+$/, "");
    // Credentials go with every request: an artifact location (a run's, a logged model's)
    // on another host would send them there.
    const sameHost = (host: string) => {
      if (host && host !== tracking.host) {
        throw badAnswer(
          this.uri,
          "an artifact location",
          artifactUri,
          `it is on another host than the tracking server (${host}); mlops sends credentials ` +
            `only to the tracking server`,
        );
      }
    };
    if (artifactUri.startsWith("mlflow-artifacts:")) {
      const u = new URL(artifactUri);
      sameHost(u.host);
      const origin = `${tracking.protocol}//${tracking.host}`;
      const relPath = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, "");
      const listUrl = `${origin}${base}${ARTIFACTS_API}`;
      return { listUrl, relPath, fileUrl: relPath ? `${listUrl}/${encodePath(relPath)}` : listUrl };
    }
    const i = artifactUri.indexOf(ARTIFACTS_API);
    if (/^https?:/.test(artifactUri) && i >= 0) {
      sameHost(new URL(artifactUri).host);
      const listUrl = artifactUri.slice(0, i + ARTIFACTS_API.length);
      const relPath = decodeURIComponent(artifactUri.slice(listUrl.length)).replace(
        /^\/+|\/+$/g,
        "",
      );
      return { listUrl, relPath, fileUrl: artifactUri.replace(/\/+$/, "") };
    }
    throw new UserError(
      `artifacts at ${artifactUri} are not reachable through ${this.uri}: start the MLflow server ` +
        `with --serve-artifacts (the default since MLflow 2) so artifacts go through its proxy`,
      { code: "MLFLOW_URI" },
    );
  }

  async #list(listUrl: string, relPath: string): Promise<ArtifactFile[]> {
    const q = relPath ? `?${new URLSearchParams({ path: relPath })}` : "";
    const res = await this.client.request("GET", `${listUrl}${q}`, { allow404: true });
    if (res.status === 404) {
      await res.body?.cancel();
      return [];
    }
    const what = `GET ${ARTIFACTS_API}${relPath ? `?path=${relPath}` : ""}`;
    const json: Json = await this.client.readJson(res, what).catch((e) => {
      // Not JSON: as if nothing were listed (then it is tried as one file).
      if (e instanceof UserError && e.code === "MLFLOW_PROTOCOL") return {};
      throw e;
    });
    const files = json?.files ?? [];
    const where = `the artifact listing of '${relPath || "/"}'`;
    if (!Array.isArray(files)) throw badAnswer(this.uri, where, files, "expected a list of files");
    const seen = new Set<string>();
    return files.map((f: Json) => {
      const path = listedName(this.uri, relPath, f?.path);
      if (seen.has(path)) throw badAnswer(this.uri, where, path, "the name is listed twice");
      seen.add(path);
      return {
        path,
        isDir: f.is_dir === true,
        fileSize: f.file_size == null ? null : Number(f.file_size),
      };
    });
  }

  /**
   * Downloads the folder at `relPath` into `dest` (below `root`, the folder
   * being filled); returns the number of files. Names were checked by
   * {@link RestStore.#list}; each write is confirmed to stay inside `root`.
   */
  async #downloadTree(
    listUrl: string,
    relPath: string,
    fileUrl: string,
    dest: string,
    budget: ByteBudget,
    root = dest,
    depth = 0,
  ): Promise<number> {
    if (depth > MAX_ARTIFACT_DEPTH) {
      throw badAnswer(
        this.uri,
        "an artifact tree at",
        relPath,
        `deeper than ${MAX_ARTIFACT_DEPTH}`,
      );
    }
    let count = 0;
    for (const f of await this.#list(listUrl, relPath)) {
      const url = `${fileUrl}/${encodeURIComponent(f.path)}`;
      const local = await confirmInside(root, join(dest, f.path));
      if (f.isDir) {
        await Deno.mkdir(local);
        const sub = joinPath(relPath, f.path);
        count += await this.#downloadTree(listUrl, sub, url, local, budget, root, depth + 1);
        continue;
      }
      const res = await this.client.request("GET", url);
      await this.#writeFile(local, res, joinPath(relPath, f.path), budget, true);
      count++;
    }
    return count;
  }

  /**
   * Streams a downloaded file to disk: a file's size is the server's to
   * choose, memory is not. The files of one download share `budget`.
   */
  async #writeFile(
    path: string,
    res: Response,
    what: string,
    budget: ByteBudget,
    createNew = false,
  ): Promise<void> {
    const max = this.#maxDownloadBytes;
    const tooLarge = () =>
      new UserError(
        `MLflow at ${this.uri} sent more than ${max / 1024 / 1024} MiB of artifacts ` +
          `(at ${what}): stopped the download (MLOPS_MAX_DOWNLOAD_MB raises the cap)`,
        { code: "MLFLOW_TOO_LARGE" },
      );
    if (Number(res.headers.get("content-length")) > budget.left) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    const body = res.body ? capStream(res.body, budget, tooLarge) : new Uint8Array();
    await Deno.writeFile(path, body, { createNew });
  }
}

// ---- JSON mapping ----------------------------------------------------------

function keyValues(record: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

function record(list: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) out[String(kv.key)] = kv.value == null ? "" : String(kv.value);
  return out;
}

/** int64 fields may arrive as numbers or (proto JSON) strings. */
function int(v: Json): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Doubles go out as numbers, or as proto JSON's "NaN"/"Infinity" strings. */
function jsonDouble(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

function toExperiment(j: Json): Experiment {
  return {
    experimentId: String(j?.experiment_id ?? ""),
    name: String(j?.name ?? ""),
    artifactLocation: String(j?.artifact_location ?? ""),
    lifecycleStage: j?.lifecycle_stage === "deleted" ? "deleted" : "active",
    creationTime: int(j?.creation_time),
    lastUpdateTime: int(j?.last_update_time),
    tags: record(j?.tags),
  };
}

function toRunInfo(j: Json): RunInfo {
  return {
    runId: String(j.run_id ?? j.run_uuid ?? ""),
    runName: String(j.run_name ?? ""),
    experimentId: String(j.experiment_id ?? ""),
    userId: String(j.user_id ?? ""),
    status: (j.status ?? "RUNNING") as RunStatus,
    startTime: int(j.start_time) ?? 0,
    endTime: int(j.end_time),
    artifactUri: String(j.artifact_uri ?? ""),
    lifecycleStage: j.lifecycle_stage === "deleted" ? "deleted" : "active",
  };
}

function toMetric(j: Json): Metric {
  return {
    key: String(j.key),
    value: Number(j.value),
    timestamp: int(j.timestamp) ?? 0,
    step: int(j.step) ?? 0,
  };
}

function toRun(j: Json): Run {
  const info = toRunInfo(j.info ?? {});
  const tags = record(j.data?.tags);
  if (!info.runName) info.runName = tags["mlflow.runName"] ?? "";
  return {
    info,
    data: {
      metrics: (j.data?.metrics ?? []).map(toMetric).sort((a: Metric, b: Metric) =>
        a.key.localeCompare(b.key)
      ),
      params: record(j.data?.params),
      tags,
    },
    outputs: (j.outputs?.model_outputs ?? []).map((o: Json) => ({
      modelId: String(o?.model_id ?? ""),
      step: int(o?.step) ?? 0,
    })),
    inputs: (j.inputs?.dataset_inputs ?? []).map((i: Json) => ({
      tags: record(i.tags),
      dataset: {
        name: String(i.dataset?.name ?? ""),
        digest: String(i.dataset?.digest ?? ""),
        sourceType: String(i.dataset?.source_type ?? ""),
        source: String(i.dataset?.source ?? ""),
        schema: i.dataset?.schema ?? null,
        profile: i.dataset?.profile ?? null,
      },
    })),
  };
}

function toRegisteredModel(j: Json): RegisteredModel {
  const aliases: Record<string, string> = {};
  for (const a of j?.aliases ?? []) aliases[String(a.alias)] = String(a.version);
  return {
    name: String(j?.name ?? ""),
    creationTimestamp: int(j?.creation_timestamp) ?? 0,
    lastUpdatedTimestamp: int(j?.last_updated_timestamp) ?? 0,
    description: j?.description ?? null,
    aliases,
    tags: record(j?.tags),
  };
}

function toModelVersion(j: Json): ModelVersion {
  return {
    name: String(j?.name ?? ""),
    version: String(j?.version ?? ""),
    creationTimestamp: int(j?.creation_timestamp) ?? 0,
    lastUpdatedTimestamp: int(j?.last_updated_timestamp) ?? 0,
    currentStage: String(j?.current_stage ?? "None"),
    description: j?.description ?? null,
    source: String(j?.source ?? ""),
    runId: j?.run_id ? String(j.run_id) : null,
    status: String(j?.status ?? "READY"),
    aliases: (j?.aliases ?? []).map(String),
    tags: record(j?.tags),
    modelId: j?.model_id ? String(j.model_id) : null,
  };
}

function toLoggedModel(j: Json): LoggedModel {
  const info = j?.info ?? {};
  const data = j?.data ?? {};
  const status = String(info.status ?? "").replace(/^LOGGED_MODEL_/, "");
  return {
    modelId: String(info.model_id ?? ""),
    experimentId: String(info.experiment_id ?? ""),
    name: String(info.name ?? ""),
    artifactLocation: String(info.artifact_uri ?? ""),
    creationTimestamp: int(info.creation_timestamp_ms) ?? 0,
    lastUpdatedTimestamp: int(info.last_updated_timestamp_ms) ?? 0,
    status: status === "READY" ? "READY" : status === "UPLOAD_FAILED" ? "FAILED" : "PENDING",
    sourceRunId: info.source_run_id ? String(info.source_run_id) : null,
    modelType: info.model_type ? String(info.model_type) : null,
    params: record(data.params),
    tags: record(info.tags),
  };
}

/** A logged model id as one URL path segment. */
function modelPath(modelId: string): string {
  return encodeURIComponent(modelId);
}

function joinPath(a: string, b: string): string {
  return [a, b].filter(Boolean).join("/");
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
