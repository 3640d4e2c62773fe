/**
 * `mlops smoke <url>`: is a deployed edge serving what it should? Waits for
 * `/readyz`, checks the model name and version `/v1/model` reports, and
 * scores one instance built from the model's own schema through
 * `/v1/predict`. The deploy workflow rolls back when this fails.
 *
 * @module
 */
import type { Command } from "commander";
import { UserError } from "../../lib/errors.ts";
import { networkReason } from "../../lib/net.ts";
import { redactUrl } from "../../lib/redact.ts";
import { withJson } from "../options.ts";
import { print, printError } from "../output.ts";

/** Exit code when the edge answers but is not serving what it should. */
export const SMOKE_FAILED_EXIT_CODE = 6;

interface SmokeFlags {
  expectVersion?: string;
  expectModel?: string;
  timeout: string;
  json: boolean;
}

const HELP = `
Checks, in order: GET /readyz answers 200 within --timeout (polled every
second: a fresh deployment may still be starting), GET /v1/model names the
expected model and version, POST /v1/predict scores one instance built from
the model's schema. EDGE_API_KEY, when set, is sent as the bearer key.
A failed check exits with code ${SMOKE_FAILED_EXIT_CODE} and one line naming it.

Example:
  mlops smoke https://mlops-edge.example.deno.net --expect-version 4`;

/** Registers `smoke`. */
export function register(program: Command): void {
  withJson(
    program
      .command("smoke")
      .description("smoke-test a running edge: ready, the expected model, one prediction")
      .argument("<url>", "the edge's base URL")
      .option("--expect-version <v>", "the model version that must be served")
      .option("--expect-model <name>", "the model name that must be served")
      .option("--timeout <s>", "seconds to wait for /readyz", "120"),
    "print one JSON object to stdout",
  )
    .addHelpText("after", HELP)
    .action(async (url: string, flags: SmokeFlags) => {
      const timeoutS = Number(flags.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
        throw new UserError(`--timeout ${flags.timeout}: expected seconds > 0`);
      }
      const report = await smoke(checkedBase(url), {
        expectVersion: flags.expectVersion,
        expectModel: flags.expectModel,
        timeoutMs: timeoutS * 1000,
        apiKey: Deno.env.get("EDGE_API_KEY") || undefined,
      });
      if (flags.json) print(JSON.stringify(report));
      else {
        print(
          `ok        ${report.url} serves ${report.model.name} ${
            report.model.version ?? "(unregistered)"
          } (ready after ${
            (report.ready_ms / 1000).toFixed(1)
          } s; predicted ${report.prediction.label})`,
        );
      }
    });
}

function checkedBase(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`${raw}: not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new UserError(`${redactUrl(raw)}: not an http(s) URL`);
  }
  return raw.replace(/\/+$/, "");
}

/** What a passing smoke test saw. */
export interface SmokeReport {
  ok: true;
  url: string;
  ready_ms: number;
  model: { name: string; version: string | null };
  prediction: { label: string; instance: Record<string, unknown> };
}

/** Runs the checks against `base`; throws a one-line {@link UserError} at the first that fails. */
export async function smoke(base: string, o: {
  expectVersion?: string;
  expectModel?: string;
  timeoutMs: number;
  apiKey?: string;
}): Promise<SmokeReport> {
  const shown = redactUrl(base).replace(/\/$/, "");
  const fail = (what: string) =>
    new UserError(`smoke test of ${shown} failed: ${what}`, {
      exitCode: SMOKE_FAILED_EXIT_CODE,
      code: "SMOKE_FAILED",
    });
  const t0 = performance.now();
  const deadline = t0 + o.timeoutMs;
  let last = "no answer";
  for (;;) {
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (res.status === 200) break;
      last = `/readyz answered ${res.status}${reason(text)}`;
    } catch (e) {
      last = `/readyz: ${networkReason(e)}`;
    }
    // The last poll lands on the deadline, not a second before it: "not ready
    // after N s" must mean N seconds were given.
    const left = deadline - performance.now();
    if (left <= 0) throw fail(`not ready after ${Math.round(o.timeoutMs / 1000)} s (${last})`);
    await new Promise((r) => setTimeout(r, Math.min(1000, left)));
  }
  const readyMs = performance.now() - t0;

  const get = async (path: string, init?: RequestInit) => {
    const headers: Record<string, string> = { ...(init?.headers as Record<string, string>) };
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    try {
      const res = await fetch(`${base}${path}`, {
        ...init,
        headers,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status !== 200) throw fail(`${path} answered ${res.status}${reason(text)}`);
      return JSON.parse(text);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw fail(
        `${path}: ${e instanceof SyntaxError ? "the answer is not JSON" : networkReason(e)}`,
      );
    }
  };

  const model = await get("/v1/model") as {
    name: string;
    version: string | null;
    classes: string[];
    features: { name: string; kind: string; categories?: string[] }[];
  };
  if (o.expectModel !== undefined && model.name !== o.expectModel) {
    throw fail(`it serves model ${model.name}, not ${o.expectModel}`);
  }
  if (o.expectVersion !== undefined && String(model.version) !== o.expectVersion) {
    throw fail(`it serves version ${model.version ?? "(unregistered)"}, not ${o.expectVersion}`);
  }
  const instance = Object.fromEntries(
    (model.features ?? []).map((f) => [f.name, f.kind === "numeric" ? 0 : f.categories?.[0] ?? ""]),
  );
  const pred = await get("/v1/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(instance),
  }) as { label?: string; model?: { version?: string | null } };
  if (typeof pred.label !== "string" || !model.classes.includes(pred.label)) {
    throw fail(`/v1/predict answered no known class (${JSON.stringify(pred.label)})`);
  }
  if (pred.model && pred.model.version !== model.version) {
    printError(`note: /v1/predict answered with version ${pred.model.version}`);
  }
  return {
    ok: true,
    url: shown,
    ready_ms: Math.round(readyMs),
    model: { name: model.name, version: model.version },
    prediction: { label: pred.label, instance },
  };
}

/** `: <message>` from an error body, short. */
function reason(text: string): string {
  try {
    const body = JSON.parse(text);
    const m = body.reason ?? body.message ?? body.error;
    if (typeof m === "string") return `: ${m.slice(0, 200)}`;
  } catch {
    // not JSON
  }
  return "";
}
