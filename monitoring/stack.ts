/**
 * What `deno task monitor` runs, decided from the environment, as data: the
 * services in start order and the files they need. Pure, so tests check the
 * plan (and `promtool check config` the Prometheus file) without starting
 * anything; `run_stack.ts` carries it out.
 *
 * @module
 */
import { parse, stringify } from "yaml";

const HERE = new URL(".", import.meta.url);
/** Absolute path of a file beside this module. */
export const here = (rel: string): string => decodeURIComponent(new URL(rel, HERE).pathname);

/** Default binaries, as installed by `apt-get install prometheus prometheus-alertmanager`. */
export const DEFAULT_PROMETHEUS = "/usr/bin/prometheus";
export const DEFAULT_ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
export const APT_HINT = "sudo apt-get install -y prometheus prometheus-alertmanager";
/** How to get Grafana where its binary is missing (it is not in Debian's archive). */
export const GRAFANA_HINT = "docker compose -f monitoring/compose.yml up -d grafana";

/** `deno task bot`'s permissions. */
export const BOT_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
];
/** `deno task serve`'s permissions. */
export const EDGE_PERMISSIONS = ["--allow-read", "--allow-env", "--allow-net", "--allow-sys"];

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

/** One line of the "what is where" list printed once everything is up. */
export interface Url {
  what: string;
  url: string;
  note?: string;
}

/** What `deno task monitor` will run. */
export interface MonitorPlan {
  services: ServiceSpec[];
  /** Files to write before starting (path → text). */
  files: Record<string, string>;
  /** The bearer token Alertmanager sends the bot; null without a bot. */
  alertToken: string | null;
  urls: Url[];
  notes: string[];
}

/** What the plan cannot know by itself (probed by `run_stack.ts`). */
export interface PlanFacts {
  /** An edge already answers at EDGE_URL: use it, start none. */
  edgeRunning: boolean;
  /** A `grafana` or `grafana-server` binary on PATH, or null. */
  grafanaBin: string | null;
}

function randomToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(24))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** host:port of an http URL. */
function hostPort(url: string): { host: string; port: string } {
  const u = new URL(url);
  return { host: u.hostname, port: u.port || (u.protocol === "https:" ? "443" : "80") };
}

// deno-lint-ignore no-explicit-any
type Yaml = any;

/**
 * The shipped prometheus.yml for this run: rule files by absolute path,
 * target files in `data`, Alertmanager and bot at their addresses.
 */
function prometheusConfig(addrs: { am: string; bot: string; self: string }, data: string): string {
  const cfg: Yaml = parse(Deno.readTextFileSync(here("prometheus.yml")));
  cfg.rule_files = (cfg.rule_files as string[]).map((f) => here(f));
  cfg.alerting.alertmanagers[0].static_configs[0].targets = [addrs.am];
  for (const job of cfg.scrape_configs) {
    for (const sd of job.file_sd_configs ?? []) {
      sd.files = sd.files.map((f: string) => `${data}/${f}`);
    }
    const fixed: Record<string, string> = {
      "mlops-bot": addrs.bot,
      prometheus: addrs.self,
      alertmanager: addrs.am,
    };
    if (fixed[job.job_name]) job.static_configs[0].targets = [fixed[job.job_name]];
  }
  return stringify(cfg);
}

/**
 * The services and files for `env`, with data under `data`.
 *
 * Environment: `PROMETHEUS_BIN`, `ALERTMANAGER_BIN`, `PROMETHEUS_ADDR`
 * (127.0.0.1:9090), `ALERTMANAGER_ADDR` (127.0.0.1:9093), `EDGE_URL`
 * (http://127.0.0.1:8000), `EDGE_METRICS` (`pull`, or `otlp` for the push
 * path through an OpenTelemetry Collector on :4318/:9464), `MODEL_PATH` for
 * an edge it starts, `TELEGRAM_BOT_TOKEN` (and the bot's variables),
 * `BOT_PORT` (8081), `GRAFANA_ADDR` (127.0.0.1:3000).
 *
 * @example
 * ```ts
 * monitorPlan({ TELEGRAM_BOT_TOKEN: "123:abc" }, "/tmp/m", { edgeRunning: false, grafanaBin: null })
 *   .services.map((s) => s.name);
 * // ["alertmanager", "prometheus", "edge", "bot"]
 * ```
 */
export function monitorPlan(
  env: Record<string, string | undefined>,
  data = "DATA",
  facts: PlanFacts = { edgeRunning: false, grafanaBin: null },
): MonitorPlan {
  const promAddr = env.PROMETHEUS_ADDR ?? "127.0.0.1:9090";
  const amAddr = env.ALERTMANAGER_ADDR ?? "127.0.0.1:9093";
  const edgeUrl = (env.EDGE_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
  const botPort = env.BOT_PORT ?? "8081";
  const grafanaAddr = env.GRAFANA_ADDR ?? "127.0.0.1:3000";
  const push = (env.EDGE_METRICS ?? "pull") === "otlp";
  const promUrl = `http://${promAddr}`, amUrl = `http://${amAddr}`;
  const bot = Boolean(env.TELEGRAM_BOT_TOKEN?.trim());
  const alertToken = bot ? (env.ALERT_WEBHOOK_TOKEN?.trim() || randomToken()) : null;
  const edge = hostPort(edgeUrl);

  const am: Yaml = parse(Deno.readTextFileSync(here("alertmanager.yml")));
  for (const r of am.receivers) {
    for (const w of r.webhook_configs ?? []) {
      w.url = w.url.replace("127.0.0.1:8081", `127.0.0.1:${botPort}`);
    }
  }
  const files: Record<string, string> = {
    // A copy beside its secret: the config names the token file relative to itself.
    [`${data}/alertmanager.yml`]: stringify(am),
    [`${data}/secrets/alert_webhook_token`]: alertToken ?? "",
    [`${data}/prometheus.yml`]: prometheusConfig(
      { am: amAddr, bot: `127.0.0.1:${botPort}`, self: promAddr },
      data,
    ),
    // The path Prometheus reads the edge from: pulled /metrics, or the collector.
    [`${data}/targets/mlops-edge.yml`]: stringify(
      push ? [] : [{ targets: [`${edge.host}:${edge.port}`], labels: { service: "mlops-edge" } }],
    ),
    [`${data}/targets/otel-collector.yml`]: stringify(
      push ? [{ targets: ["127.0.0.1:9464"] }] : [],
    ),
  };

  const services: ServiceSpec[] = [
    {
      name: "alertmanager",
      bin: env.ALERTMANAGER_BIN ?? DEFAULT_ALERTMANAGER,
      args: [
        `--config.file=${data}/alertmanager.yml`,
        `--storage.path=${data}/alertmanager`,
        `--web.listen-address=${amAddr}`,
        // Links in notifications point here, not at this machine's host name.
        `--web.external-url=${amUrl}/`,
        "--cluster.listen-address=", // single node: no gossip port
      ],
      env: {},
      ready: `${amUrl}/-/ready`,
    },
    {
      name: "prometheus",
      bin: env.PROMETHEUS_BIN ?? DEFAULT_PROMETHEUS,
      args: [
        `--config.file=${data}/prometheus.yml`,
        `--storage.tsdb.path=${data}/prometheus`,
        `--web.listen-address=${promAddr}`,
        // Alerts' "source" links (generatorURL) point here.
        `--web.external-url=${promUrl}/`,
        "--web.enable-lifecycle", // curl -X POST :9090/-/reload after editing rules
      ],
      env: {},
      ready: `${promUrl}/-/ready`,
    },
  ];
  const notes: string[] = [];
  const urls: Url[] = [
    { what: "Prometheus", url: `${promUrl}/`, note: "targets: /targets, alerts: /alerts" },
    { what: "Alertmanager", url: `${amUrl}/` },
  ];

  if (!facts.edgeRunning) {
    services.push({
      name: "edge",
      bin: Deno.execPath(),
      args: ["run", ...EDGE_PERMISSIONS, here("../edge/main.ts")],
      env: {
        PORT: edge.port,
        HOST: edge.host,
        PROMETHEUS_URL: promUrl,
        ALERTMANAGER_URL: amUrl,
        ...(env.MODEL_PATH ? { MODEL_PATH: env.MODEL_PATH } : {}),
        ...(push
          ? {
            OTEL_DENO: "true",
            OTEL_SERVICE_NAME: "mlops-edge",
            OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://127.0.0.1:4318",
            OTEL_METRIC_EXPORT_INTERVAL: env.OTEL_METRIC_EXPORT_INTERVAL ?? "10000",
          }
          : {}),
      },
      ready: `${edgeUrl}/healthz`,
    });
  } else {
    notes.push(`Using the edge already running at ${edgeUrl} (not started, not stopped here).`);
  }
  urls.push(
    { what: "Status page", url: `${edgeUrl}/`, note: facts.edgeRunning ? "already running" : "" },
    { what: "Operator view", url: `${edgeUrl}/ops` },
    {
      what: push ? "Edge metrics" : "Scraping",
      url: push ? "http://127.0.0.1:9464/metrics" : `${edgeUrl}/metrics`,
      note: push ? "the OTel Collector's exporter (run it: docker compose ... up -d otel-collector)" : "",
    },
  );

  if (bot) {
    services.push({
      name: "bot",
      bin: Deno.execPath(),
      args: ["run", ...BOT_PERMISSIONS, here("../bot/main.ts")],
      env: {
        ALERT_WEBHOOK_TOKEN: alertToken!,
        BOT_PORT: botPort,
        PROMETHEUS_URL: env.PROMETHEUS_URL ?? promUrl,
        ALERTMANAGER_URL: env.ALERTMANAGER_URL ?? amUrl,
        EDGE_URL: edgeUrl,
      },
      ready: `http://127.0.0.1:${botPort}/healthz`,
    });
    urls.push({
      what: "Telegram bot",
      url: `http://127.0.0.1:${botPort}/`,
      note: "Alertmanager sends it every alert",
    });
  } else {
    notes.push(
      "The Telegram bot is not started: set TELEGRAM_BOT_TOKEN (and TELEGRAM_ALERT_CHATS, " +
        "TELEGRAM_ALLOWED_USERS) to have deno task monitor run it; see bot/README.md.",
    );
  }

  if (facts.grafanaBin) {
    const g = hostPort(`http://${grafanaAddr}`);
    const provisioning = `${data}/grafana/provisioning`;
    const ds: Yaml = parse(
      Deno.readTextFileSync(here("grafana/provisioning/datasources/prometheus.yml")),
    );
    for (const d of ds.datasources) d.url = d.type === "prometheus" ? promUrl : amUrl;
    const dash: Yaml = parse(
      Deno.readTextFileSync(here("grafana/provisioning/dashboards/mlops.yml")),
    );
    dash.providers[0].options.path = here("grafana/dashboards");
    files[`${provisioning}/datasources/prometheus.yml`] = stringify(ds);
    files[`${provisioning}/dashboards/mlops.yml`] = stringify(dash);
    const bin = facts.grafanaBin;
    services.push({
      name: "grafana",
      bin,
      args: [
        ...(/grafana-server$/.test(bin) ? [] : ["server"]),
        `--homepath=${env.GRAFANA_HOME ?? "/usr/share/grafana"}`,
      ],
      env: {
        GF_PATHS_PROVISIONING: provisioning,
        GF_PATHS_DATA: `${data}/grafana/data`,
        GF_PATHS_LOGS: `${data}/grafana/logs`,
        GF_SERVER_HTTP_ADDR: g.host,
        GF_SERVER_HTTP_PORT: g.port,
        GF_AUTH_ANONYMOUS_ENABLED: "true",
        GF_AUTH_ANONYMOUS_ORG_ROLE: "Viewer",
        GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: here("grafana/dashboards/mlops-service.json"),
      },
      ready: `http://${grafanaAddr}/api/health`,
    });
    urls.push({ what: "Grafana", url: `http://${grafanaAddr}/`, note: "admin/admin to edit" });
  } else {
    notes.push(
      `Grafana is not on PATH (grafana or grafana-server; not in Debian's archive). With Docker: ` +
        `${GRAFANA_HINT}  (http://127.0.0.1:3000; or import monitoring/grafana/dashboards/*.json by hand)`,
    );
  }
  return { services, files, alertToken, urls, notes };
}
