/**
 * The run-time supervisor (`deloc up --supervise`) against faults injected into a running stack on
 * the real engine: a process killed for memory well after the deploy, and a service that starts to
 * crash-loop. The kill is reported with the limit and a size to try; the crash loop opens the
 * circuit (the service is stopped instead of restarted for ever), a trial after the backoff that
 * dies again reopens it with twice the wait, and once the cause is gone the next trial closes it.
 * Every decision is in the event log.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, delocIn } from "../support/cli.js";

const STACK = "deloc-faults-supervisor";
const root = fs.mkdtempSync(path.join(os.tmpdir(), `${STACK}-`));
const flags = path.join(root, "flags");
const { deloc, ok } = delocIn(() => root);

const LOOP = "trap 'exit 0' TERM; while :; do sleep 0.2 & wait $$!; done";
const STACK_FILE = `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: ${STACK} }
spec:
  services:
    crasher:
      image: "deloc/debian:trixie"
      command: ["sh", "-c", "if [ -e /flags/crash ]; then echo crashing on purpose; exit 3; fi; echo up; ${LOOP}"]
      volumes: ["./flags:/flags"]
      resources: { memory: 32Mi, cpu: 100m }
      healthCheck: { command: ["true"], interval: 1s, startInterval: 100ms }
    hog:
      image: "deloc/debian:trixie"
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do if [ -e /flags/eat ]; then rm -f /flags/eat; tail /dev/zero; fi; sleep 0.2 & wait $$!; done"]
      volumes: ["./flags:/flags"]
      resources: { memory: 32Mi, cpu: 100m }
`;

let up: ChildProcess;
let printed = "";

/** Waits until the supervisor has printed a line matching `re` (after `from` characters). */
async function line(re: RegExp, timeoutMs: number, from = 0): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = printed
      .slice(from)
      .split("\n")
      .find((l) => re.test(l));
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no line matching ${re} within ${timeoutMs} ms; printed:\n${printed}`);
}

function container(service: string): { state: string; restarts: number; id: string } {
  const id = execFileSync(
    "docker",
    [
      "ps",
      "-aq",
      "--filter",
      `label=dev.deloc.stack=${STACK}`,
      "--filter",
      `label=dev.deloc.service=${service}`,
    ],
    { encoding: "utf8" },
  ).trim();
  const [state, restarts] = execFileSync(
    "docker",
    ["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", id],
    {
      encoding: "utf8",
    },
  )
    .trim()
    .split(" ");
  return { state: state!, restarts: Number(restarts), id };
}

const logged = () =>
  fs
    .readFileSync(path.join(root, ".deloc", "events.ndjson"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"supervisor: '));

describe("the run-time supervisor (up --supervise) on the real engine", () => {
  before(async () => {
    deloc("cleanup", "--yes", "--stack", STACK);
    fs.mkdirSync(flags);
    fs.writeFileSync(path.join(root, "deloc.yaml"), STACK_FILE);
    up = spawn(process.execPath, [CLI, "up", "--supervise"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    up.stdout!.on("data", (c) => {
      printed += String(c);
    });
    up.stderr!.on("data", (c) => {
      printed += String(c);
    });
    await line(/^Supervising deloc-faults-supervisor/, 60_000);
  });
  after(() => {
    up?.kill("SIGINT");
    deloc("cleanup", "--yes", "--stack", STACK);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("up --supervise stays in the foreground and leaves the lock free for other commands", () => {
    assert.equal(up.exitCode, null);
    assert.match(ok("status"), /crasher\s+running/);
  });

  test("a kill for memory at run time: reported with the limit and a size to try, and logged", async () => {
    fs.writeFileSync(path.join(flags, "eat"), "");
    const said = await line(/supervisor: hog was killed for memory/, 30_000);
    assert.match(said, /at its limit of 32 MiB/);
    assert.match(said, /resources: \{ memory: 64Mi \}/);
    assert.ok(logged().some((l) => l.includes("hog was killed for memory at its limit of 32 MiB")));
  });

  test("a crash loop opens the circuit: the service is stopped, not restarted for ever", async () => {
    const from = printed.length;
    fs.writeFileSync(path.join(flags, "crash"), "");
    // Its process ends (exit 0 on TERM, from inside: `docker kill` would count as a manual stop);
    // the engine restarts it, and now it crashes at every start.
    // The exec may end with its container (a non-zero status): what counts is that PID 1 ended.
    spawnSync("docker", ["exec", container("crasher").id, "sh", "-c", "kill -TERM 1"]);
    const opened = await line(
      /supervisor: crasher died 3 times in 60 s \(last exit code 3\): circuit open/,
      30_000,
      from,
    );
    assert.match(opened, /a trial start in 5 s/);
    const stopped = container("crasher");
    assert.equal(stopped.state, "exited");
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(container("crasher").restarts, stopped.restarts, "no restarts while the circuit is open");
  });

  test("half-open after the backoff: the trial dies, the circuit opens again with twice the wait", async () => {
    await line(/supervisor: crasher: circuit half-open, a trial start/, 15_000);
    const again = await line(
      /supervisor: crasher (died again in its trial|failed its trial).*circuit open/,
      30_000,
    );
    assert.match(again, /(a trial start|the next trial) in 10 s/);
  });

  test("the cause gone, the next trial closes the circuit and the service runs", async () => {
    fs.rmSync(path.join(flags, "crash"));
    await line(/supervisor: crasher is ready again: circuit closed/, 30_000);
    assert.equal(container("crasher").state, "running");
    const log = logged().join("\n");
    for (const want of ["circuit open", "circuit half-open", "circuit closed"])
      assert.ok(log.includes(want), want);
  });
});
