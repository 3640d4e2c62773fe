/**
 * Edge load benchmark (issues #5 and #16): the edge under `wrk` next to a
 * bare Hono endpoint that only parses the same JSON, in the same run, and
 * the edge's cold start over many spawns.
 *
 *   deno run -A bench/edge_load.ts               # 100-tree Telco model, 20 cold starts, 6 × 5 s per server
 *   deno run -A bench/edge_load.ts --soak        # plus RSS over a 60 s load
 *   deno run -A bench/edge_load.ts --cold-only   # only the cold starts
 *   deno run -A bench/edge_load.ts --model out/model --duration 5 --connections 16 --cold-starts 20
 *   deno run -A bench/edge_load.ts --model out/model --challenger out2/model   # shadow mode on
 *   deno run -A bench/edge_load.ts --baseline ../other-checkout   # this edge against another build of it
 *
 * Prints req/s of both and their ratio, p50/p99 latency, the cold start
 * (spawn → first successful prediction; min/median/max over the spawns,
 * which run one at a time before the load) and RSS, against issue 16's
 * targets: throughput ≥ 0.6 of bare, p99 ≤ 2 ms at 16 connections, cold
 * start ≤ 100 ms, flat memory. The machine's load average is printed with
 * them: on a shared machine every number is worth only as much as the
 * quiet it was taken in. Needs Debian's `wrk` (`apt-get install wrk`).
 *
 * With `--baseline DIR`, the edge of another checkout (an older commit, a
 * variant) is started the same way from DIR and takes part in the same
 * alternating rounds, so a change is measured against what it changed, in
 * the same minutes of this machine's noise.
 *
 * The edge is measured as it is deployed: `deno task serve:bundle` builds
 * the one-file bundle the container image and Deno Deploy run, once, and the
 * edge is started as that task starts it (the command is read from
 * deno.json), but directly, so its PID is the server's own. Its cold start
 * from the sources (`deno task serve`) is measured alongside.
 *
 * @module
 */
import { readCsvFile } from "../lib/data/mod.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const WRK = "/usr/bin/wrk";

interface Options {
  model?: string;
  /** A challenger bundle for the edge (CHALLENGER_MODEL_PATH), in `challengerMode`. */
  challenger?: string;
  challengerMode: string;
  /** Another checkout whose edge runs in the same rounds. */
  baseline?: string;
  duration: number;
  connections: number;
  threads: number;
  rounds: number;
  coldStarts: number;
  coldOnly: boolean;
  soak: boolean;
  json: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    duration: 5,
    connections: 16,
    threads: 1,
    rounds: 6,
    coldStarts: 20,
    coldOnly: false,
    challengerMode: "shadow",
    soak: false,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--model") o.model = next();
    else if (a === "--challenger") o.challenger = next();
    else if (a === "--challenger-mode") o.challengerMode = next();
    else if (a === "--baseline") o.baseline = next();
    else if (a === "--duration") o.duration = Number(next());
    else if (a === "--connections") o.connections = Number(next());
    else if (a === "--threads") o.threads = Number(next());
    else if (a === "--rounds") o.rounds = Number(next());
    else if (a === "--cold-starts") o.coldStarts = Number(next());
    else if (a === "--soak") o.soak = true;
    else if (a === "--cold-only") o.coldOnly = true;
    else if (a === "--json") o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** A server process and where it listens. */
interface Server extends AsyncDisposable {
  pid: number;
  url: string;
  spawnedAt: number;
}

async function spawnServer(
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<Server> {
  const spawnedAt = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", PORT: "0", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port: string | undefined;
  const deadline = performance.now() + 30_000;
  while (!port) {
    const { value, done } = await reader.read();
    if (done || performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start:\n${text}`);
    }
    text += value;
    port = /listening on http:\/\/[^:]+:(\d+)\//.exec(text)?.[1];
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    spawnedAt,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
      await drain.catch(() => {});
    },
  };
}

/**
 * The edge as deployed, as arguments to `deno`: `deno task serve:bundle`
 * (the container image and Deno Deploy run the bundle), whose build step runs
 * here once, in `root`. A checkout without that task (an older `--baseline`)
 * is run as `deno task serve`.
 */
async function deployedArgs(root = ROOT): Promise<string[]> {
  const tasks = await tasksOf(root);
  const bundled = tasks["serve:bundle"];
  if (bundled === undefined) return serveArgs(root);
  const [build, run] = bundled.split("&&").map((s) => s.trim());
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...build.split(/\s+/).slice(2)],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!built.success) throw new Error(`${build} failed in ${root}`);
  return denoArgs(run);
}

/** `deno task serve` (the edge from its sources), as arguments to `deno`. */
async function serveArgs(root = ROOT): Promise<string[]> {
  return denoArgs((await tasksOf(root)).serve);
}

async function tasksOf(root: string): Promise<Record<string, string>> {
  return JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks;
}

function denoArgs(command: string): string[] {
  const parts = command.split(/\s+/);
  if (parts[0] !== "deno" || parts[1] !== "run") throw new Error(`unexpected task: ${command}`);
  return parts.slice(1);
}

async function trainModel(trees: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mlops-edge-bench-" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli/main.ts",
      "train",
      "--trees",
      String(trees),
      "--out",
      dir,
      "--no-track",
      "--json",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("training failed");
  return JSON.parse(new TextDecoder().decode(out.stdout)).model_path;
}

/** One Telco row as a client would send it: numbers as numbers. */
async function sampleRecord(): Promise<Record<string, unknown>> {
  const table = await readCsvFile(`${ROOT}data/telco-customer-churn.csv`);
  const numeric = new Set(["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]);
  return Object.fromEntries(
    table.header.map((h, j) => {
      const v = table.rows[0][j];
      return [h, numeric.has(h) ? Number(v) : v];
    }),
  );
}

async function postOnce(url: string, body: string): Promise<number> {
  try {
    const res = await fetch(`${url}/v1/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** Spawn → first 200 from /v1/predict, polling as fast as the loop allows. */
async function coldStart(args: string[], env: Record<string, string>, body: string) {
  await using server = await spawnServer(args, env);
  const listenMs = performance.now() - server.spawnedAt;
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (await postOnce(server.url, body) === 200) {
      return { listenMs, firstPredictionMs: performance.now() - server.spawnedAt };
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error("edge never served a prediction");
}

interface WrkResult {
  /** Server CPU time per request (µs), when the server's pid was given. */
  cpuUsPerRequest: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) throw new Error(`cannot parse wrk duration ${v}`);
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

/** CPU time (user + system, all threads) the process has used, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

async function wrk(
  url: string,
  script: string,
  o: Options,
  seconds: number,
  pid?: number,
): Promise<WrkResult> {
  const cpuBefore = pid === undefined ? 0 : await cpuMs(pid);
  const out = await new Deno.Command(WRK, {
    args: [
      `-t${o.threads}`,
      `-c${o.connections}`,
      `-d${seconds}s`,
      "--latency",
      "-s",
      script,
      `${url}/v1/predict`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`wrk failed:\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  const pct = (p: string) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(text)![1]);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    text,
  );
  const requests = Number(/(\d+) requests in/.exec(text)![1]);
  return {
    cpuUsPerRequest: pid === undefined ? NaN : ((await cpuMs(pid)) - cpuBefore) * 1000 / requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)![1]),
    p50Ms: pct("50"),
    p90Ms: pct("90"),
    p99Ms: pct("99"),
    requests,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    errors: socketErrors ? socketErrors.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0,
  };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const o = parseArgs(Deno.args);
  try {
    await Deno.stat(WRK);
  } catch {
    console.error(`${WRK} not found: apt-get install -y wrk`);
    Deno.exit(1);
  }
  const log = (s: string) => o.json ? undefined : console.log(s);

  log(o.model ? `model: ${o.model}` : "training the 100-tree Telco model …");
  const model = o.model ?? await trainModel(100);
  const body = JSON.stringify(await sampleRecord());
  const scriptDir = await Deno.makeTempDir({ prefix: "mlops-wrk-" });
  const script = `${scriptDir}/post.lua`;
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n` +
      `wrk.headers["Content-Type"] = "application/json"\n`,
  );
  log("building the edge as deployed (deno task build:edge) …");
  const edgeArgs = await deployedArgs();
  const sourceArgs = await serveArgs();
  const edgeEnv: Record<string, string> = { MODEL_PATH: model };
  if (o.challenger) {
    Object.assign(edgeEnv, {
      CHALLENGER_MODEL_PATH: o.challenger,
      CHALLENGER_MODE: o.challengerMode,
    });
    log(`challenger: ${o.challenger} (${o.challengerMode})`);
  }
  const bareArgs = ["run", "--allow-net", "--allow-env", "bench/edge_bare_hono.ts"];

  const loadBefore = await loadAverage();
  log(
    `cold start × ${o.coldStarts}: the edge as deployed, from its sources and bare Hono, alternating (after one uncounted spawn of each that fills Deno's caches) …`,
  );
  await coldStart(edgeArgs, edgeEnv, body);
  await coldStart(sourceArgs, edgeEnv, body);
  await coldStart(bareArgs, {}, body);
  const colds = [], sourceColds = [], bareColds = [];
  for (let i = 0; i < o.coldStarts; i++) {
    colds.push(await coldStart(edgeArgs, edgeEnv, body));
    sourceColds.push(await coldStart(sourceArgs, edgeEnv, body));
    // Deno's own floor, in the same conditions: a process that only starts,
    // listens and parses one JSON body.
    bareColds.push(await coldStart(bareArgs, {}, body));
  }
  const spread = (xs: number[]) => ({
    min: Math.min(...xs),
    median: median(xs),
    max: Math.max(...xs),
  });
  const firsts = colds.map((c) => c.firstPredictionMs);
  const cold = {
    ...spread(firsts),
    listen_median: median(colds.map((c) => c.listenMs)),
    spawns: firsts.length,
    source: spread(sourceColds.map((c) => c.firstPredictionMs)),
    bare: spread(bareColds.map((c) => c.firstPredictionMs)),
  };
  const coldLine = (f: (x: number) => string) =>
    `cold start, spawn → first prediction (ms) over ${cold.spawns} spawns: ` +
    `min ${f(cold.min)} · median ${f(cold.median)} · max ${f(cold.max)}` +
    ` (listening at ${f(cold.listen_median)}, median); target median ≤ 100 ${
      cold.median <= 100 ? "✓" : "✗"
    }\nthe edge from its sources (deno task serve), the same way: min ${
      f(cold.source.min)
    } · median ${f(cold.source.median)} · max ${f(cold.source.max)}` +
    `\nbare Hono, the same way: min ${f(cold.bare.min)} · median ${f(cold.bare.median)} · max ${
      f(cold.bare.max)
    } (Deno's own start, listen and first response: the floor under the edge's)`;
  if (o.coldOnly) {
    const report = { model, cold_start_ms: cold, load_average: [loadBefore, await loadAverage()] };
    if (o.model === undefined) {
      await Deno.remove(model.replace(/\/model$/, ""), { recursive: true });
    }
    await Deno.remove(scriptDir, { recursive: true });
    if (o.json) console.log(JSON.stringify(report, null, 2));
    else console.log(`\n${coldLine((x) => x.toFixed(0))}\n${loadLine(report.load_average)}`);
    return;
  }

  await using bare = await spawnServer(bareArgs, {});
  await using edge = await spawnServer(edgeArgs, edgeEnv);
  while (await postOnce(edge.url, body) !== 200) await new Promise((r) => setTimeout(r, 10));
  await using baseline = o.baseline === undefined
    ? undefined
    : await spawnServer(await deployedArgs(o.baseline), edgeEnv, o.baseline);
  if (baseline) {
    log(`baseline: the edge of ${o.baseline}`);
    while (await postOnce(baseline.url, body) !== 200) await new Promise((r) => setTimeout(r, 10));
  }
  const rssStart = await rssMiB(edge.pid);

  log(`warm-up, then ${o.rounds} × ${o.duration} s per server at ${o.connections} connections …`);
  await wrk(bare.url, script, o, 3);
  await wrk(edge.url, script, o, 3);
  if (baseline) await wrk(baseline.url, script, o, 3);
  const bareRuns: WrkResult[] = [];
  const edgeRuns: WrkResult[] = [];
  const baselineRuns: WrkResult[] = [];
  for (let r = 0; r < o.rounds; r++) {
    bareRuns.push(await wrk(bare.url, script, o, o.duration, bare.pid));
    edgeRuns.push(await wrk(edge.url, script, o, o.duration, edge.pid));
    if (baseline) baselineRuns.push(await wrk(baseline.url, script, o, o.duration, baseline.pid));
  }
  const rssAfterRuns = await rssMiB(edge.pid);

  let soak: { seconds: number; rss: number[]; result: WrkResult } | undefined;
  if (o.soak) {
    log("soak: 60 s of load on the edge, RSS every 5 s …");
    const rss: number[] = [await rssMiB(edge.pid)];
    const run = wrk(edge.url, script, o, 60);
    let done = false;
    run.finally(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, 5000));
      if (!done) rss.push(await rssMiB(edge.pid));
    }
    rss.push(await rssMiB(edge.pid));
    soak = { seconds: 60, rss, result: await run };
  }

  // Rounds alternate, and each side keeps its best: this VM's noise only slows
  // runs down. That holds for the tail too: in a round where the host
  // preempts the server, bare Hono's own p99 passes 2 ms, and the edge's then
  // says nothing about the edge. Every round's p99 is printed for both.
  const b = {
    rps: Math.max(...bareRuns.map((r) => r.rps)),
    cpu: Math.min(...bareRuns.map((r) => r.cpuUsPerRequest)),
    p50: median(bareRuns.map((r) => r.p50Ms)),
    p99: Math.min(...bareRuns.map((r) => r.p99Ms)),
  };
  const e = {
    rps: Math.max(...edgeRuns.map((r) => r.rps)),
    cpu: Math.min(...edgeRuns.map((r) => r.cpuUsPerRequest)),
    p50: median(edgeRuns.map((r) => r.p50Ms)),
    p99: Math.min(...edgeRuns.map((r) => r.p99Ms)),
    non2xx: edgeRuns.reduce((a, r) => a + r.non2xx + r.errors, 0),
  };
  const ratio = e.rps / b.rps;
  const base = baselineRuns.length === 0 ? undefined : {
    dir: o.baseline!,
    rps: Math.max(...baselineRuns.map((r) => r.rps)),
    cpu_us_per_request: Math.min(...baselineRuns.map((r) => r.cpuUsPerRequest)),
    p99_ms: Math.min(...baselineRuns.map((r) => r.p99Ms)),
  };
  const loadAfter = await loadAverage();
  const rssEnd = soak ? soak.rss.at(-1)! : rssAfterRuns;
  const report = {
    model,
    ...(o.challenger ? { challenger: o.challenger, challenger_mode: o.challengerMode } : {}),
    connections: o.connections,
    duration_s: o.duration,
    rounds: o.rounds,
    bare: { rps: b.rps, cpu_us_per_request: b.cpu, p50_ms: b.p50, p99_ms: b.p99 },
    edge: {
      rps: e.rps,
      cpu_us_per_request: e.cpu,
      p50_ms: e.p50,
      p99_ms: e.p99,
      failed_requests: e.non2xx,
    },
    throughput_ratio: ratio,
    ...(base ? { baseline: { ...base, throughput_ratio: e.rps / base.rps } } : {}),
    cold_start_ms: cold,
    load_average: [loadBefore, loadAfter],
    rss_mib: {
      start: rssStart,
      after_runs: rssAfterRuns,
      ...(soak ? { soak_samples: soak.rss, soak_rps: soak.result.rps } : {}),
    },
    targets: {
      throughput_ratio_ge_0_6: ratio >= 0.6,
      p99_le_2ms: e.p99 <= 2,
      cold_start_median_le_100ms: cold.median <= 100,
      no_failed_requests: e.non2xx === 0,
      ...(soak ? { flat_memory: flat(soak.rss) } : {}),
    },
  };

  await Deno.remove(scriptDir, { recursive: true });
  if (o.model === undefined) await Deno.remove(model.replace(/\/model$/, ""), { recursive: true });
  if (o.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const f = (x: number, d = 0) => x.toFixed(d);
  const ok = (pass: boolean) => (pass ? "✓" : "✗");
  const rows = [
    ["measure", "edge", "bare Hono", "ratio", "target"],
    ["throughput (req/s)", f(e.rps), f(b.rps), f(ratio, 2), `≥ 0.60 ${ok(ratio >= 0.6)}`],
    [
      "server CPU per request (µs)",
      f(e.cpu, 1),
      f(b.cpu, 1),
      f(b.cpu / e.cpu, 2),
      "(bare ÷ edge: the same ratio, steadier)",
    ],
    ["latency p50, median (ms)", f(e.p50, 2), f(b.p50, 2), f(e.p50 / b.p50, 2), ""],
    [
      "latency p99, best round (ms)",
      f(e.p99, 2),
      f(b.p99, 2),
      f(e.p99 / b.p99, 2),
      `≤ 2 ${ok(e.p99 <= 2)}`,
    ],
    [
      "cold start, as deployed (ms): min · median · max",
      `${f(cold.min)} · ${f(cold.median)} · ${f(cold.max)}`,
      `${f(cold.bare.min)} · ${f(cold.bare.median)} · ${f(cold.bare.max)}`,
      f(cold.median / cold.bare.median, 2),
      `median ≤ 100 ${ok(cold.median <= 100)}`,
    ],
    [
      "RSS start → end (MiB)",
      `${f(rssStart, 1)} → ${f(rssEnd, 1)}`,
      "",
      "",
      soak ? `flat ${ok(flat(soak.rss))}` : "(--soak for 60 s)",
    ],
    ["failed requests", String(e.non2xx), "", "", `0 ${ok(e.non2xx === 0)}`],
  ];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    `\nedge vs bare Hono — ${o.connections} connections, best of ${o.rounds} alternating × ${o.duration} s, 100-tree Telco model`,
  );
  rows.forEach((r, i) => {
    console.log(r.map((c, j) => c.padEnd(w[j])).join("  "));
    if (i === 0) console.log(w.map((n) => "-".repeat(n)).join("  "));
  });
  const perRound = (runs: WrkResult[], pick: (r: WrkResult) => number, d: number) =>
    runs.map((r) => f(pick(r), d)).join(" ");
  console.log(
    `\nper round, edge: ${perRound(edgeRuns, (r) => r.rps, 0)} req/s; p99 ${
      perRound(edgeRuns, (r) => r.p99Ms, 2)
    } ms`,
  );
  console.log(
    `per round, bare: ${perRound(bareRuns, (r) => r.rps, 0)} req/s; p99 ${
      perRound(bareRuns, (r) => r.p99Ms, 2)
    } ms`,
  );
  if (base) {
    console.log(
      `\nthis edge vs the baseline (${base.dir}), best of the same ${o.rounds} rounds: ` +
        `${f(e.rps)} vs ${f(base.rps)} req/s (ratio ${f(e.rps / base.rps, 2)}), ` +
        `CPU ${f(e.cpu, 1)} vs ${f(base.cpu_us_per_request, 1)} µs per request, ` +
        `p99 ${f(e.p99, 2)} vs ${f(base.p99_ms, 2)} ms`,
    );
    console.log(
      `per round, baseline: ${perRound(baselineRuns, (r) => r.rps, 0)} req/s; p99 ${
        perRound(baselineRuns, (r) => r.p99Ms, 2)
      } ms`,
    );
  }
  console.log(`\n${coldLine((x) => f(x))}\n${loadLine(report.load_average)}`);
  if (soak) {
    console.log(
      `\nsoak RSS (MiB, every 5 s over 60 s at ${f(soak.result.rps)} req/s): ${
        soak.rss.map((x) => f(x, 1)).join(" ")
      }`,
    );
  }
}

/** The 1-, 5- and 15-minute load averages, from /proc/loadavg. */
async function loadAverage(): Promise<number[]> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

function loadLine([before, after]: number[][]): string {
  const cores = navigator.hardwareConcurrency;
  return `load average (1, 5, 15 min) on ${cores} cores: before ${before.join(" ")}, after ${
    after.join(" ")
  }`;
}

/** Flat: the last third of the soak grows less than 5% over the first third. */
function flat(rss: number[]): boolean {
  const third = Math.max(1, Math.floor(rss.length / 3));
  const early = Math.max(...rss.slice(0, third + 1));
  const late = Math.max(...rss.slice(-third));
  return late <= early * 1.05;
}

if (import.meta.main) await main();
