/**
 * `deno task monitor`: runs Prometheus and Alertmanager from the Debian
 * packages against the configs in this folder, until Ctrl-C.
 *
 * Prometheus scrapes the edge (`deno task serve`) on 127.0.0.1:8000 and
 * evaluates `rules/mlops.rules.yml`; Alertmanager routes what fires. Data
 * lives in a temporary directory removed on exit. Grafana is not packaged in
 * Debian: `docker compose -f monitoring/compose.yml up grafana` provides it.
 *
 * Binaries can be overridden with `PROMETHEUS_BIN` / `ALERTMANAGER_BIN`.
 *
 * With `TELEGRAM_BOT_TOKEN` set, the mlops Telegram bot (`bot/main.ts`) runs
 * too, on 127.0.0.1:8081 where Alertmanager sends every alert. Alertmanager
 * authenticates with `ALERT_WEBHOOK_TOKEN` (made up for this run when unset),
 * written to `secrets/alert_webhook_token` beside its copy of the config.
 *
 * @module
 */

const HERE = new URL(".", import.meta.url);
const path = (rel: string) => decodeURIComponent(new URL(rel, HERE).pathname);

/** Default binaries, as installed by `apt-get install prometheus prometheus-alertmanager`. */
export const DEFAULT_PROMETHEUS = "/usr/bin/prometheus";
export const DEFAULT_ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
export const APT_HINT = "sudo apt-get install -y prometheus prometheus-alertmanager";

const PROMETHEUS_ADDR = "127.0.0.1:9090";
const ALERTMANAGER_ADDR = "127.0.0.1:9093";
const BOT_ADDR = "127.0.0.1:8081";
/** `deno task bot`'s permissions. */
export const BOT_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
];

/** A service to run. */
export interface ServiceSpec {
  name: string;
  bin: string;
  args: string[];
  /** Extra environment (on top of this process'). */
  env: Record<string, string>;
  /** Readiness URL. */
  ready: string;
}

/** What `deno task monitor` will run, decided from the environment. */
export interface MonitorPlan {
  services: ServiceSpec[];
  /** Files to write before starting (path → text). */
  files: Record<string, string>;
  /** The bearer token Alertmanager sends the bot; null without a bot. */
  alertToken: string | null;
  notes: string[];
}

function randomToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(24))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The services and files for `env`, with data under `data`.
 *
 * @example
 * ```ts
 * monitorPlan({ TELEGRAM_BOT_TOKEN: "123:abc" }).services.map((s) => s.name);
 * // ["alertmanager", "prometheus", "bot"]
 * ```
 */
export function monitorPlan(env: Record<string, string | undefined>, data = "DATA"): MonitorPlan {
  const prometheus = env.PROMETHEUS_BIN ?? DEFAULT_PROMETHEUS;
  const alertmanager = env.ALERTMANAGER_BIN ?? DEFAULT_ALERTMANAGER;
  const bot = Boolean(env.TELEGRAM_BOT_TOKEN?.trim());
  const alertToken = bot ? (env.ALERT_WEBHOOK_TOKEN?.trim() || randomToken()) : null;
  const services: ServiceSpec[] = [
    {
      name: "alertmanager",
      bin: alertmanager,
      args: [
        // A copy beside its secret: the config names the token file relative to itself.
        `--config.file=${data}/alertmanager.yml`,
        `--storage.path=${data}/alertmanager`,
        `--web.listen-address=${ALERTMANAGER_ADDR}`,
        "--cluster.listen-address=", // single node: no gossip port
      ],
      env: {},
      ready: `http://${ALERTMANAGER_ADDR}/-/ready`,
    },
    {
      name: "prometheus",
      bin: prometheus,
      args: [
        `--config.file=${path("prometheus.yml")}`,
        `--storage.tsdb.path=${data}/prometheus`,
        `--web.listen-address=${PROMETHEUS_ADDR}`,
        "--web.enable-lifecycle", // curl -X POST :9090/-/reload after editing rules
      ],
      env: {},
      ready: `http://${PROMETHEUS_ADDR}/-/ready`,
    },
  ];
  const notes: string[] = [];
  if (bot) {
    services.push({
      name: "bot",
      bin: Deno.execPath(),
      args: ["run", ...BOT_PERMISSIONS, path("../bot/main.ts")],
      env: {
        ALERT_WEBHOOK_TOKEN: alertToken!,
        BOT_PORT: env.BOT_PORT ?? BOT_ADDR.split(":")[1],
        PROMETHEUS_URL: env.PROMETHEUS_URL ?? `http://${PROMETHEUS_ADDR}`,
        ALERTMANAGER_URL: env.ALERTMANAGER_URL ?? `http://${ALERTMANAGER_ADDR}`,
        EDGE_URL: env.EDGE_URL ?? "http://127.0.0.1:8000",
      },
      ready: `http://${BOT_ADDR}/healthz`,
    });
  } else {
    notes.push(
      "The Telegram bot is not started: set TELEGRAM_BOT_TOKEN (and TELEGRAM_ALERT_CHATS, " +
        "TELEGRAM_ALLOWED_USERS) to have deno task monitor run it; see bot/README.md.",
    );
  }
  return {
    services,
    files: {
      [`${data}/alertmanager.yml`]: Deno.readTextFileSync(path("alertmanager.yml")),
      [`${data}/secrets/alert_webhook_token`]: alertToken ?? "",
    },
    alertToken,
    notes,
  };
}

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/** One supervised child process. */
interface Service {
  name: string;
  url: string;
  child: Deno.ChildProcess;
}

function start(spec: ServiceSpec): Service {
  const { name, bin, args, env } = spec;
  const url = spec.ready;
  const child = new Deno.Command(bin, {
    args,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return { name, url, child };
}

async function waitReady(url: string, child: Deno.ChildProcess, ms = 15_000): Promise<boolean> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function help(): void {
  console.log(`Usage: deno task monitor

Runs Prometheus (${PROMETHEUS_ADDR}) and Alertmanager (${ALERTMANAGER_ADDR}) from the
Debian packages with monitoring/prometheus.yml and monitoring/alertmanager.yml.
Start the edge first or alongside: deno task serve (metrics on 127.0.0.1:8000/metrics).
With TELEGRAM_BOT_TOKEN set, also runs the mlops Telegram bot (${BOT_ADDR}), which
Alertmanager sends every alert to. Ctrl-C stops everything.

Environment: PROMETHEUS_BIN (default ${DEFAULT_PROMETHEUS}),
             ALERTMANAGER_BIN (default ${DEFAULT_ALERTMANAGER}),
             TELEGRAM_BOT_TOKEN and the bot's variables (bot/README.md).`);
}

async function main(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    help();
    return 0;
  }
  const prometheus = Deno.env.get("PROMETHEUS_BIN") ?? DEFAULT_PROMETHEUS;
  const alertmanager = Deno.env.get("ALERTMANAGER_BIN") ?? DEFAULT_ALERTMANAGER;
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

  const data = await Deno.makeTempDir({ prefix: "mlops-monitor-" });
  const services: Service[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const s of services) {
      try {
        s.child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    await Promise.allSettled(services.map((s) => s.child.status));
    await Deno.remove(data, { recursive: true }).catch(() => {});
  };

  const plan = monitorPlan(Deno.env.toObject(), data);
  try {
    for (const [file, text] of Object.entries(plan.files)) {
      await Deno.mkdir(file.replace(/\/[^/]*$/, ""), { recursive: true });
      await Deno.writeTextFile(file, text, { mode: 0o600 });
    }
    for (const spec of plan.services) services.push(start(spec));
  } catch (e) {
    console.error(`monitor: could not start: ${e instanceof Error ? e.message : e}`);
    await stop();
    return 1;
  }

  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const interrupted = new Promise<number>((resolve) => {
    for (const sig of signals) Deno.addSignalListener(sig, () => resolve(0));
  });
  const died = Promise.race(
    services.map((s) =>
      s.child.status.then((st) => {
        if (!stopping) console.error(`monitor: ${s.name} exited with code ${st.code}`);
        return st.code === 0 ? 1 : st.code;
      })
    ),
  );

  const ready = await Promise.all(services.map((s) => waitReady(s.url, s.child)));
  if (ready.every(Boolean)) {
    console.log(`
mlops monitoring is up (data in ${data}, removed on exit):
  Prometheus    http://${PROMETHEUS_ADDR}   (targets: /targets, alerts: /alerts)
  Alertmanager  http://${ALERTMANAGER_ADDR}
  Scraping      http://127.0.0.1:8000/metrics  (start the edge: deno task serve)
  ${
      plan.alertToken
        ? `Telegram bot  http://${BOT_ADDR}  (Alertmanager sends it every alert)`
        : plan.notes.join("\n  ")
    }

Grafana is not in Debian's archive. With Docker:
  docker compose -f monitoring/compose.yml up -d grafana   # http://127.0.0.1:3000
  (dashboard monitoring/grafana/dashboards/mlops-edge.json can also be imported by hand)

Ctrl-C stops everything.`);
  } else {
    console.error("monitor: a service did not become ready; see its output above.");
    await stop();
    return 1;
  }

  const code = await Promise.race([interrupted, died]);
  console.log("\nmonitor: stopping...");
  await stop();
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
