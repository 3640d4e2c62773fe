/**
 * Who is running the tool, for `mlflow.user` and promotion records.
 *
 * @module
 */
import { currentUser } from "../mlflow/log_run.ts";

export { currentUser };

/** Who acted: the GitHub user behind a workflow run, else the OS user. */
export function actor(): string {
  const gh = Deno.env.get("GITHUB_ACTOR");
  return gh ? `${gh} (github actions)` : currentUser();
}
