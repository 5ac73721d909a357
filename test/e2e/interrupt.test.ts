/** Ctrl-C during `up`, on the real engine: exit 130, this run undone, the lock released. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { dockerAdapter } from "../support/engine.js";

const CLI = path.resolve(import.meta.dirname, "../../dist/deloc.js");
const STACK = "deloc-e2e-interrupt";

test("SIGINT during up: exit 130, nothing of the run left, the lock released", async () => {
  const engine = await dockerAdapter();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-interrupt-"));
  fs.writeFileSync(
    path.join(dir, "deloc.yaml"),
    `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: ${STACK} }
spec:
  services:
    slow:
      image: "deloc/debian:trixie"
      command: ["sleep", "infinity"]
      healthCheck: { command: ["test", "-f", "/tmp/never"], interval: 1s, retries: 60 }
    after: { image: "deloc/debian:trixie", command: ["sleep", "infinity"], dependsOn: { slow: healthy } }
`,
  );
  const child = spawn(process.execPath, [CLI, "up"], {
    cwd: dir,
    env: { ...process.env, CI: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  // Interrupt once the slow service runs and the deploy waits for it.
  for (let i = 0; i < 100 && !/slow: checking/.test(stderr); i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.match(stderr, /slow: checking/);
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /Stopped by SIGINT\. Rolled back/);
  const o = await engine.observe(STACK);
  assert.deepEqual([o.containers, o.networks], [[], []]);
  assert.ok(!fs.existsSync(path.join(dir, ".deloc", "lock")));
});
