/**
 * Builds edges for tests the way production does (`createEdge`), with a
 * config that points nowhere unless a test says otherwise.
 *
 * @module
 */
import { DEFAULTS, type EdgeConfig } from "../../edge/config.ts";
import { createEdge, type Edge } from "../../edge/edge.ts";
import type { ModelBundle } from "../../lib/model/types.ts";
import { tinyBundle } from "./tiny_bundle.ts";

/** A config for tests; the model path does not exist unless overridden. */
export function testConfig(overrides: Partial<EdgeConfig> = {}): EdgeConfig {
  return {
    ...DEFAULTS,
    model: { kind: "path", path: "/nonexistent/model" },
    ...overrides,
  };
}

/** An edge serving `bundle` (the tiny bundle by default). */
export async function readyEdge(
  overrides: Partial<EdgeConfig> = {},
  bundle: ModelBundle = tinyBundle(),
): Promise<Edge> {
  const edge = createEdge(testConfig(overrides));
  const state = await edge.load(bundle);
  if (state.status !== "ready") {
    throw new Error(`tiny bundle did not load: ${JSON.stringify(state)}`);
  }
  return edge;
}

/** POSTs JSON (or a raw string body) to the app. */
export function post(
  edge: Edge,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(edge.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

/** A browser's CORS preflight for a POST to `path` from `origin`, asking to send `headers`. */
export function preflight(
  edge: Edge,
  path: string,
  origin: string,
  headers: string,
): Promise<Response> {
  return Promise.resolve(edge.app.request(path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": headers,
    },
  }));
}
