/**
 * The Grafana dashboards, as code: each is built with Grafana's Foundation
 * SDK (`@grafana/grafana-foundation-sdk`) and written as JSON to
 * `monitoring/grafana/dashboards/`, which Grafana provisions. The JSON is
 * generated, never edited: `deno task dashboards` rewrites it, and a test
 * fails when the committed files differ from what this code builds.
 *
 * The SDK's classic dashboard builder is used (not its v2 schema), because
 * file provisioning in Grafana 11 and 12 reads the classic JSON model.
 *
 * @example
 * ```ts
 * import { renderDashboards } from "./mod.ts";
 * for (const [file, json] of Object.entries(renderDashboards())) console.log(file, json.length);
 * ```
 *
 * @module
 */
import { modelDashboard } from "./model.ts";
import { serviceDashboard } from "./service.ts";

export { lintDashboard, type LintProblem, vectorSelectors } from "./lint.ts";

/** Where the generated JSON lives, relative to the repository root. */
export const DASHBOARD_DIR = "monitoring/grafana/dashboards";

/** File name → dashboard JSON text (2-space indent, trailing newline). */
export function renderDashboards(): Record<string, string> {
  const built = { "mlops-service.json": serviceDashboard(), "mlops-model.json": modelDashboard() };
  return Object.fromEntries(
    Object.entries(built).map(([file, d]) => [file, JSON.stringify(d.build(), null, 2) + "\n"]),
  );
}
