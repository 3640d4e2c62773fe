/**
 * `deno task monitor`: the whole local monitoring stack with one command,
 * until Ctrl-C — Prometheus and Alertmanager (Debian's packages) with the
 * configs in this folder, the edge with the promoted model (`edge/model/`,
 * or `MODEL_PATH`) unless one already answers at `EDGE_URL`, the Telegram bot
 * when `TELEGRAM_BOT_TOKEN` is set, and Grafana when a `grafana` or
 * `grafana-server` binary is on PATH (otherwise it prints the Docker command).
 *
 * External URLs are set, so the links in alerts lead to this Prometheus and
 * Alertmanager; every URL is printed once all is up. Ctrl-C stops exactly
 * what this run started (an edge that was already running stays up). Data
 * lives in a temporary directory removed on exit. The plan itself, and every
 * variable, is in `stack.ts`.
 *
 * @module
 */
import {
  APT_HINT,
  DEFAULT_ALERTMANAGER,
  DEFAULT_PROMETHEUS,
  monitorPlan,
  type ServiceSpec,
} from "./stack.ts";

export { BOT_PERMISSIONS, monitorPlan } from "./stack.ts";

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/** The first `names` binary on PATH, or null. */
export function onPath(names: string[], path = Deno.env.get("PATH") ?? ""): string | null {
  for (const dir of path.split(":").filter(Boolean)) {
    for (const n of names) if (isFile(`${dir}/${n}`)) return `${dir}/${n}`;
  }
  return null;
}

async function answers(url: string, ms = 1000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ms) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Whether an edge already runs at `edgeUrl`, so none must be started there.
 * A busy machine can take seconds to answer, and one missed probe would plan a
 * second edge on a port already taken: `/healthz` gets a few tries with a
 * generous timeout, and a port that accepts connections counts as taken even
 * when nothing answers on it.
 */
async function edgeAlreadyRunning(edgeUrl: string, tries = 3, ms = 5000): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await answers(`${edgeUrl}/healthz`, ms)) return true;
  }
  const url = new URL(edgeUrl);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  try {
    const conn = await Deno.connect({ hostname: url.hostname.replace(/^\[|\]$/g, ""), port });
    conn.close();
    console.error(
      `monitor: ${edgeUrl} accepts connections but /healthz did not answer; using it as the edge`,
    );
    return true;
  } catch {
    return false;
  }
}

/** One supervised child process. */
interface Service {
  spec: ServiceSpec;
  child: Deno.ChildProcess;
}

function start(spec: ServiceSpec): Service {
  const child = new Deno.Command(spec.bin, {
    args: spec.args,
    env: spec.env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return { spec, child };
}

async function waitReady(url: string, child: Deno.ChildProcess, ms = 20_000): Promise<boolean> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !exited) {
    if (await answers(url)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function help(): void {
  console.log(`Usage: deno task monitor

Runs the local monitoring stack until Ctrl-C: Prometheus and Alertmanager (Debian
packages) with monitoring/*.yml, the edge (deno task serve) unless one answers at
EDGE_URL, the Telegram bot when TELEGRAM_BOT_TOKEN is set, Grafana when a grafana
or grafana-server binary is on PATH. Ctrl-C stops exactly what it started.

Environment:
  PROMETHEUS_BIN, ALERTMANAGER_BIN  binaries (${DEFAULT_PROMETHEUS}, ${DEFAULT_ALERTMANAGER})
  PROMETHEUS_ADDR, ALERTMANAGER_ADDR  listen addresses (127.0.0.1:9090, 127.0.0.1:9093)
  EDGE_URL        the edge to scrape or start (http://127.0.0.1:8000); MODEL_PATH for it
  EDGE_METRICS    pull (scrape /metrics, default) or otlp (edge pushes to an OTel Collector)
  TELEGRAM_BOT_TOKEN and the bot's variables (bot/README.md); BOT_PORT (8081)
  GRAFANA_ADDR    Grafana's address when it runs (127.0.0.1:3000)`);
}

async function main(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    help();
    return 0;
  }
  const env = Deno.env.toObject();
  const prometheus = env.PROMETHEUS_BIN ?? DEFAULT_PROMETHEUS;
  const alertmanager = env.ALERTMANAGER_BIN ?? DEFAULT_ALERTMANAGER;
  const missing = [prometheus, alertmanager].filter((b) => !isFile(b));
  if (missing.length > 0) {
    console.error(`monitor: not found: ${missing.join(", ")}`);
    console.error(`Install the Debian/Ubuntu packages:\n\n  ${APT_HINT}\n`);
    console.error(
      "Or, with Docker, run the whole stack (Prometheus, Alertmanager, Grafana, OTel Collector):\n\n" +
        "  docker compose -f monitoring/compose.yml up -d\n",
    );
    return 1;
  }

  const edgeUrl = (env.EDGE_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
  const data = await Deno.makeTempDir({ prefix: "mlops-monitor-" });
  const plan = monitorPlan(env, data, {
    edgeRunning: await edgeAlreadyRunning(edgeUrl),
    grafanaBin: onPath(["grafana-server", "grafana"]),
  });
  const services: Service[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Only what this run started, newest first.
    for (const s of [...services].reverse()) {
      try {
        s.child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => {
      for (const s of services) {
        try {
          s.child.kill("SIGKILL");
        } catch {
          // gone
        }
      }
    }, 8000);
    await Promise.allSettled(services.map((s) => s.child.status));
    clearTimeout(timer);
    await Deno.remove(data, { recursive: true }).catch(() => {});
  };

  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const interrupted = new Promise<number>((resolve) => {
    for (const sig of signals) Deno.addSignalListener(sig, () => resolve(0));
  });
  try {
    for (const [file, text] of Object.entries(plan.files)) {
      await Deno.mkdir(file.replace(/\/[^/]*$/, ""), { recursive: true });
      await Deno.writeTextFile(file, text, { mode: 0o600 });
    }
    // One after the other, each ready before the next: Alertmanager listens
    // before Prometheus' first alerts (the Watchdog) are sent.
    for (const spec of plan.services) {
      const s = start(spec);
      services.push(s);
      const ok = await Promise.race([waitReady(spec.ready, s.child), interrupted.then(() => false)]);
      if (!ok) {
        console.error(`monitor: ${spec.name} did not become ready; see the output above.`);
        await stop();
        return 1;
      }
    }
  } catch (e) {
    console.error(`monitor: could not start: ${e instanceof Error ? e.message : e}`);
    await stop();
    return 1;
  }
  const died = Promise.race(
    services.map((s) =>
      s.child.status.then((st) => {
        if (!stopping) console.error(`monitor: ${s.spec.name} exited with code ${st.code}`);
        return st.code === 0 ? 1 : st.code;
      })
    ),
  );

  if (services.some((s) => s.spec.name === "edge") && !(await answers(`${edgeUrl}/readyz`))) {
    plan.notes.push(
      `The edge runs but has no model yet (${edgeUrl}/readyz says why): promote one with ` +
        "deno task mlops promote, or set MODEL_PATH=out/model after deno task demo.",
    );
  }
  const width = Math.max(...plan.urls.map((u) => u.what.length)) + 2;
  console.log(
    [
      "",
      `mlops monitoring is up (data in ${data}, removed on exit):`,
      ...plan.urls.map((u) => `  ${u.what.padEnd(width)}${u.url}${u.note ? `  (${u.note})` : ""}`),
      ...plan.notes.map((n) => `  ${n}`),
      "",
      "Ctrl-C stops what this started.",
    ].join("\n"),
  );
  const code = await Promise.race([interrupted, died]);
  console.log("\nmonitor: stopping...");
  await stop();
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
