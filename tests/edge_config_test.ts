import { strict as assert } from "node:assert";
import { configFromEnv, DEFAULT_MODEL_PATH, DEFAULTS } from "../edge/config.ts";
import { isUserError } from "../lib/errors.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("config: defaults without any variable", () => {
  const c = configFromEnv(env({}));
  assert.deepEqual(c, { ...DEFAULTS, model: { kind: "path", path: DEFAULT_MODEL_PATH } });
  assert.equal(c.port, 8000);
  assert.equal(c.maxBatch, 1000);
  assert.equal(c.maxBodyBytes, 1048576);
  assert.equal(c.bodyTimeoutMs, 10_000);
  assert.equal(c.maxModelBytes, 256 * 1024 * 1024);
  assert.ok(DEFAULT_MODEL_PATH.endsWith("/edge/model/"), DEFAULT_MODEL_PATH);
});

Deno.test("config: every variable is read", () => {
  const c = configFromEnv(env({
    PORT: "9000",
    HOST: "127.0.0.1",
    MODEL_URL: "https://models.example/m.json?sig=secret",
    MAX_BATCH: "50",
    MAX_MODEL_BYTES: "4096",
    MAX_BODY_BYTES: "2048",
    BODY_TIMEOUT_MS: "2500",
    LOAD_WAIT_MS: "0",
    API_KEYS: " a1 , b2= ,",
    CORS_ORIGINS: "https://x.example,https://y.example",
    OTEL_DENO: "true",
    ACCURACY_WINDOW: "10",
    DRIFT_WINDOW: "100",
    PREDICTION_MEMORY: "1",
    PREDICTION_ID_SECRETS:
      " new-0123456789abcdef0123456789abcdef , old-0123456789abcdef0123456789abcdef ",
    PREDICTION_ID_TTL: "60",
    FEEDBACK_KV_PATH: "/var/lib/mlops/feedback.db",
    ACCESS_LOG: "1",
  }));
  assert.equal(c.port, 9000);
  assert.equal(c.hostname, "127.0.0.1");
  assert.deepEqual(c.model, { kind: "url", url: "https://models.example/m.json?sig=secret" });
  assert.equal(c.maxBatch, 50);
  assert.equal(c.maxModelBytes, 4096);
  assert.equal(c.maxBodyBytes, 2048);
  assert.equal(c.bodyTimeoutMs, 2500);
  assert.equal(c.loadWaitMs, 0);
  assert.deepEqual(c.apiKeys, ["a1", "b2="]);
  assert.deepEqual(c.corsOrigins, ["https://x.example", "https://y.example"]);
  assert.equal(c.otel, true);
  assert.equal(c.accuracyWindow, 10);
  assert.equal(c.driftWindow, 100);
  assert.equal(c.predictionMemory, 1);
  assert.deepEqual(c.predictionIdSecrets, [
    "new-0123456789abcdef0123456789abcdef",
    "old-0123456789abcdef0123456789abcdef",
  ]);
  assert.equal(c.predictionIdTtlSeconds, 60);
  assert.deepEqual(c.feedbackStore, { kind: "kv", path: "/var/lib/mlops/feedback.db" });
  assert.equal(c.accessLog, true);
  // On Deno Deploy its own KV, without a path; elsewhere memory.
  assert.deepEqual(configFromEnv(env({ DENO_DEPLOYMENT_ID: "abc123" })).feedbackStore, {
    kind: "kv",
  });
  assert.deepEqual(configFromEnv(env({})).feedbackStore, { kind: "memory" });
  assert.deepEqual(configFromEnv(env({ MODEL_PATH: "out/model" })).model, {
    kind: "path",
    path: "out/model",
  });
});

Deno.test("config: bad values are user errors naming the variable, never a key", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: "http" }, /^PORT must be an integer/],
    [{ MAX_BATCH: "0" }, /^MAX_BATCH must be an integer in \[1,/],
    [{ MAX_BODY_BYTES: "1.5" }, /^MAX_BODY_BYTES/],
    [{ MAX_MODEL_BYTES: "64k" }, /^MAX_MODEL_BYTES must be an integer in \[1024,/],
    [{ BODY_TIMEOUT_MS: "0" }, /^BODY_TIMEOUT_MS must be an integer in \[100,/],
    [{ BODY_TIMEOUT_MS: "30s" }, /^BODY_TIMEOUT_MS must be an integer/],
    [{ LOAD_WAIT_MS: "-1" }, /^LOAD_WAIT_MS must be an integer in \[0,/],
    [{ OTEL_DENO: "maybe" }, /^OTEL_DENO must be true or false/],
    [{ MODEL_PATH: "a", MODEL_URL: "https://b" }, /not both/],
    [{ MODEL_URL: "not a url" }, /MODEL_URL is not a valid URL/],
    [{ MODEL_URL: "ftp://x/y" }, /must be http\(s\) or file/],
    [{ API_KEYS: "ok,sec ret" }, /^API_KEYS entry 2 has characters/],
    [
      { PREDICTION_ID_SECRETS: "0123456789abcdef0123456789abcdef,sec ret" },
      /^PREDICTION_ID_SECRETS entry 2 is shorter than 32 characters/,
    ],
    [{ PREDICTION_MEMORY: "0" }, /^PREDICTION_MEMORY must be an integer in \[1,/],
    [{ PREDICTION_ID_TTL: "0" }, /^PREDICTION_ID_TTL must be an integer in \[1,/],
    [{ PREDICTION_ID_TTL: "7d" }, /^PREDICTION_ID_TTL must be an integer/],
  ];
  for (const [vars, message] of cases) {
    assert.throws(() => configFromEnv(env(vars)), (e: unknown) => {
      assert.ok(isUserError(e), JSON.stringify(vars));
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /sec ret/);
      return true;
    });
  }
});
