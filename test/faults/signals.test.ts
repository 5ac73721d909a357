/**
 * Signals during `up`, on the real engine. Ctrl-C (SIGINT) and SIGTERM: exit 130 / 143, this run
 * undone (a fresh stack leaves no container or network; a changed stack is back as it was), the
 * lock released, the saved state true, and the next `up` converges. SIGKILL, which nothing can
 * catch: the next `up` takes the dead run's lock over, removes what it left and converges.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { dockerAdapter } from "../support/engine.js";
import {
  assertMarker,
  type EngineSnapshot,
  faultProject,
  readJson,
  service,
  snapshot,
  writeMarker,
} from "../support/faults.js";

const STACK = "deloc-faults-signals";
const project = faultProject(STACK);
let engine: Adapter;

/** v1 is healthy; any other version's web never gets healthy, so `up` waits on it until stopped. */
function services(version: number, webReady = version === 1): string {
  return (
    service("keeper", `env: { VERSION: "${version}" }\nvolumes: ["keep:/data"]`) +
    service(
      "web",
      `env: { VERSION: "${version}" }
dependsOn: { keeper: started }
healthCheck: { command: ["test", "${webReady ? "-d" : "-f"}", "/tmp"], interval: 1s, startInterval: 100ms, retries: 120 }`,
    )
  );
}

interface SavedState {
  state: string;
  services: Record<string, { state: string }>;
}
const saved = () => readJson<SavedState>(path.join(project.dir, ".deloc", "state.json"));
const lockHeld = () => fs.existsSync(path.join(project.dir, ".deloc", "lock"));

describe("signals during up (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
  });
  after(() => {
    project.dispose();
  });

  test("SIGINT during a first up: exit 130, no container or network left, the lock released", async () => {
    project.write(services(2));
    const up = project.start("up");
    await up.waitFor(/web: checking/);
    up.kill("SIGINT");
    assert.equal(await up.exited, 130, up.stderr());
    assert.match(up.stderr(), /Stopped by SIGINT\. Rolled back/);
    const o = await engine.observe(STACK);
    assert.deepEqual([o.containers, o.networks, o.volumes], [[], [], []]);
    assert.ok(!lockHeld());
    assert.equal(saved().state, "stopped");
  });

  let baseline: EngineSnapshot;
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)
    test(`${signal} while up changes a running stack: exit ${code}, the stack back as it was, state true, next up converges`, async () => {
      project.write(services(1));
      project.ok("up");
      await writeMarker(engine, STACK);
      baseline = await snapshot(engine, STACK);

      project.write(services(2));
      const up = project.start("up");
      await up.waitFor(/web: checking/);
      up.kill(signal);
      assert.equal(await up.exited, code, up.stderr());
      assert.deepEqual(await snapshot(engine, STACK), baseline);
      await assertMarker(engine, STACK);
      assert.ok(!lockHeld());
      const state = saved();
      assert.deepEqual(
        [state.state, state.services.keeper?.state, state.services.web?.state],
        ["running", "running", "running"],
        "the saved state says what runs",
      );

      project.write(services(3, true));
      project.ok("up");
      const status = JSON.parse(project.ok("status", "--json")) as {
        services: { outdated: boolean; condition: string }[];
      };
      assert.deepEqual(
        status.services.map((s) => [s.condition, s.outdated]),
        [
          ["running", false],
          ["running", false],
        ],
      );
    });

  test("SIGKILL of deloc mid-up: the next up takes the dead run's lock over, removes what it left, converges", async () => {
    project.write(services(4));
    const up = project.start("up");
    await up.waitFor(/web: checking/);
    up.kill("SIGKILL");
    await up.exited;
    assert.ok(lockHeld(), "a killed run cannot release its lock");
    assert.ok(
      (await engine.observe(STACK)).containers.length > 2,
      "the killed run left the replaced containers aside",
    );

    project.write(services(5, true));
    project.ok("up");
    const now = await snapshot(engine, STACK);
    assert.deepEqual(
      now.containers.map((c) => `${c.split(" ")[0]} ${c.split(" ")[2]}`),
      [`${STACK}-keeper-1 running`, `${STACK}-web-1 running`],
    );
    await assertMarker(engine, STACK);
    assert.ok(!lockHeld());
    assert.equal(saved().state, "running");
    const events = project.ok("events", "--json");
    assert.match(events, /left unfinished by a deloc run that was killed/);
  });
});
