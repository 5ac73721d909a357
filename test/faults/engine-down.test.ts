/**
 * The Docker engine itself stopped (dockerd SIGTERM) in the middle of `up` and of `status`, then
 * started again: DELoc says clearly that the engine is unreachable (exit 4, never a crash), keeps
 * a saved state it can read, and the next `up` converges with the data intact.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { localDockerd, startDockerd, stopDockerd } from "../support/dockerd.js";
import { dockerAdapter } from "../support/engine.js";
import {
  assertMarker,
  faultProject,
  readJson,
  readyAfter,
  service,
  snapshot,
  writeMarker,
} from "../support/faults.js";

const STACK = "deloc-faults-engine";
const project = faultProject(STACK);

const KEEPER = service("keeper", 'volumes: ["keep:/data"]');
/** Ready 3 s after it starts: long enough to stop the engine while `up` waits for it. */
const SLOW = service("slow", `${readyAfter(3)}\ndependsOn: { keeper: started }`);

const UNREACHABLE = /The container engine at .* stopped answering|No container engine answered/;

describe(
  "the engine stopped mid-command (real dockerd, stopped and started again)",
  { skip: localDockerd() === null ? "no local dockerd to stop" : false },
  () => {
    before(async () => {
      project.deloc("cleanup", "--yes", "--stack", STACK);
      project.write(KEEPER);
      project.ok("up");
      await writeMarker(await dockerAdapter(), STACK);
    });
    after(() => {
      if (localDockerd() === null) startDockerd();
      project.dispose();
    });

    test("during up: exit 4 naming the engine, the state says failed; after a restart the next up converges", async () => {
      project.write(KEEPER + SLOW);
      const up = project.start("up");
      await up.waitFor(/slow: checking/);
      const { gone } = stopDockerd();
      assert.equal(await up.exited, 4, up.stderr());
      assert.match(up.stderr(), UNREACHABLE);
      assert.match(up.stderr(), /Start the engine again, then run `deloc up`/);
      assert.doesNotMatch(up.stderr(), /this should not happen/);
      await gone;
      assert.ok(!fs.existsSync(path.join(project.dir, ".deloc", "lock")), "the lock is released");
      assert.equal(
        readJson<{ state: string }>(path.join(project.dir, ".deloc", "state.json")).state,
        "failed",
      );
      // With the engine gone, status says so too.
      const down = project.deloc("status");
      assert.equal(down.code, 4, down.err);
      assert.match(down.err, UNREACHABLE);

      startDockerd();
      project.ok("up");
      const engine = await dockerAdapter();
      const now = await snapshot(engine, STACK);
      assert.deepEqual(
        now.containers.map((c) => `${c.split(" ")[0]} ${c.split(" ")[2]}`),
        [`${STACK}-keeper-1 running`, `${STACK}-slow-1 running`],
      );
      assert.deepEqual(now.volumes, [`${STACK}_keep`]);
      await assertMarker(engine, STACK);
      assert.equal(
        readJson<{ state: string }>(path.join(project.dir, ".deloc", "state.json")).state,
        "running",
      );
    });

    test("during status: every run either reports or says the engine is unreachable (exit 4), never crashes", async (t) => {
      const codes: (number | null)[] = [];
      const errors: string[] = [];
      const { gone } = stopDockerd();
      let stopped = false;
      void gone.then(() => {
        stopped = true;
      });
      // status, again and again, from the moment dockerd is told to stop until it is gone, and 3 more.
      for (let after = 0; after < 3; after += stopped ? 1 : 0) {
        const r = project.start("status", "--json");
        const code = await r.exited;
        codes.push(code);
        if (code !== 0) errors.push(r.stderr() + r.stdout());
      }
      await gone;
      t.diagnostic(`status exit codes while dockerd stopped: ${codes.join(" ")}`);
      assert.ok(
        codes.every((c) => c === 0 || c === 4),
        `exit codes: ${codes.join(", ")}\n${errors.join("\n---\n")}`,
      );
      assert.equal(codes.at(-1), 4, "with the engine gone, status exits 4");
      for (const e of errors) assert.match(e, /E_ENGINE_UNREACHABLE/);

      startDockerd();
      const status = JSON.parse(project.ok("status", "--json")) as { services: { condition: string }[] };
      assert.equal(status.services.length, 2);
      project.ok("up");
    });
  },
);
