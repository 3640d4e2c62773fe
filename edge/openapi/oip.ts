/**
 * The Open Inference Protocol (V2) part of the OpenAPI document: its paths
 * and schemas, after KServe's `open_inference_rest.yaml`, with the served
 * model's inputs as the example.
 *
 * @module
 */
import type { ServingModel } from "../serving/serving_model.ts";
import type { JsonSchema } from "./instance_schema.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema, example?: unknown) => ({
  "application/json": example === undefined ? { schema } : { schema, example },
});
const error = (description: string) => ({ description, content: json(ref("OipError")) });

/**
 * `paths` and `schemas` to merge into the document.
 *
 * @example
 * ```ts
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const holder: ModelHolder;
 * const oip = oipOpenApi(holder.model, { secured: [], auth: false, limits: "" });
 * Object.keys(oip.paths); // ["/v2/health/live", ...]
 * ```
 */
export function oipOpenApi(
  model: ServingModel | undefined,
  options: { secured: unknown[]; auth: boolean; limits: string },
): { paths: Record<string, unknown>; schemas: Record<string, JsonSchema> } {
  const example = model ? inferExample(model) : { inputs: [] };
  const name = { name: "name", in: "path", required: true, schema: { type: "string" } };
  const version = { name: "version", in: "path", required: true, schema: { type: "string" } };
  const notServed = error("This edge serves no model of that name (or version).");
  const infer = (params: unknown[]) => ({
    post: {
      summary: "Open Inference Protocol (V2) inference",
      description: "KServe / Triton / MLServer REST inference. Send one input per feature, " +
        "named after it, shape `[N]` or `[N, 1]` (BYTES for categories, FP*, INT* or UINT* " +
        "for numbers), or a single 2-D input `[N, features]` in the order of the model " +
        "metadata's inputs. Tensor data is row-major, flat or nested; `null` is a missing value. " +
        "Outputs: `label` (BYTES `[N]`) and `probabilities` (FP64 `[N, classes]`, columns in " +
        "`parameters.classes` order). With a challenger, it takes part as on /v1/predict " +
        "(shadow: it scores every request, unseen; split: it answers its share of clients, " +
        "sticky per API key or X-Client-Id); a version in the path pins that model, the " +
        "challenger's included. " + options.limits,
      parameters: params,
      security: options.secured,
      requestBody: { required: true, content: json(ref("InferenceRequest"), example) },
      responses: {
        "200": { description: "Outputs.", content: json(ref("InferenceResponse")) },
        "400": error("Invalid request; the message names the input and element."),
        ...(options.auth ? { "401": error("Missing or invalid bearer key.") } : {}),
        "404": notServed,
        "408": error("The body did not arrive within the server's body timeout."),
        "413": error("Body or batch over the limit."),
        "415": error("Content-Type is not application/json."),
        "503": error("No model is loaded (after waiting up to LOAD_WAIT_MS for one that loads)."),
      },
    },
  });
  const metadata = (params: unknown[]) => ({
    get: {
      summary: "Model metadata",
      parameters: params,
      responses: {
        "200": { description: "Inputs and outputs.", content: json(ref("ModelMetadata")) },
        "404": notServed,
        "503": error("No model is loaded (after waiting up to LOAD_WAIT_MS for one that loads)."),
      },
    },
  });
  const ready = (params: unknown[]) => ({
    get: {
      summary: "Model ready",
      parameters: params,
      responses: {
        "200": { description: "Ready.", content: json(ref("ModelReady")) },
        "404": notServed,
        "503": { description: "Not ready yet.", content: json(ref("ModelReady")) },
      },
    },
  });
  const flag = (key: string) => ({
    type: "object",
    required: [key],
    properties: { [key]: { type: "boolean" } },
  });
  const tensor: JsonSchema = {
    type: "object",
    required: ["name", "shape", "datatype", "data"],
    properties: {
      name: { type: "string" },
      shape: { type: "array", items: { type: "integer" } },
      datatype: { type: "string" },
      parameters: { type: "object" },
      data: { type: "array" },
    },
  };
  return {
    paths: {
      "/v2": {
        get: {
          summary: "Server metadata",
          responses: {
            "200": {
              description: "Name, version, extensions.",
              content: json(ref("ServerMetadata")),
            },
          },
        },
      },
      "/v2/health/live": {
        get: {
          summary: "Server live",
          responses: { "200": { description: "Alive.", content: json(flag("live")) } },
        },
      },
      "/v2/health/ready": {
        get: {
          summary: "Server ready: 200 once the model serves, else 503",
          responses: {
            "200": { description: "Ready.", content: json(flag("ready")) },
            "503": { description: "Not ready.", content: json(flag("ready")) },
          },
        },
      },
      "/v2/models/{name}": metadata([name]),
      "/v2/models/{name}/versions/{version}": metadata([name, version]),
      "/v2/models/{name}/ready": ready([name]),
      "/v2/models/{name}/versions/{version}/ready": ready([name, version]),
      "/v2/models/{name}/infer": infer([name]),
      "/v2/models/{name}/versions/{version}/infer": infer([name, version]),
    },
    schemas: {
      InferenceRequest: {
        type: "object",
        required: ["inputs"],
        properties: {
          id: { type: "string" },
          parameters: { type: "object" },
          inputs: { type: "array", minItems: 1, items: tensor },
          outputs: {
            type: "array",
            items: {
              type: "object",
              required: ["name"],
              properties: { name: { type: "string", enum: ["label", "probabilities"] } },
            },
          },
        },
      },
      InferenceResponse: {
        type: "object",
        required: ["model_name", "id", "outputs"],
        properties: {
          model_name: { type: "string", description: "The model that answered." },
          model_version: {
            type: "string",
            description: "Its version (the challenger's when it answered); absent when " +
              "unregistered.",
          },
          id: { type: "string" },
          outputs: { type: "array", items: tensor },
        },
      },
      ModelMetadata: {
        type: "object",
        required: ["name", "platform", "inputs", "outputs"],
        properties: {
          name: { type: "string" },
          versions: { type: "array", items: { type: "string" } },
          platform: { type: "string" },
          inputs: { type: "array", items: { type: "object" } },
          outputs: { type: "array", items: { type: "object" } },
          parameters: { type: "object" },
        },
      },
      ModelReady: {
        type: "object",
        required: ["name", "ready"],
        properties: { name: { type: "string" }, ready: { type: "boolean" } },
      },
      ServerMetadata: {
        type: "object",
        required: ["name", "version", "extensions"],
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          extensions: { type: "array", items: { type: "string" } },
        },
      },
      OipError: {
        type: "object",
        required: ["error"],
        properties: {
          error: { type: "string" },
          error_code: { type: "string" },
          request_id: { type: "string" },
        },
      },
    },
  };
}

/** One input per feature, one row of the training example. */
function inferExample(model: ServingModel): Record<string, unknown> {
  return {
    id: "42",
    inputs: model.bundle.schema.features.map((f) => ({
      name: f.name,
      shape: [1],
      datatype: f.kind === "numeric" ? "FP64" : "BYTES",
      data: [f.kind === "numeric" ? (f.fill ?? 0) : (f.categories[0] ?? "")],
    })),
  };
}
