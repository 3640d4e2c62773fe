/**
 * Tests that need a part installed on the machine — a Debian binary, the real
 * MLflow, the shared fixtures beside the checkout — say so here, once.
 *
 * Where a part is missing (a user's fresh clone, a laptop without Chromium)
 * the test is ignored and one line names the part and how to install it.
 * With `MLOPS_REQUIRE_PARTS=1`, which `.ci/run` sets after installing every
 * part, a missing part fails the test instead: CI cannot go green by skipping.
 *
 * @example
 * ```ts
 * import { needs } from "./parts.ts";
 *
 * Deno.test(needs(["promtool"], {
 *   name: "rules pass promtool",
 *   async fn() {},
 * }));
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** What a test may need, where it is looked for, and how to get it. */
export const PARTS = {
  promtool: { path: "/usr/bin/promtool", install: "apt-get install -y prometheus" },
  prometheus: { path: "/usr/bin/prometheus", install: "apt-get install -y prometheus" },
  amtool: { path: "/usr/bin/amtool", install: "apt-get install -y prometheus-alertmanager" },
  alertmanager: {
    path: "/usr/bin/prometheus-alertmanager",
    install: "apt-get install -y prometheus-alertmanager",
  },
  chromium: { path: "/usr/bin/chromium", install: "apt-get install -y chromium" },
  podman: { path: "/usr/bin/podman", install: "apt-get install -y podman buildah" },
  runc: { path: "/usr/sbin/runc", install: "apt-get install -y runc" },
  /** The static tini the local stand-in for the Deno base image puts at /tini. */
  tini: { path: "/usr/bin/tini-static", install: "apt-get install -y tini" },
  wrk: { path: "/usr/bin/wrk", install: "apt-get install -y wrk" },
  shellcheck: { path: "/usr/bin/shellcheck", install: "apt-get install -y shellcheck" },
  /** The data and fixtures folder that sits beside the checkout in CI. */
  shared: {
    path: fileURLToPath(new URL("../../../shared/README.md", import.meta.url)),
    install: "check out the project next to its ../shared folder",
  },
  /**
   * A real MLflow (server and client): MLflow's own source runnable on
   * Debian's Python (../shared/real-mlflow), or, where that is absent (the
   * project's GitHub CI), a Python with MLflow from PyPI named by
   * `MLOPS_MLFLOW_PYTHON`.
   */
  mlflow: {
    path: fileURLToPath(new URL("../../../shared/real-mlflow/env.sh", import.meta.url)),
    install:
      "bash ../shared/real-mlflow/setup.sh, or pip install mlflow and set MLOPS_MLFLOW_PYTHON",
    env: "MLOPS_MLFLOW_PYTHON",
  },
  /** MLflow's newer master (client side), in ../shared/real-mlflow/master. */
  mlflowMaster: {
    path: fileURLToPath(
      new URL("../../../shared/real-mlflow/master/mlflow/__init__.py", import.meta.url),
    ),
    install: "check out the project next to ../shared (real-mlflow/master)",
  },
} as const;

/** The name of a part in {@link PARTS}. */
export type Part = keyof typeof PARTS;

/** True when `part` is on this machine (its path, or the file its environment variable names). */
export function have(part: Part): boolean {
  const entry: { path: string; env?: string } = PARTS[part];
  const named = entry.env ? Deno.env.get(entry.env) : undefined;
  for (const path of [entry.path, named]) {
    if (!path) continue;
    try {
      Deno.statSync(path);
      return true;
    } catch {
      // try the next
    }
  }
  return false;
}

/** True when missing parts must fail tests rather than skip them (`.ci/run`). */
export function partsRequired(): boolean {
  return Deno.env.get("MLOPS_REQUIRE_PARTS") === "1";
}

/**
 * Returns `test` ignored when one of `parts` is missing (printing why), or,
 * under `MLOPS_REQUIRE_PARTS=1`, with a body that fails naming the part.
 */
export function needs(parts: Part[], test: Deno.TestDefinition): Deno.TestDefinition {
  const missing = parts.filter((p) => !have(p));
  if (missing.length === 0) return test;
  const what = missing.map((p) => `${p} (${PARTS[p].path}; ${PARTS[p].install})`).join(", ");
  if (partsRequired()) {
    return {
      ...test,
      fn() {
        throw new Error(`needs ${what}, and MLOPS_REQUIRE_PARTS=1 forbids skipping`);
      },
    };
  }
  console.warn(`SKIPPED "${test.name}": needs ${what}`);
  return { ...test, ignore: true };
}
