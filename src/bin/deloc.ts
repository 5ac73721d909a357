#!/usr/bin/env node
/**
 * The thin entry: answers `--version` without loading anything else, then imports the CLI.
 * `DELOC_VERSION` is written in at build time.
 */
import module from "node:module";

declare const DELOC_VERSION: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`${DELOC_VERSION}\n`);
} else {
  // Node 22.1+ caches compiled code between runs; older Nodes simply skip it.
  (module as { enableCompileCache?: () => void }).enableCompileCache?.();
  const { main } = await import("../cli/main.js");
  process.exitCode = await main(argv, DELOC_VERSION);
}
