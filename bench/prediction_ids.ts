/**
 * What signed prediction ids cost (issue 16 item 1): µs to issue and to
 * verify one id, alone and in a batch of 1000, and what one `/v1/predict`
 * costs end to end through the app (no network) with them, on the tiny
 * model. Fastest of several rounds: other tenants only ever slow a round.
 *
 *   deno run -A bench/prediction_ids.ts
 *
 * @module
 */
import { createPredictionIds } from "../edge/serving/prediction_id.ts";
import { post, readyEdge } from "../tests/support/edge_harness.ts";

const ROUNDS = 7;
const N = 5000;
const ids = createPredictionIds({
  secrets: ["bench-secret-0123456789abcdef0123456789", "old-secret-0123456789abcdef0123456789"],
  ttlMs: 7 * 86_400_000,
});
const answers = [{ version: "12", label: "No" }];
const client = "key:0123456789abcdef";

async function fastest(fn: () => void | Promise<void>, per: number): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - t0) * 1000 / per);
  }
  return best;
}

const one = await fastest(() => {
  for (let i = 0; i < N; i++) ids.issue("telco-customer-churn", [answers], client);
}, N);
const batch = await fastest(() => {
  ids.issue("telco-customer-churn", Array(1000).fill(answers), client);
}, 1000);
const sample = ids.issue("telco-customer-churn", Array(N).fill(answers), client);
const verify = await fastest(() => {
  for (const id of sample) ids.verify(id);
}, N);
// A forged id is checked against every listed secret (two here), as a genuine one is.
const forged = sample.map((id) => id.slice(0, -2) + (id.endsWith("AA") ? "AB" : "AA"));
const verifyForged = await fastest(() => {
  for (const id of forged) ids.verify(id);
}, N);

await using edge = await readyEdge();
const body = { x: 1, color: "blue" };
const request = await fastest(async () => {
  for (let i = 0; i < 2000; i++) await (await post(edge, "/v1/predict", body)).text();
}, 2000);
// The same scoring without an id, for scale.
const invocations = await fastest(async () => {
  for (let i = 0; i < 2000; i++) {
    await (await post(edge, "/invocations", { instances: [body] })).text();
  }
}, 2000);

console.log(`prediction ids (fastest of ${ROUNDS} rounds; id length ${sample[0].length} chars)`);
console.log(`  issue, one per call          ${one.toFixed(2)} µs/id`);
console.log(`  issue, batch of 1000         ${batch.toFixed(2)} µs/id`);
console.log(`  verify (2 secrets listed)    ${verify.toFixed(2)} µs/id`);
console.log(`  verify a forged id           ${verifyForged.toFixed(2)} µs/id`);
console.log(`  POST /v1/predict in-process  ${request.toFixed(2)} µs/request (tiny model, one id)`);
console.log(
  `  POST /invocations in-process ${invocations.toFixed(2)} µs/request (same scoring, no id)`,
);
