/** The built CLI, run as a user runs it, in a folder of the test's. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

export const CLI = path.resolve(import.meta.dirname, "../../dist/deloc.js");

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** `deloc(...args)` returns what happened; `ok(...args)` also asserts exit 0 and returns stdout. */
export function delocIn(dir: () => string, env: Record<string, string> = {}) {
  const deloc = (...args: string[]): Run => {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir(),
      encoding: "utf8",
      env: { ...process.env, CI: "1", ...env },
      timeout: 600_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (...args: string[]): string => {
    const r = deloc(...args);
    assert.equal(r.code, 0, `deloc ${args.join(" ")} exited ${r.code}:\n${r.err}\n${r.out}`);
    return r.out;
  };
  return { deloc, ok };
}
