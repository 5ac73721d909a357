// Runs every *.test.ts under src/ and test/ with Node's built-in test runner (TypeScript through
// tsx). Node 20's --test does not expand globs, so the files are listed here. `*.final.test.ts`
// files run last: they check what the others recorded, such as the commands DELoc ran inside
// containers (DELOC_TRACE_COMMANDS, a fresh file each run).
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const only = process.argv.slice(2);
const files = ["src", "test"]
  .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f))))
  .filter((f) => f.endsWith(".test.ts") && !f.includes("node_modules"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort(
    (a, b) =>
      Number(a.endsWith(".final.test.ts")) - Number(b.endsWith(".final.test.ts")) || a.localeCompare(b),
  );
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
const trace =
  process.env.DELOC_TRACE_COMMANDS ?? path.join(os.tmpdir(), `deloc-test-commands-${process.pid}.jsonl`);
rmSync(trace, { force: true });
// One file at a time: the engine tests share one Docker engine and the host's ports.
const { status } = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", ...files],
  {
    stdio: "inherit",
    env: { ...process.env, DELOC_TRACE_COMMANDS: trace },
  },
);
process.exit(status ?? 1);
