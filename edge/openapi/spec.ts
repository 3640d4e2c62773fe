/**
 * The OpenAPI 3.1 document for `/openapi.json`. Request schemas come from
 * the served model, so the contract a client reads is the one the edge
 * enforces; before a model loads, instances are described generically.
 *
 * @module
 */
import { VERSION } from "../../lib/version.ts";
import type { ServingModel } from "../serving/serving_model.ts";
import { exampleInstance, instanceSchema, type JsonSchema } from "./instance_schema.ts";
import { oipOpenApi } from "./oip.ts";

/** Server settings the document reports. */
export interface SpecOptions {
  maxBatch: number;
  maxBodyBytes: number;
  /** Whether predict and feedback require a bearer key. */
  auth: boolean;
}

/** What every response says about who answered (middleware/request_id.ts). */
const IDENTITY = "Every response, errors included, carries `X-Request-Id` (yours when you send " +
  "1–128 of `A-Z a-z 0-9 . _ : + / = @ -`, else a new UUID) and, while a model is served, " +
  "`X-Model-Name` and `X-Model-Version` (`none` when unregistered); error bodies repeat them.";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
const json = (schema: JsonSchema, example?: unknown) => ({
  "application/json": example === undefined ? { schema } : { schema, example },
});
const error = (description: string) => ({ description, content: json(ref("Error")) });

/** A served model's identity (not necessarily the one that answered: see ModelRef). */
const SERVED = {
  type: "object",
  properties: { name: { type: "string" }, version: { type: ["string", "null"] } },
};

/** Where split mode picks a model per client: the unversioned scoring routes. */
const STICKY_ROUTES = new Set(["/v1/predict", "/invocations", "/v2/models/{name}/infer"]);

/** The `X-*` headers of middleware/request_id.ts, as response headers. */
const IDENTITY_HEADERS = {
  "X-Request-Id": {
    description: "The request's id: yours when you sent a safe one, else a new UUID.",
    schema: { type: "string" },
  },
  "X-Model-Name": {
    description: "The model that answered (on routes that score nothing, the one served); " +
      "absent while no model is loaded. Percent-encoded when the name has characters a header " +
      "cannot carry.",
    schema: { type: "string" },
  },
  "X-Model-Version": {
    description: "That model's registry version, `none` when unregistered. In split mode, the " +
      "challenger's version when it answered.",
    schema: { type: "string" },
  },
};

const PARAMETERS = {
  XRequestId: {
    name: "X-Request-Id",
    in: "header",
    required: false,
    description: "Your id for this request, repeated in the response, error bodies and the " +
      "access log; kept when it is 1–128 of `A-Z a-z 0-9 . _ : + / = @ -`, else replaced.",
    schema: { type: "string" },
  },
  XClientId: {
    name: "X-Client-Id",
    in: "header",
    required: false,
    description: "Who the client is, for a challenger in split mode: a client always meets the " +
      "same model (champion or challenger). With API keys the key decides and this header is " +
      "ignored; without either, each request is drawn on its own.",
    schema: { type: "string" },
  },
};

/**
 * Adds what every operation shares to each one: the `X-Request-Id` request
 * header (and `X-Client-Id` where split mode reads it), and the identity
 * headers on every response, errors included.
 */
function withIdentity(paths: Record<string, unknown>): Record<string, unknown> {
  const headers = Object.fromEntries(Object.keys(IDENTITY_HEADERS).map((h) => [h, header(h)]));
  for (
    const [path, methods] of Object.entries(paths as Record<string, Record<string, Operation>>)
  ) {
    for (const [method, op] of Object.entries(methods)) {
      const sticky = method === "post" && STICKY_ROUTES.has(path);
      op.parameters = [
        ...(op.parameters ?? []),
        param("XRequestId"),
        ...(sticky ? [param("XClientId")] : []),
      ];
      for (const res of Object.values(op.responses)) res.headers = headers;
    }
  }
  return paths;
}

interface Operation {
  parameters?: unknown[];
  responses: Record<string, { headers?: unknown }>;
}

/**
 * Builds the document.
 *
 * @example
 * ```ts
 * import type { ModelHolder } from "../serving/model_holder.ts";
 *
 * declare const holder: ModelHolder;
 * const spec = buildOpenApi(holder.model, { maxBatch: 1000, maxBodyBytes: 1 << 20, auth: false });
 * spec.openapi; // "3.1.0"
 * ```
 */
export function buildOpenApi(
  model: ServingModel | undefined,
  options: SpecOptions,
): Record<string, unknown> {
  const instance: JsonSchema = model
    ? instanceSchema(model.bundle)
    : { type: "object", description: "Raw features by name (model not loaded yet)." };
  const example = model ? exampleInstance(model.bundle) : { feature: "value" };
  const classes = model ? [...model.classes] : ["<class>"];
  const names = model ? model.bundle.schema.features.map((f) => f.name) : ["feature"];
  const secured = options.auth ? [{ bearer: [] }] : [];
  const limits = `At most ${options.maxBatch} instances and ${options.maxBodyBytes} bytes ` +
    "per request.";
  const rejections = {
    "400": error("Invalid JSON or invalid fields; `details` lists each offending path."),
    ...(options.auth ? { "401": error("Missing or invalid bearer key.") } : {}),
    "408": error("The body did not arrive within the server's body timeout."),
    "413": error("Body or batch over the limit."),
    "415": error("Content-Type is not supported."),
    "503": error(
      "No model is loaded; see /readyz for the reason. While the first model loads, the request waits for it (LOAD_WAIT_MS) before this.",
    ),
  };

  const oip = oipOpenApi(model, { secured, auth: options.auth, limits });
  return {
    openapi: "3.1.0",
    info: {
      title: "mlops edge",
      version: VERSION,
      description:
        (model
          ? `Serving **${model.name}** version ${model.version ?? "(unregistered)"}, ` +
            `classes ${classes.map((c) => `\`${c}\``).join(", ")}. `
          : "") +
        "Numeric fields take numbers or decimal strings (no hex, binary, octal or Infinity); " +
        '`null` or `""` means missing. ' +
        "Categorical fields take strings (numbers and booleans are compared as text); " +
        "unseen categories are accepted and counted. " + limits + " " + IDENTITY,
    },
    servers: [{ url: "/" }],
    paths: withIdentity({
      "/v1/predict": {
        post: {
          summary: "Predict one instance or a batch",
          description: 'Send one instance as an object, or `{"instances": [...]}` for a batch. ' +
            "Each prediction has an id to send back with the true label to /v1/feedback. " +
            limits,
          security: secured,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("PredictRequest"),
                examples: {
                  single: { summary: "One instance", value: example },
                  batch: { summary: "A batch", value: { instances: [example, example] } },
                },
              },
            },
          },
          responses: {
            "200": {
              description: "Predictions (an object for one instance, a list for a batch).",
              content: json({ oneOf: [ref("Prediction"), ref("BatchPredictions")] }),
            },
            ...rejections,
          },
        },
      },
      "/invocations": {
        post: {
          summary: "MLflow scoring protocol",
          description: "Accepts what `mlflow models serve` accepts: `dataframe_split`, " +
            "`dataframe_records`, `instances`, `inputs` (rows or columns), or a CSV body. " +
            "Positional rows follow the feature order of /v1/model. Answers " +
            '`{"predictions": [label, ...]}`.',
          security: secured,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("InvocationsRequest"),
                examples: {
                  dataframe_split: {
                    value: {
                      dataframe_split: { columns: names, data: [names.map((n) => example[n])] },
                    },
                  },
                  dataframe_records: { value: { dataframe_records: [example] } },
                  instances: { value: { instances: [example] } },
                },
              },
              "text/csv": { schema: { type: "string" } },
            },
          },
          responses: {
            "200": {
              description: "One label per instance.",
              content: json(ref("InvocationsResponse"), { predictions: [classes[0]] }),
            },
            ...rejections,
          },
        },
      },
      "/v1/feedback": {
        post: {
          summary: "Report the true label",
          description: "Give the actual class for an earlier prediction (by id) or for " +
            "features; it feeds live accuracy. Ids are signed and self-contained: any instance " +
            "holding the secret accepts them, for PREDICTION_ID_TTL after the prediction. Each " +
            "counts once (across instances when they share Deno KV, else per instance), and " +
            "with API keys only from the key that made the prediction; the same features and " +
            "label count once while they are in the live-accuracy window.",
          security: secured,
          requestBody: {
            required: true,
            content: json(ref("FeedbackRequest"), {
              prediction_id: "p1.eyJtIjoidGlueSIsImEiOltbIjciLCJubyJdXSwidCI6MCwibiI6IkEifQ." +
                "0123456789abcdefABCDEF",
              actual: classes[0],
            }),
          },
          responses: {
            "200": { description: "Recorded.", content: json(ref("FeedbackResponse")) },
            "403": error("The prediction id was issued to another API key."),
            "404": error("Not an id this edge signed (forged, altered, or its secret dropped)."),
            "410": error("The prediction id has expired (PREDICTION_ID_TTL)."),
            "409": error(
              "Feedback for this prediction, or for the same features and label, was already " +
                "recorded.",
            ),
            ...rejections,
            "503": error(
              "No model is loaded, or the replay store (Deno KV) is unavailable; send it again.",
            ),
          },
        },
      },
      "/v1/model": {
        get: {
          summary: "The served model",
          description: "Name, version, schema (feature order), classes, training metrics, " +
            "importances and provenance; with a challenger configured, `challenger` holds its " +
            "mode, state and (once loaded) the same description of it.",
          responses: {
            "200": { description: "Model description.", content: json(ref("ModelDescription")) },
            "503": error(
              "No model is loaded (after waiting up to LOAD_WAIT_MS for one that loads).",
            ),
          },
        },
      },
      "/v1/status": {
        get: {
          summary: "Public status (what the status page at / shows)",
          description: "Overall state, components, model and promotion, availability and " +
            "latency over 24 h / 7 d and incidents (from Prometheus and Alertmanager when the " +
            "edge has PROMETHEUS_URL / ALERTMANAGER_URL), else this instance's own numbers.",
          responses: {
            "200": {
              description: "Status document.",
              content: json({
                type: "object",
                properties: {
                  models: {
                    type: "array",
                    description: "Champion and challenger side by side while a challenger is " +
                      "served (empty otherwise).",
                    items: {
                      type: "object",
                      properties: {
                        role: { enum: ["champion", "challenger"] },
                        name: { type: "string" },
                        version: { type: ["string", "null"] },
                        answers: {
                          type: "string",
                          description: "What it answers, in words.",
                          examples: ["90% of clients", "none: it scores every request in shadow"],
                        },
                        live_accuracy: {
                          type: "object",
                          properties: {
                            value: { type: ["number", "null"] },
                            labels: { type: "integer" },
                            window: { type: "string" },
                          },
                        },
                      },
                    },
                  },
                },
              }),
            },
          },
        },
      },
      "/v1/ops": {
        get: {
          summary: "This instance's operator numbers (what /ops shows)",
          description: "Last minute of traffic, class mix, drift and live accuracy windows, " +
            "rejections, unseen categories, memory.",
          security: secured,
          responses: {
            "200": { description: "Operator document.", content: json({ type: "object" }) },
            ...(options.auth ? { "401": error("Missing or invalid bearer key.") } : {}),
          },
        },
      },
      "/healthz": {
        get: {
          summary: "Liveness: 200 while the process runs",
          responses: { "200": { description: "Alive.", content: json({ type: "object" }) } },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness: 200 once a model serves, else 503 with the reason",
          description: "Readiness is the champion's: a challenger that failed to load is " +
            "reported under `challenger` and the edge stays ready.",
          responses: {
            "200": {
              description: "Ready.",
              content: json({
                type: "object",
                required: ["status", "model"],
                properties: {
                  status: { const: "ready" },
                  model: SERVED,
                  loaded_at: { type: "string", format: "date-time" },
                  load_ms: { type: "integer" },
                  challenger: ref("ChallengerState"),
                },
              }),
            },
            "503": {
              description: "Loading or failed, with the reason.",
              content: json({ type: "object" }),
            },
          },
        },
      },
      ...oip.paths,
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: {
            "200": {
              description: "Text exposition format 0.0.4.",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
        },
      },
    }),
    components: {
      ...(options.auth ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
      parameters: PARAMETERS,
      headers: IDENTITY_HEADERS,
      schemas: {
        ...oip.schemas,
        Instance: instance,
        PredictRequest: {
          oneOf: [
            ref("Instance"),
            {
              type: "object",
              required: ["instances"],
              properties: {
                instances: {
                  type: "array",
                  items: ref("Instance"),
                  minItems: 1,
                  maxItems: options.maxBatch,
                },
              },
            },
          ],
        },
        Prediction: {
          type: "object",
          required: ["prediction_id", "label", "probabilities"],
          properties: {
            prediction_id: { type: "string" },
            label: { type: "string", enum: classes },
            probabilities: {
              type: "object",
              description: "Probability per class label; they sum to 1.",
              additionalProperties: { type: "number", minimum: 0, maximum: 1 },
            },
            unknown_categories: {
              type: "array",
              items: { type: "string" },
              description: "Features whose value was unseen in training (absent when none).",
            },
            model: ref("ModelRef"),
          },
        },
        BatchPredictions: {
          type: "object",
          required: ["model", "predictions"],
          properties: {
            model: ref("ModelRef"),
            predictions: { type: "array", items: ref("Prediction") },
          },
        },
        ModelRef: {
          type: "object",
          description: "The model that answered: in split mode, the challenger for its share " +
            "of clients (as the X-Model-* headers say).",
          properties: { name: { type: "string" }, version: { type: ["string", "null"] } },
        },
        InvocationsRequest: {
          type: "object",
          description: "Exactly one of the four keys; `params` is accepted and ignored.",
          properties: {
            dataframe_split: {
              type: "object",
              properties: {
                columns: { type: "array", items: { type: "string" } },
                data: { type: "array", items: { type: "array" } },
                index: { type: "array" },
              },
              required: ["data"],
            },
            dataframe_records: { type: "array", items: ref("Instance") },
            instances: { type: "array", items: { oneOf: [ref("Instance"), { type: "array" }] } },
            inputs: {
              oneOf: [
                { type: "array", items: { oneOf: [ref("Instance"), { type: "array" }] } },
                { type: "object", additionalProperties: { type: "array" } },
              ],
            },
            params: { type: "object" },
          },
        },
        InvocationsResponse: {
          type: "object",
          properties: { predictions: { type: "array", items: { type: "string", enum: classes } } },
        },
        FeedbackRequest: {
          oneOf: [
            {
              type: "object",
              required: ["prediction_id", "actual"],
              properties: { prediction_id: { type: "string" }, actual: { enum: classes } },
            },
            {
              type: "object",
              required: ["features", "actual"],
              properties: { features: ref("Instance"), actual: { enum: classes } },
            },
          ],
        },
        FeedbackResponse: {
          type: "object",
          properties: {
            prediction_id: { type: "string" },
            predicted: { type: "string" },
            actual: { type: "string" },
            correct: { type: "boolean" },
            live_accuracy: {
              type: "object",
              properties: {
                accuracy: { type: ["number", "null"] },
                n: { type: "integer" },
                window: { type: "integer" },
              },
            },
            answers: {
              type: "array",
              description: "With a challenger that judged the same prediction (a shadow's " +
                "answer kept in the id, or both models scoring features): every answer, the " +
                "client's first; absent when one model answered.",
              items: {
                type: "object",
                properties: {
                  model: {
                    type: ["object", "null"],
                    description: "null when that model is no longer served.",
                    properties: {
                      name: { type: "string" },
                      version: { type: ["string", "null"] },
                      role: { enum: ["champion", "challenger"] },
                    },
                  },
                  predicted: { type: "string" },
                  correct: { type: "boolean" },
                },
              },
            },
          },
        },
        ModelDescription: {
          type: "object",
          properties: {
            name: { type: "string" },
            version: { type: ["string", "null"] },
            classes: { type: "array", items: { type: "string" } },
            features: { type: "array", items: { type: "object" } },
            training: { type: "object" },
            importances: { type: "array", items: { type: "object" } },
            challenger: {
              ...ref("ChallengerState"),
              description: "Present when a challenger is configured; once it is loaded, also " +
                "its name, version, classes, features, training and importances as above.",
            },
          },
        },
        ChallengerState: {
          type: "object",
          required: ["mode", "status"],
          properties: {
            mode: {
              enum: ["shadow", "split"],
              description: "shadow: scores every request, answers none; split: answers `share` " +
                "of clients (sticky per API key or X-Client-Id).",
            },
            share: { type: "number", minimum: 0, maximum: 1, description: "Split mode only." },
            status: { enum: ["ready", "loading", "failed"] },
            model: SERVED,
            loaded_at: { type: "string", format: "date-time" },
            load_ms: { type: "integer" },
            reason: { type: "string", description: "Why it is loading or not served." },
            since: { type: "string", format: "date-time" },
            at: { type: "string", format: "date-time" },
          },
        },
        Error: {
          type: "object",
          required: ["error_code", "message", "request_id"],
          properties: {
            error_code: { type: "string", examples: ["INVALID_INPUT"] },
            message: { type: "string" },
            request_id: {
              type: "string",
              description: "The response's X-Request-Id (yours when you sent a safe one).",
            },
            model: {
              type: "object",
              description: "The model that answered; absent while none is loaded.",
              properties: { name: { type: "string" }, version: { type: "string" } },
            },
            details: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  path: { type: "string", examples: ["instances[3].tenure"] },
                  message: { type: "string" },
                },
              },
            },
          },
        },
      },
    },
  };
}
