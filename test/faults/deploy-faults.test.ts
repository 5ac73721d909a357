/**
 * Faults while a deploy changes a running stack, on the real engine: a service that exits at once,
 * one that crash-loops, one that never gets healthy, one killed for memory, one killed with
 * SIGKILL while it starts. Each time the deploy must fail with exit 5 and name the cause, and the
 * stack that ran before must be back exactly (same containers, running), its volume's data intact,
 * the lock released and the saved state readable and true.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { dockerAdapter } from "../support/engine.js";
import {
  assertMarker,
  type EngineSnapshot,
  faultProject,
  IDLE,
  readJson,
  readyAfter,
  service,
  snapshot,
  writeMarker,
} from "../support/faults.js";

const STACK = "deloc-faults-deploy";
const project = faultProject(STACK);
let engine: Adapter;

/** keeper holds the data; web is what each fault breaks. Both change from v1, so both are replaced. */
function services(version: number, web = ""): string {
  return (
    service(
      "keeper",
      `command: ["sh", "-c", "date >> /data/starts; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
env: { VERSION: "${version}" }
volumes: ["keep:/data"]
healthCheck: { command: ["test", "-s", "/data/starts"], interval: 1s, startInterval: 100ms, retries: 10 }`,
    ) + service("web", `env: { VERSION: "${version}" }\ndependsOn: { keeper: healthy }\n${web}`)
  );
}

let baseline: EngineSnapshot;

/** What must hold after any failed deploy: the v1 stack as it was, its data, no lock, a true state. */
async function assertUntouched(): Promise<void> {
  assert.deepEqual(await snapshot(engine, STACK), baseline);
  await assertMarker(engine, STACK);
  assert.ok(!fs.existsSync(path.join(project.dir, ".deloc", "lock")), "the lock is released");
  const state = readJson<{ state: string; services: Record<string, { state: string }> }>(
    path.join(project.dir, ".deloc", "state.json"),
  );
  assert.equal(state.state, "running");
  const status = JSON.parse(project.ok("status", "--json")) as {
    services: { service: string; condition: string }[];
  };
  assert.deepEqual(
    status.services.map((s) => `${s.service} ${s.condition}`),
    ["keeper running", "web running"],
  );
}

/** Deploys v2 with web broken as given; returns stderr after asserting the failure's exit code. */
function failingUp(web: string): string {
  project.write(services(2, web));
  const r = project.deloc("up");
  assert.equal(r.code, 5, `expected the deploy to fail:\n${r.err}`);
  return r.err;
}

describe("faults during a deploy (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(services(1));
    project.ok("up");
    await writeMarker(engine, STACK);
    baseline = await snapshot(engine, STACK);
  });
  after(() => {
    project.dispose();
  });

  test("a service that exits at once: exit 5 with its code and last log line; v1 intact", async () => {
    const err = failingUp(
      `command: ["sh", "-c", "echo cannot open /etc/web.conf >&2; exit 3"]\nrestart: "no"`,
    );
    assert.match(err, /web: exited with code 3/);
    assert.match(err, /cannot open \/etc\/web\.conf/);
    assert.match(err, /what ran before is back as it was/);
    await assertUntouched();
  });

  test("a service that crash-loops: stopped by the circuit breaker, exit 5; v1 intact", async () => {
    const err = failingUp(`command: ["sh", "-c", "echo crashing >&2; exit 1"]`);
    assert.match(err, /web: restarted \d+ times while starting \(last exit code 1\)/);
    await assertUntouched();
  });

  test("a service that never gets healthy: exit 5 with what the check said; v1 intact", async () => {
    const err = failingUp(
      `command: ${IDLE}\nhealthCheck: { command: ["test", "-f", "/tmp/never"], interval: 500ms, startInterval: 100ms, retries: 2 }`,
    );
    assert.match(err, /web: did not become healthy within \d+ s/);
    assert.match(err, /health check said: exit code 1/);
    await assertUntouched();
  });

  test("a service killed for memory (exit 137, OOM): exit 5 with its limit and a size to try; v1 intact", async () => {
    // No restart: the engine clears its OOM record when a container starts again.
    const err = failingUp(
      `command: ["tail", "/dev/zero"]\nrestart: "no"\nresources: { memory: 16Mi, cpu: 100m }\nhealthCheck: { command: ["test", "-f", "/tmp/never"], interval: 1s, retries: 30 }`,
    );
    assert.match(err, /web: killed for running out of memory \(limit 16 MiB\)/);
    await assertUntouched();
  });

  test("killed for memory under a restart policy (the engine restarts it and clears OOMKilled): still reported as memory, with a size to try; v1 intact", async () => {
    const err = failingUp(
      `command: ["tail", "/dev/zero"]\nrestart: always\nresources: { memory: 16Mi, cpu: 100m }\nhealthCheck: { command: ["test", "-f", "/tmp/never"], interval: 1s, retries: 30 }`,
    );
    assert.match(err, /web: killed for running out of memory \(limit 16 MiB\)/);
    assert.match(err, /try resources: \{ memory: 64Mi \} for web in the stack file/);
    await assertUntouched();
  });

  test("a container killed with SIGKILL while its phase starts: exit 5, named as a kill, not as memory; v1 intact", async () => {
    project.write(
      services(
        2,
        `command: ${IDLE}\nhealthCheck: { command: ["test", "-f", "/tmp/never"], interval: 1s, startInterval: 100ms, retries: 60 }`,
      ),
    );
    const up = project.start("up");
    await up.waitFor(/web: checking/);
    const kill = spawnSync("docker", ["kill", "--signal", "KILL", `${STACK}-web-1`], { encoding: "utf8" });
    assert.equal(kill.status, 0, kill.stderr);
    assert.equal(await up.exited, 5, up.stderr());
    assert.match(up.stderr(), /web: was killed with SIGKILL \(exit 137\) while starting, not for memory/);
    await assertUntouched();
  });

  test("after every fault, the fixed v2 deploys over the same volume", async () => {
    project.write(services(2));
    project.ok("up");
    const now = await snapshot(engine, STACK);
    assert.deepEqual(now.volumes, baseline.volumes);
    assert.deepEqual(
      now.containers.map((c) => c.split(" ")[2]),
      ["running", "running"],
    );
    assert.notDeepEqual(now.containers, baseline.containers, "both services were replaced");
    await assertMarker(engine, STACK);
  });

  test("a service's process killed from the host while starting is restarted by its policy; the deploy still succeeds", async () => {
    project.write(services(3, readyAfter(2)));
    const up = project.start("up");
    await up.waitFor(/web: checking/);
    const pid = spawnSync("docker", ["inspect", "-f", "{{.State.Pid}}", `${STACK}-web-1`], {
      encoding: "utf8",
    });
    assert.equal(pid.status, 0, pid.stderr);
    process.kill(Number(pid.stdout.trim()), "SIGKILL");
    assert.equal(await up.exited, 0, up.stderr());
    const web = (await engine.observe(STACK)).containers.find((c) => c.service === "web");
    assert.equal(web?.state, "running");
    assert.ok((web?.restartCount ?? 0) >= 1, "the engine restarted it");
  });
});
