/**
 * `mlops` command-line entry point. Each command lives in `cli/commands/` and
 * registers itself on the program; this file only wires them and turns user
 * errors and filesystem failures into one-line messages with a non-zero exit
 * code.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { isUserError } from "../lib/errors.ts";
import { describeFsError } from "../lib/fs_error.ts";
import { VERSION } from "../lib/version.ts";
import { COMMANDS } from "./commands/mod.ts";
import { commanderOutput, printError } from "./output.ts";
import { cliMessage } from "./options.ts";

/** Builds the program; exported so tests can run commands in-process. */
export function buildProgram(): Command {
  const program = new Command("mlops")
    .description("Train, track, promote and serve random-forest classifiers")
    .version(VERSION)
    .showHelpAfterError(false)
    // Lets subcommands own flags the program also has (`promote --version N`).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput(commanderOutput);
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI with `args` and returns the exit code instead of exiting. */
export async function run(args: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message (or the help / version text).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(e)) {
      printError(`mlops: ${cliMessage(e)}`);
      return e.exitCode;
    }
    // A full disk, a read-only store, a file where a folder should be: the
    // machine, not the input and not a bug, so one line and exit code 1.
    const fs = describeFsError(e);
    if (fs !== null) {
      printError(`mlops: ${fs}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
