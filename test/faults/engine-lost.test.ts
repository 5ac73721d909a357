/**
 * The engine lost at every step of a command: a socket in front of the real engine cuts it after
 * k API requests, for each k the command makes. `status` must report or say the engine is
 * unreachable (exit 4), never crash; an `up` cut anywhere must exit 4, and the next `up` must
 * converge: the new version running, nothing left over, the volume's data intact.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { dockerAdapter } from "../support/engine.js";
import { engineProxy } from "../support/engine-proxy.js";
import {
  assertMarker,
  faultProject,
  type Running,
  readJson,
  service,
  snapshot,
  writeMarker,
} from "../support/faults.js";

const STACK = "deloc-faults-lost";
const project = faultProject(STACK);
let engine: Adapter;

function services(version: number): string {
  return (
    service(
      "keeper",
      `env: { VERSION: "${version}" }
volumes: ["keep:/data"]
healthCheck: { command: ["test", "-d", "/data"], interval: 1s, startInterval: 100ms, retries: 10 }`,
    ) + service("web", `env: { VERSION: "${version}" }\ndependsOn: { keeper: healthy }`)
  );
}

/** Runs deloc through a proxy that loses the engine after `cutAfter` requests. */
async function throughProxy(
  cutAfter: number,
  ...args: string[]
): Promise<{ run: Running; code: number | null; requests: number }> {
  const proxy = await engineProxy(cutAfter);
  try {
    const run = project.startWith({ DOCKER_HOST: proxy.url }, ...args);
    const code = await run.exited;
    return { run, code, requests: proxy.requests() };
  } finally {
    await proxy.close();
  }
}

/** About `samples` cut points spread over 0..n-1, the last one included. */
function cutPoints(n: number, samples: number): number[] {
  const step = Math.max(1, Math.ceil(n / samples));
  const points = new Set<number>();
  for (let k = 0; k < n; k += step) points.add(k);
  points.add(n - 1);
  return [...points];
}

describe("the engine lost at each step of a command (real engine behind a cutting socket)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(services(1));
    project.ok("up");
    await writeMarker(engine, STACK);
  });
  after(() => {
    project.dispose();
  });

  test("status cut after each of its requests: a report or exit 4, never a crash", async (t) => {
    const whole = await throughProxy(Number.POSITIVE_INFINITY, "status", "--json");
    assert.equal(whole.code, 0, whole.run.stderr());
    const codes: (number | null)[] = [];
    for (let k = 0; k < whole.requests; k++) {
      const { run, code } = await throughProxy(k, "status", "--json");
      codes.push(code);
      assert.ok(
        code === 0 || code === 4,
        `cut after ${k} requests: exit ${code}\n${run.stderr()}${run.stdout()}`,
      );
      if (code === 4) assert.match(run.stdout(), /"code": "E_ENGINE_UNREACHABLE"/);
    }
    t.diagnostic(
      `status makes ${whole.requests} requests; exit codes cut after 0..${whole.requests - 1}: ${codes.join(" ")}`,
    );
    assert.ok(codes.filter((c) => c === 4).length >= whole.requests / 2);
  });

  test("up cut after its k-th request: exit 4; the next up converges, data intact", async (t) => {
    let version = 2;
    project.write(services(version));
    const whole = await throughProxy(Number.POSITIVE_INFINITY, "up");
    assert.equal(whole.code, 0, whole.run.stderr());
    const cuts = cutPoints(whole.requests, 12);
    t.diagnostic(
      `an up that replaces both services makes ${whole.requests} requests; cut after ${cuts.join(" ")}`,
    );
    for (const k of cuts) {
      project.write(services(++version));
      const { run, code } = await throughProxy(k, "up");
      assert.equal(code, 4, `cut after ${k} requests:\n${run.stderr()}`);
      assert.match(run.stderr(), /stopped answering|No container engine answered/);
      assert.ok(
        !fs.existsSync(path.join(project.dir, ".deloc", "lock")),
        `cut after ${k}: the lock is released`,
      );
      readJson(path.join(project.dir, ".deloc", "state.json")); // still a readable file

      project.ok("up");
      const now = await snapshot(engine, STACK);
      assert.deepEqual(
        now.containers.map((c) => `${c.split(" ")[0]} ${c.split(" ")[2]}`),
        [`${STACK}-keeper-1 running`, `${STACK}-web-1 running`],
        `cut after ${k}: exactly the stack's two containers, running`,
      );
      assert.deepEqual([now.volumes, now.networks], [[`${STACK}_keep`], [`${STACK}_default`]]);
      const status = JSON.parse(project.ok("status", "--json")) as { services: { outdated: boolean }[] };
      assert.ok(
        status.services.every((s) => !s.outdated),
        `cut after ${k}: every service is at version ${version}`,
      );
      await assertMarker(engine, STACK);
    }
  });
});
