import { strict as assert } from "node:assert";
import {
  knownSecrets,
  redact,
  redactUri,
  registerSecrets,
  stripCredentials,
} from "../lib/redact.ts";
import { splitCredentials } from "../lib/mlflow/rest_client.ts";

Deno.test("redactUri: passwords and lone tokens in userinfo, credential query parameters", () => {
  assert.equal(redactUri("https://ada:s3cret@host:5000/x"), "https://ada:***@host:5000/x");
  assert.equal(redactUri("https://tok3n@host/"), "https://***@host/");
  assert.equal(redactUri("https://ada:@host/"), "https://ada:***@host/");
  assert.equal(redactUri("https://host/m.json?token=abc&x=1"), "https://host/m.json?token=***&x=1");
  assert.equal(redactUri("https://host/path"), "https://host/path");
  assert.equal(redactUri("./mlruns"), "./mlruns");
  assert.equal(redactUri("a@b.example mail"), "a@b.example mail");
});

Deno.test("redact: every shape and every known value, wherever it appears", () => {
  const token = "123456789:AAEhBP0av28jXk6RYVr6GZa-w4hExample_";
  const secrets = knownSecrets((name) =>
    ({
      MLFLOW_TRACKING_PASSWORD: "hunter22",
      API_KEYS: "key-one-xyz, key-two-xyz",
      MLFLOW_TRACKING_URI: "https://ada:uri-pass@mlflow.example/",
      TELEGRAM_BOT_TOKEN: token,
      ALERT_WEBHOOK_TOKEN: "abc", // too short to redact by value
    })[name]
  );
  assert.deepEqual(
    new Set(secrets),
    new Set([
      "hunter22",
      "key-one-xyz, key-two-xyz",
      "key-one-xyz",
      "key-two-xyz",
      "uri-pass",
      token,
    ]),
  );
  const text = [
    "server said: bad password hunter22",
    "mlops sync --to https://ada:uri-pass@mlflow.example/",
    `POST https://api.telegram.org/bot${token}/sendMessage`,
    `token ${token}`,
    "Authorization: Bearer key-two-xyz",
    "Authorization: Basic YWRhOmh1bnRlcjIy",
    "x-api-key: key-one-xyz",
  ].join("\n");
  const out = redact(text, secrets);
  for (const s of secrets) assert.ok(!out.includes(s), `${s} leaked:\n${out}`);
  assert.ok(!out.includes("YWRhOmh1bnRlcjIy"));
  assert.match(out, /https:\/\/ada:\*\*\*@mlflow\.example\//);
  assert.match(out, /api\.telegram\.org\/bot\*\*\*\/sendMessage/);
  assert.match(out, /server said: bad password \*\*\*/);
});

Deno.test("stripCredentials and splitCredentials: the URI to store or show, the credentials to send", () => {
  assert.equal(stripCredentials("https://ada:s3cret@host:5000/x"), "https://host:5000/x");
  assert.equal(stripCredentials("https://tok3n@host/"), "https://host/");
  assert.equal(stripCredentials("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
  assert.equal(stripCredentials("https://host/?token=abc"), "https://host/?token=***");
  assert.deepEqual(splitCredentials("https://ada:p%40ss@host/x.mlflow/"), {
    url: "https://host/x.mlflow",
    credentials: { kind: "basic", username: "ada", password: "p@ss" },
  });
  assert.deepEqual(splitCredentials("http://127.0.0.1:5000/"), {
    url: "http://127.0.0.1:5000",
    credentials: null,
  });
});

Deno.test("redact: authorization headers in any case and spelling; prose about them stays readable", () => {
  const cases: [string, string][] = [
    ["authorization: basic YWRhOnB3LTEyMzQ=", "authorization: basic ***"],
    ["AUTHORIZATION=Bearer abc.def.ghi", "AUTHORIZATION=Bearer ***"],
    ['{"authorization":"Token 0123456789"}', '{"authorization":"Token ***"}'],
    ["Authorization: sometoken123", "Authorization: ***"],
    ["the server wants basic authentication", "the server wants basic authentication"],
  ];
  for (const [text, want] of cases) assert.equal(redact(text, []), want, text);
});

Deno.test("registerSecrets: values taken from elsewhere than the environment are redacted from then on", () => {
  const value = `typed-on-the-command-line-${crypto.randomUUID()}`;
  assert.equal(redact(`pw=${value}`, []), `pw=${value}`);
  registerSecrets(value, "abc");
  assert.equal(redact(`pw=${value}`, []), "pw=***");
  assert.equal(redact(`pw=${value}`), "pw=***");
  assert.equal(redact("abc"), "abc", "shorter than 4 characters: ignored");
});
