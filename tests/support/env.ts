/**
 * Runs code with some environment variables set (or, as `undefined`,
 * unset) and puts the old values back, for tests of env-driven behaviour in
 * this process.
 *
 * @module
 */

/**
 * Calls `f` with `vars` applied to `Deno.env`, restoring them afterwards.
 *
 * @example
 * ```ts
 * const r = await withEnv(
 *   { MLOPS_CACHE: "/tmp/cache", MLFLOW_TRACKING_TOKEN: undefined },
 *   async () => Deno.env.get("MLOPS_CACHE"),
 * );
 * ```
 */
export async function withEnv<T>(
  vars: Record<string, string | undefined>,
  f: () => Promise<T>,
): Promise<T> {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  };
  apply(vars);
  try {
    return await f();
  } finally {
    apply(old);
  }
}
