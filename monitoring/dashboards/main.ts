/**
 * `deno task dashboards`: writes the generated dashboards to
 * `monitoring/grafana/dashboards/`, after linting them; `--check` only
 * reports whether the committed files are current (exit 1 if not).
 *
 * @module
 */
import { DASHBOARD_DIR, lintDashboard, renderDashboards } from "./mod.ts";

const root = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const check = Deno.args.includes("--check");
let stale = 0;
let problems = 0;
for (const [file, json] of Object.entries(renderDashboards())) {
  for (const p of lintDashboard(JSON.parse(json))) {
    problems++;
    console.error(`${file}: ${p.rule}: ${p.message}`);
  }
  const path = `${root}${DASHBOARD_DIR}/${file}`;
  const current = await Deno.readTextFile(path).catch(() => null);
  if (current === json) continue;
  stale++;
  if (check) console.error(`${DASHBOARD_DIR}/${file} is stale: run deno task dashboards`);
  else {
    await Deno.writeTextFile(path, json);
    console.log(`wrote ${DASHBOARD_DIR}/${file}`);
  }
}
if (problems > 0 || (check && stale > 0)) Deno.exit(1);
