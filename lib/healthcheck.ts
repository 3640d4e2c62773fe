/**
 * A container `HEALTHCHECK` without curl (the Deno base image has none):
 * `deno run --allow-net=127.0.0.1 --allow-env=PORT lib/healthcheck.ts PORT`
 * asks `http://127.0.0.1:$PORT/healthz` and exits 0 on a 2xx answer within
 * 4 seconds, 1 otherwise. The argument names the variable holding the port
 * (the edge's `PORT`, the bot's `BOT_PORT`), so one script serves both images.
 *
 * @module
 */

/** The liveness URL for the port in `portVariable` (default 8000). */
export function healthUrl(portVariable: string, env: (name: string) => string | undefined): URL {
  const raw = env(portVariable)?.trim() || "8000";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`${portVariable} must be a port number, got "${raw}"`);
  }
  return new URL(`http://127.0.0.1:${port}/healthz`);
}

if (import.meta.main) {
  try {
    const url = healthUrl(Deno.args[0] ?? "PORT", (k) => Deno.env.get(k));
    const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
    await res.body?.cancel();
    if (!res.ok) console.error(`healthcheck: ${url} answered ${res.status}`);
    Deno.exit(res.ok ? 0 : 1);
  } catch (e) {
    console.error(`healthcheck: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
