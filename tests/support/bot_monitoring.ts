/**
 * The shipped `monitoring/alertmanager.yml`, pointed at a test bot: the
 * bot receiver's URL replaced, timings shortened to seconds, and the bearer
 * token file written where the config expects it. Everything else (routes,
 * inhibitions, the credentials_file indirection) is what users run.
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { ALERT_TOKEN } from "./bot_harness.ts";
import { type Service, startAlertmanager } from "./monitoring_parts.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

// deno-lint-ignore no-explicit-any
type Yaml = any;

/** Alertmanager timings for a test. */
export interface Timings {
  wait: string;
  interval: string;
  repeat: string;
}

/** The shipped Alertmanager config with test timings and `botUrl`. */
export async function testAlertmanagerConfig(
  botUrl: string,
  fast: Timings = { wait: "0s", interval: "1s", repeat: "1h" },
) {
  const cfg: Yaml = parse(await Deno.readTextFile(`${ROOT}monitoring/alertmanager.yml`));
  const fix = (r: Yaml) => {
    if ("group_wait" in r || r === cfg.route) r.group_wait = fast.wait;
    if ("group_interval" in r || r === cfg.route) r.group_interval = fast.interval;
    if ("repeat_interval" in r || r === cfg.route) r.repeat_interval = fast.repeat;
    for (const c of r.routes ?? []) fix(c);
  };
  fix(cfg.route);
  const bot = cfg.receivers.find((r: Yaml) => r.name === "mlops-bot");
  bot.webhook_configs[0].url = `${botUrl}/alerts`;
  cfg.global.resolve_timeout = "5s";
  return stringify(cfg);
}

/** Starts the real Alertmanager routing to the test bot at `botUrl`. */
export async function startAlertmanagerFor(
  botUrl: string,
  options: { token?: string; fast?: Timings; port?: number } = {},
): Promise<Service> {
  return await startAlertmanager(
    await testAlertmanagerConfig(botUrl, options.fast),
    { "secrets/alert_webhook_token": options.token ?? ALERT_TOKEN },
    options.port,
  );
}
