import assert from "node:assert/strict";
import { test } from "node:test";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import { DryRunAdapter, type DryRunOptions } from "../adapters/dry-run/dry-run-adapter.js";
import { DeployFailedError, ImageUnavailableError, type Plan } from "../core/index.js";
import { plan as makePlan } from "../planner/index.js";
import { FakeClock } from "../testing/fake-clock.js";
import { type DeployEvent, deploy } from "./deploy.js";

const yaml = (extra = "") => `
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: app }
spec:
  services:
    db: { image: "db:1", healthCheck: { command: ["ready"], interval: 1s, retries: 5 } }
    api: { image: "api:1", dependsOn: { db: healthy }, healthCheck: { command: ["ready"], interval: 1s, retries: 5 } }
    web: { image: "web:1", dependsOn: { api: started } }
${extra}`;

const planOf = (text: string, strategy?: string): Plan => {
  const p = makePlan(stackFrom(text), catalog, budget(8), { takenPorts: new Set() });
  return strategy ? { ...p, strategy: strategy as Plan["strategy"] } : p;
};

const images = ["db:1", "api:1", "web:1", "bad:1"];

async function run(plan: Plan, adapter: DryRunAdapter, events: DeployEvent[] = []) {
  return deploy({
    plan,
    adapter,
    secrets: {},
    rollback: true,
    deployedBy: "test",
    runId: "r1",
    clock: new FakeClock(),
    onEvent: (e) => events.push(e),
  });
}

const twin = (o: DryRunOptions = {}) => new DryRunAdapter({ images, ...o });

test("deploy: a service starts only after what it depends on is healthy", async () => {
  const adapter = twin({ behaviour: { db: { failHealthChecks: 3 } } });
  await run(planOf(yaml()), adapter);
  const j = adapter.journal;
  const dbReady = j.indexOf("start app-db-1");
  const apiStart = j.indexOf("start app-api-1");
  const webStart = j.indexOf("start app-web-1");
  assert.ok(dbReady >= 0 && apiStart > dbReady && webStart > apiStart, j.join("\n"));
  const obs = await adapter.observe("app");
  assert.deepEqual(
    obs.containers.map((c) => `${c.name} ${c.state}`),
    ["app-api-1 running", "app-db-1 running", "app-web-1 running"],
  );
});

test("deploy: a second run changes nothing", async () => {
  const adapter = twin();
  await run(planOf(yaml()), adapter);
  const before = adapter.journal.length;
  const result = await run(planOf(yaml()), adapter);
  assert.deepEqual(result.changed, []);
  assert.equal(adapter.journal.length, before, adapter.journal.slice(before).join("\n"));
});

test("deploy: a service that never gets healthy fails the deploy and its dependents never start", async () => {
  const adapter = twin({ behaviour: { db: { failHealthChecks: Number.POSITIVE_INFINITY } } });
  const err = await run(planOf(yaml()), adapter).catch((e: unknown) => e);
  assert.ok(err instanceof DeployFailedError);
  assert.equal(err.failures[0]?.service, "db");
  assert.equal(err.failures[0]?.reason, "unhealthy");
  assert.match(err.failures[0]?.healthOutput ?? "", /not ready/);
  assert.ok(!adapter.journal.includes("start app-api-1"));
  // Rolled back: nothing of this run is left.
  assert.deepEqual((await adapter.observe("app")).containers, []);
});

test("deploy: on failure, what ran before is put back as it was", async () => {
  const adapter = twin();
  await run(planOf(yaml()), adapter);
  const before = (await adapter.observe("app")).containers.map((c) => `${c.id} ${c.name} ${c.state}`);
  // api changes (new env) and its new version never gets healthy.
  const broken = planOf(yaml().replace('api: { image: "api:1",', 'api: { image: "api:1", env: { V: "2" },'));
  const failing = new DryRunAdapter({
    images,
    seed: await adapter.observe("app", images),
    behaviour: { api: { failHealthChecks: Number.POSITIVE_INFINITY } },
  });
  await assert.rejects(run(broken, failing), DeployFailedError);
  const after = (await failing.observe("app")).containers.map((c) => `${c.id} ${c.name} ${c.state}`);
  assert.deepEqual(after, before);
});

test("deploy: a container killed for memory is reported with its limit and a bigger size", async () => {
  const adapter = twin({ behaviour: { db: { exitCode: 137, oomKilled: true } } });
  const err = await run(planOf(yaml()), adapter).catch((e: unknown) => e);
  assert.ok(err instanceof DeployFailedError);
  const f = err.failures[0]!;
  assert.equal(f.reason, "oom-killed");
  assert.ok(f.memoryLimitBytes && f.suggestedMemoryBytes && f.suggestedMemoryBytes > f.memoryLimitBytes);
  assert.match(err.message, /out of memory \(limit \d+ MiB\)/);
});

test("deploy: killed for memory and restarted by its policy (the engine clears OOMKilled): reported as memory, from the engine's events", async () => {
  const adapter = twin({ behaviour: { db: { oomRestart: true } } });
  const err = await run(planOf(yaml()), adapter).catch((e: unknown) => e);
  assert.ok(err instanceof DeployFailedError);
  const f = err.failures[0]!;
  assert.equal(f.reason, "oom-killed", f.message);
  assert.ok(f.suggestedMemoryBytes && f.memoryLimitBytes && f.suggestedMemoryBytes > f.memoryLimitBytes);
});

test("deploy: on the twin, a one-shot task completes by itself (`up --dry-run` of a stack with one)", async () => {
  const text = yaml(`    migrate: { image: "db:1", oneShot: true, dependsOn: { db: healthy } }`);
  const result = await run(planOf(text), twin());
  assert.ok(result.changed.includes("migrate"));
});

test("deploy: exit 137 with no OOM record is reported as a kill, not as memory", async () => {
  const adapter = twin({ behaviour: { db: { exitCode: 137 } } });
  const err = await run(planOf(yaml()), adapter).catch((e: unknown) => e);
  assert.ok(err instanceof DeployFailedError);
  assert.equal(err.failures[0]?.reason, "killed");
  assert.match(err.message, /killed with SIGKILL \(exit 137\).*not for memory/);
});

test("deploy: every missing image is named before anything is created", async () => {
  const text = yaml(`    extra: { image: "missing:1" }\n    other: { image: "gone:2" }`);
  const adapter = new DryRunAdapter({ images, unpullable: ["missing:1", "gone:2"] });
  const err = await run(planOf(text), adapter).catch((e: unknown) => e);
  assert.ok(err instanceof ImageUnavailableError);
  assert.deepEqual(err.missing.map((m) => m.image).sort(), ["gone:2", "missing:1"]);
  assert.deepEqual((await adapter.observe("app")).containers, []);
});

test("deploy: the sequential strategy starts one service at a time", async () => {
  const events: DeployEvent[] = [];
  await run(planOf(yaml(), "sequential"), twin(), events);
  let active = 0;
  let most = 0;
  for (const e of events) {
    if (e.status === "starting") most = Math.max(most, ++active);
    if (e.status === "ready" || e.status === "kept") active--;
  }
  assert.equal(most, 1);
});

test("deploy: a one-shot task must exit 0 before what needs it starts", async () => {
  const text = yaml(
    `    migrate: { image: "db:1", oneShot: true }\n    app: { image: "api:1", dependsOn: { migrate: completed } }`,
  );
  const bad = new DryRunAdapter({ images, behaviour: { migrate: { exitCode: 1 } } });
  const err = await run(planOf(text), bad).catch((e: unknown) => e);
  assert.ok(err instanceof DeployFailedError);
  assert.match(err.failures[0]!.message, /exited with code 1 \(a one-shot task must exit 0\)/);
  assert.ok(!bad.journal.includes("start app-app-1"));
  const good = new DryRunAdapter({ images, behaviour: { migrate: { exitCode: 0 } } });
  await run(planOf(text), good);
  assert.ok(good.journal.indexOf("start app-app-1") > good.journal.indexOf("start app-migrate-1"));
});

test("deploy: a service in a restart loop trips the circuit breaker: stopped, and the user told", async () => {
  const adapter = twin({ behaviour: { db: { crashLoop: true } } });
  const err = await run(planOf(yaml()), adapter).catch((e: unknown) => e);
  assert.ok(err instanceof DeployFailedError);
  assert.equal(err.failures[0]?.reason, "restart-loop");
  assert.match(
    err.message,
    /db: restarted 3 times while starting \(last exit code 1\); stopped it so it does not loop/,
  );
  assert.ok(adapter.journal.includes("stop app-db-1"));
});
