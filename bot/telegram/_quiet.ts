/**
 * grammY's npm build loads node-fetch (which we do not use, see
 * `client.ts`), and node-fetch's URL shim uses Node's deprecated `punycode`,
 * which prints a deprecation warning on every start. Imported before
 * grammY, this keeps that one line out of the bot's output.
 *
 * @module
 */
import process from "node:process";

(process as unknown as { noDeprecation: boolean }).noDeprecation = true;
