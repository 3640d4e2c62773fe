/**
 * `mlops batch`: batch inference as a job. Scores a CSV (a path or an
 * http(s) URL) with a model, writes `predictions.csv` and `summary.json`,
 * logs a batch-inference run to MLflow (row count, class mix, unknown
 * categories, drift against training, the model version) and, with
 * `--notify`, tells people: the summary on success, the error on failure —
 * one message either way.
 *
 * @module
 */
import type { Command } from "commander";
import { join } from "node:path";
import { datasetName, digestTable, readCsvFile, tableDrift } from "../../lib/data/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { describeFsError } from "../../lib/fs_error.ts";
import { checkExperimentName, openStore } from "../../lib/mlflow/mod.ts";
import { logTrainingRun } from "../../lib/mlflow/logging.ts";
import { predictTable } from "../../lib/model/mod.ts";
import { networkReason } from "../../lib/net.ts";
import {
  batchMetrics,
  batchNotification,
  type BatchSummary,
  failureNotification,
  summarizeBatch,
} from "../../lib/batch/mod.ts";
import type { Delivery } from "../../lib/notify/mod.ts";
import { redact, redactUrl } from "../../lib/redact.ts";
import { loadModel } from "../model_uri.ts";
import { checkOutDir } from "../out_path.ts";
import { print, printError } from "../output.ts";
import { predictionsCsv } from "../predictions.ts";
import { deliver, notDelivered } from "./notify.ts";
import { withJson, withTrackingUri } from "../options.ts";

interface BatchFlags {
  model: string;
  data: string;
  out: string;
  trackingUri?: string;
  experiment?: string;
  track: boolean;
  notify: boolean;
  url?: string;
  json: boolean;
}

const HELP = `
Writes <out>/predictions.csv and <out>/summary.json. summary.json is written on
failure too ({"status": "failed", "error": ..., "notified": ...}), so a job can
tell whether people were already told.

--notify uses the channels \`mlops notify --help\` lists. The MLflow run goes to
experiment "<model>-batch-inference" unless --experiment says otherwise.

Example (what .github/workflows/batch.yml runs nightly):
  mlops batch --model models:/telco-customer-churn@champion \\
    --data https://example.com/exports/customers.csv --notify --url "$RUN_URL"`;

/** Registers `batch`. */
export function register(program: Command): void {
  withJson(
    withTrackingUri(
      program
        .command("batch")
        .description("batch inference: score a CSV, log the run to MLflow, notify")
        .requiredOption("--model <ref>", "bundle file, model directory, or models:/<name>@<alias>")
        .requiredOption("--data <csv>", "CSV to score: a path or an http(s) URL")
        .option("--out <dir>", "where predictions.csv and summary.json go", "out/batch"),
    )
      .option("--experiment <name>", "MLflow experiment for the run")
      .option("--no-track", "do not log to MLflow")
      .option("--notify", "send the summary (or the failure) to the configured channels", false)
      .option("--url <url>", "link the notification points to (a CI run)"),
    "print the summary as one JSON object",
  )
    .addHelpText("after", HELP)
    .action(async (flags: BatchFlags) => {
      const t0 = performance.now();
      const summaryFile = join(flags.out, "summary.json");
      // Set once a notification went out (even if refused), so a failure after it sends no second one.
      let notifyAttempted = false;
      let deliveries: Delivery[] | null = null;
      // A channel that refused the summary: the batch itself succeeded, so this is thrown last.
      let refused: UserError | null = null;
      try {
        await checkOutDir(flags.out, "batch");
        const bundle = await loadModel(flags.model, flags.trackingUri);
        const experiment = flags.experiment ?? `${bundle.name}-batch-inference`;
        if (flags.track) checkExperimentName(experiment);
        const data = await localCsv(flags.data);
        let table;
        try {
          table = await readCsvFile(data.path);
        } finally {
          await data.cleanup();
        }
        const pred = predictTable(bundle, table);
        const summary = summarizeBatch({
          model: { name: bundle.name, version: bundle.version ?? null, uri: flags.model },
          data: { source: data.source, rows: table.rows.length, digest: await digestTable(table) },
          labels: pred.labels,
          classes: pred.classes,
          unknownCategories: pred.unknownCategories,
          drift: tableDrift(bundle.schema, bundle.featureStats, table),
        });
        await Deno.mkdir(flags.out, { recursive: true });
        const predictionsFile = join(flags.out, "predictions.csv");
        await Deno.writeTextFile(predictionsFile, predictionsCsv(pred));
        await writeJson(summaryFile, summary);

        const tracked = flags.track
          ? await logTrainingRun(openStore(flags.trackingUri), {
            experiment,
            runName: `batch-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "")}`,
            params: {
              model_name: bundle.name,
              model_version: bundle.version ?? "unregistered",
              model_uri: flags.model,
              data_source: data.source,
            },
            metrics: { ...batchMetrics(summary), duration_ms: performance.now() - t0 },
            tags: { "mlops.kind": "batch-inference" },
            dataset: {
              name: datasetName(data.source.split("?")[0]),
              digest: summary.data.digest,
              source: data.source,
              rows: summary.data.rows,
              schema: bundle.schema,
            },
            artifacts: [{ localPath: summaryFile, artifactPath: "" }],
          }, { warn: printError })
          : null;

        if (flags.notify) {
          notifyAttempted = true;
          deliveries = await deliver(batchNotification(summary, {
            runId: tracked?.runId,
            experiment: tracked ? experiment : null,
            url: flags.url,
          }));
        }
        const report = {
          ...summary,
          out: { predictions: predictionsFile, summary: summaryFile },
          run_id: tracked?.runId ?? null,
          experiment: tracked ? experiment : null,
          tracking_uri: tracked?.trackingUri ?? null,
          pending_sync: tracked?.pendingSync ?? null,
          notified: deliveries?.some((d) => d.ok) ?? false,
          deliveries,
          duration_ms: Math.round(performance.now() - t0),
        };
        await writeJson(summaryFile, report);
        if (flags.json) print(JSON.stringify(report));
        else print(human(report, tracked?.runId ?? null));
        refused = deliveries && notDelivered(deliveries);
      } catch (e) {
        const error = oneLine(e);
        if (flags.notify && !notifyAttempted) {
          notifyAttempted = true;
          deliveries = await deliver(failureNotification({
            error,
            model: flags.model,
            data: sourceOf(flags.data),
            url: flags.url,
          }));
          // The batch's own failure is what the exit code reports; a refused message is a note.
          const ne = notDelivered(deliveries);
          if (ne) printError(`mlops: ${ne.message}`);
        }
        await Deno.mkdir(flags.out, { recursive: true }).catch(() => {});
        await writeJson(summaryFile, {
          status: "failed",
          error,
          model: flags.model,
          data: sourceOf(flags.data),
          notified: deliveries?.some((d) => d.ok) ?? false,
          deliveries,
          duration_ms: Math.round(performance.now() - t0),
        }).catch(() => {});
        throw e;
      }
      if (refused) throw refused;
    });
}

/** Where data came from, safe to show and store: URLs lose credentials and query. */
function sourceOf(data: string): string {
  return /^https?:\/\//i.test(data) ? redactUrl(data) : data;
}

/** The CSV as a local file: a path as is, a URL downloaded to a temporary file. */
async function localCsv(
  data: string,
): Promise<{ path: string; source: string; cleanup: () => Promise<void> }> {
  if (!/^https?:\/\//i.test(data)) {
    return { path: data, source: data, cleanup: () => Promise.resolve() };
  }
  const source = redactUrl(data);
  let res: Response;
  try {
    res = await fetch(data, { signal: AbortSignal.timeout(300_000) });
  } catch (e) {
    throw new UserError(`--data ${source}: ${networkReason(e)}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new UserError(`--data ${source}: the server answered ${res.status}`);
  }
  const path = await Deno.makeTempFile({ prefix: "mlops-batch-", suffix: ".csv" });
  const cleanup = () => Deno.remove(path).catch(() => {});
  try {
    await res.body!.pipeTo((await Deno.open(path, { write: true, truncate: true })).writable);
  } catch (e) {
    await cleanup();
    throw new UserError(`--data ${source}: the download broke off (${networkReason(e)})`);
  }
  return { path, source, cleanup };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

function oneLine(e: unknown): string {
  const fs = describeFsError(e);
  const text = fs ?? (e instanceof Error ? e.message : String(e));
  return redact(text.split("\n")[0]);
}

function human(r: BatchSummary & { out: { predictions: string } }, runId: string | null): string {
  const mix = Object.entries(r.predictions_by_class)
    .map(([c, n]) => `${c} ${n} (${(r.class_fractions[c] * 100).toFixed(1)}%)`).join(", ");
  const unknown = Object.entries(r.unknown_categories).map(([f, n]) => `${f}×${n}`).join(", ");
  const lines = [
    `model     ${r.model.name} ${r.model.version ?? "(unregistered)"} (${r.model.uri})`,
    `data      ${r.data.source}: ${r.data.rows} rows`,
    `predicted ${mix}`,
    `unknown   ${unknown || "none"}`,
    `drift     ${
      r.drift.max_psi === null
        ? "no training statistics"
        : `max PSI ${r.drift.max_psi.toFixed(3)} (${r.drift.max_feature}); ${
          r.drift.drifted.length ? `drifted: ${r.drift.drifted.join(", ")}` : "none over 0.2"
        }`
    }`,
    `wrote     ${r.out.predictions}`,
  ];
  if (runId) lines.push(`mlflow    run ${runId}`);
  return lines.join("\n");
}
