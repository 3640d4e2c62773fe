/**
 * The real Alertmanager and Prometheus (Debian's packages) on loopback for
 * the bot's tests: each on a free port, in a temporary folder removed on
 * dispose, with the config the test writes.
 *
 * @module
 */
import { spawnChild } from "./child.ts";
import { PARTS } from "./parts.ts";

/** A free loopback port (bound, then released for the service to take). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running Debian binary. */
export interface Service extends AsyncDisposable {
  url: string;
  port: number;
  dir: string;
  output(): string;
  /** Stops it (SIGTERM) and waits. */
  stop(): Promise<void>;
}

async function startService(
  bin: string,
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
  port = freePort(),
  dir?: string,
): Promise<Service> {
  dir ??= await Deno.makeTempDir({ prefix: "mlops-bot-test-" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  const child = spawnChild(bin, { args: args(dir, port) });
  const url = `http://127.0.0.1:${port}`;
  const ready = () =>
    fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(500) }).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
  await child.waitFor(ready, {
    timeoutMs: 20_000,
    intervalMs: 100,
    what: `${bin} did not become ready`,
  });
  const stop = async () => {
    await child.stop();
  };
  return {
    url,
    port,
    dir,
    output: child.output,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir!, { recursive: true }).catch(() => {});
    },
  };
}

/** Alertmanager with `config` (YAML text) and `files` beside it. */
export function startAlertmanager(
  config: string,
  files: Record<string, string> = {},
  port?: number,
): Promise<Service> {
  return startService(
    PARTS.alertmanager.path,
    (dir, port) => [
      `--config.file=${dir}/alertmanager.yml`,
      `--storage.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { "alertmanager.yml": config, ...files },
    port,
  );
}

/** Prometheus with `config` and rule files, evaluated as often as the config says. */
export function startPrometheus(
  config: string,
  rules: Record<string, string>,
  port?: number,
  dir?: string,
  extraArgs: string[] = [],
): Promise<Service> {
  return startService(
    PARTS.prometheus.path,
    (d, p) => [
      `--config.file=${d}/prometheus.yml`,
      `--storage.tsdb.path=${d}/data`,
      `--web.listen-address=127.0.0.1:${p}`,
      "--log.level=warn",
      ...extraArgs,
    ],
    { "prometheus.yml": config, ...rules },
    port,
    dir,
  );
}

/** Alerts Alertmanager holds, via its v2 API. */
export async function postAlertsToAlertmanager(
  url: string,
  alerts: {
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    endsAt?: string;
  }[],
): Promise<void> {
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(
      alerts.map((a) => ({ ...a, generatorURL: "http://prometheus.example/graph" })),
    ),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status}`);
}

/** Options for {@link shippedPrometheusFiles}. */
export interface ShippedPrometheusOptions {
  /** Targets per job name; jobs not named are dropped. */
  targets: Record<string, string[]>;
  /** Alertmanager's address (host:port), or none. */
  alertmanager?: string;
  /** Scrape and rule-evaluation interval, seconds (default 1). */
  interval?: number;
  /** `for:` durations to shorten, by alert name. */
  forOverrides?: Record<string, string>;
}

/**
 * monitoring/prometheus.yml and the rule files as shipped, with the targets
 * a test runs on, short intervals (rule groups lose their own `interval:`)
 * and optional shorter `for:` durations: the files `startPrometheus` takes.
 * Jobs that read their targets from files (the edge's) keep doing so:
 * `files` holds those target files too, which a test may rewrite in the
 * running Prometheus' folder to add or remove targets.
 */
export async function shippedPrometheusFiles(
  options: ShippedPrometheusOptions,
): Promise<{ config: string; rules: Record<string, string>; files: Record<string, string> }> {
  const { parse, stringify } = await import("yaml");
  const root = decodeURIComponent(new URL("../../", import.meta.url).pathname);
  // deno-lint-ignore no-explicit-any
  const cfg: any = parse(await Deno.readTextFile(`${root}monitoring/prometheus.yml`));
  const every = `${options.interval ?? 1}s`;
  cfg.global.scrape_interval = every;
  cfg.global.evaluation_interval = every;
  if (options.alertmanager) {
    cfg.alerting.alertmanagers[0].static_configs[0].targets = [options.alertmanager];
  } else delete cfg.alerting;
  // deno-lint-ignore no-explicit-any
  cfg.scrape_configs = cfg.scrape_configs.filter((j: any) => options.targets[j.job_name]);
  const targetFiles: Record<string, string> = {};
  for (const j of cfg.scrape_configs) {
    const group = [{ targets: options.targets[j.job_name] }];
    if (j.file_sd_configs) targetFiles[j.file_sd_configs[0].files[0]] = stringify(group);
    else j.static_configs = group;
    j.scrape_interval = every;
    j.scrape_timeout = `${Math.max(100, (options.interval ?? 1) * 900)}ms`;
  }
  const rules: Record<string, string> = {};
  for (const file of cfg.rule_files as string[]) {
    // deno-lint-ignore no-explicit-any
    const doc: any = parse(await Deno.readTextFile(`${root}monitoring/${file}`));
    for (const g of doc.groups) {
      delete g.interval;
      for (const r of g.rules) {
        const short = r.alert ? options.forOverrides?.[r.alert] : undefined;
        if (short) r.for = short;
      }
    }
    rules[file] = stringify(doc);
  }
  return { config: stringify(cfg), rules, files: { ...rules, ...targetFiles } };
}

/** An instant query through Prometheus' HTTP API: the result, or an error message. */
export async function promQuery(
  url: string,
  expr: string,
): Promise<
  { ok: true; result: { metric: Record<string, string>; value: [number, string] }[] } | {
    ok: false;
    error: string;
  }
> {
  const res = await fetch(`${url}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (body.status !== "success") return { ok: false, error: `${body.errorType}: ${body.error}` };
  const data = body.data;
  if (data.resultType === "scalar") {
    return { ok: true, result: [{ metric: {}, value: data.result }] };
  }
  return { ok: true, result: data.result };
}

/**
 * Polls `check` every 250 ms until it holds; throws naming `what` after `ms`.
 *
 * @example
 * ```ts
 * import { until } from "./monitoring_parts.ts";
 *
 * const url = "http://127.0.0.1:9090";
 * await until("Prometheus up", 10_000, async () => (await fetch(`${url}/-/ready`)).ok);
 * ```
 */
export async function until(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
