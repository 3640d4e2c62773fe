/**
 * The command registry: one module per command, each exporting a
 * `register(program)` function.
 *
 * @module
 */
import type { Command } from "commander";
import { register as train } from "./train.ts";
import { register as predict } from "./predict.ts";
import { register as sweep } from "./sweep.ts";
import { register as promote } from "./promote.ts";
import { register as runs } from "./runs.ts";
import { register as sync } from "./sync.ts";
import { register as bot } from "./bot.ts";
import { register as image } from "./image.ts";
import { register as notify } from "./notify.ts";
import { register as batch } from "./batch.ts";
import { register as smoke } from "./smoke.ts";
import { register as exportModel } from "./export.ts";
import { register as migrate } from "./migrate.ts";

/** Adds one command (with its options and action) to the program. */
export type Register = (program: Command) => void;

/** Every command, in help order. */
export const COMMANDS: Register[] = [
  train,
  predict,
  batch,
  sweep,
  promote,
  exportModel,
  runs,
  sync,
  migrate,
  image,
  smoke,
  notify,
  bot,
];
