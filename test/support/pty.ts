/**
 * The built CLI run on a real pseudo-terminal, as a user at a terminal runs it: `script(1)` from
 * util-linux (on every Debian) gives it one. `steps` answer what it prints: once the output
 * matches `when`, `send` is typed (a line ends with "\r", as the Enter key sends).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CLI } from "./cli.js";

export interface PtyStep {
  when: RegExp;
  send: string;
}

export interface PtyRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr together, with "\r\n" line ends). */
  output: string;
}

export function delocInPty(
  cwd: string,
  args: readonly string[],
  steps: readonly PtyStep[] = [],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PtyRun> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd,
    env: { ...process.env, TERM: "xterm", ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const pending = [...steps];
  const answer = () => {
    const next = pending[0];
    if (!next?.when.test(output)) return;
    pending.shift();
    child.stdin.write(next.send);
    answer();
  };
  child.stdout.on("data", (b: Buffer) => {
    output += b.toString();
    answer();
  });
  child.stderr.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  return new Promise<PtyRun>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  ).then((r) => {
    assert.equal(
      pending.length,
      0,
      `deloc ${args.join(" ")}: never printed ${pending[0]?.when}:\n${r.output}`,
    );
    return r;
  });
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
