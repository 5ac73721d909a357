import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import type { ExecResult } from "../adapters/adapter.js";
import { DryRunAdapter } from "../adapters/dry-run/dry-run-adapter.js";
import { DeployFailedError, type Stack } from "../core/index.js";
import { plan as makePlan } from "../planner/index.js";
import { systemClock } from "./clock.js";
import { deploy } from "./deploy.js";
import { OWN_CHECKS_AT_ONCE } from "./wait.js";
import { EventWatch } from "./watch.js";

/** Deploys a stack on a twin, as `up` would. */
function deployOn(stack: Stack, adapter: DryRunAdapter) {
  return deploy({
    plan: makePlan(stack, catalog, budget(8), { takenPorts: new Set() }),
    adapter,
    secrets: {},
    rollback: true,
    deployedBy: "test",
    runId: "r1",
    clock: systemClock,
  });
}

/** The dry-run engine, with health checks that take a while and a count of those running at once. */
class SlowChecks extends DryRunAdapter {
  running = 0;
  most = 0;
  checkMs = 20;
  override async exec(id: string, argv: readonly string[]): Promise<ExecResult> {
    this.most = Math.max(this.most, ++this.running);
    try {
      await sleep(this.checkMs);
      return await super.exec(id, argv);
    } finally {
      this.running--;
    }
  }
}

/**
 * Deploys 24 services at once on the dry-run engine, each ready at check `failures + 1`, its checks
 * taking `checkMs`; the services that became ready, and the most checks that ran at once.
 */
async function crowd(healthCheck: string, failures: number, checkMs: number) {
  const names = Array.from({ length: 24 }, (_, i) => `s${i}`);
  const stack = stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: crowd }
spec:
  services:
${names.map((n) => `    ${n}: { image: "app:1", healthCheck: { command: ["ready"], ${healthCheck} } }`).join("\n")}
`);
  const adapter = new SlowChecks({
    images: ["app:1"],
    behaviour: Object.fromEntries(names.map((n) => [n, { failHealthChecks: failures }])),
  });
  adapter.checkMs = checkMs;
  const result = await deployOn(stack, adapter);
  assert.deepEqual(Object.keys(result.readyAtMs).sort(), [...names].sort());
  return adapter.most;
}

test("DELoc's own health checks do not crowd the engine: a few at once, however many services wait", async () => {
  const most = await crowd("interval: 1s, retries: 30", 3, 20);
  assert.ok(most <= OWN_CHECKS_AT_ONCE, `${most} checks ran at once`);
});

test("a service whose checks waited for a slot past its deadline gets its checks before it is failed", async () => {
  // 4 checks at once, 400 ms each, every service ready at its second check: the last ones get their
  // turns after the 3 s deadline (interval × retries + timeout).
  await crowd("interval: 1s, retries: 2, timeout: 1s", 1, 400);
});

test("an engine event that comes while no one waits still wakes the next wait at once", async () => {
  const adapter = new DryRunAdapter({ images: ["app:1"] });
  const stack = stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: wake }
spec:
  services:
    app: { image: "app:1" }
`);
  const plan = makePlan(stack, catalog, budget(8), { takenPorts: new Set() });
  const watch = EventWatch.follow(adapter, "wake");
  try {
    await sleep(10); // the watch is following
    const id = await adapter.createContainer({
      stack: "wake",
      service: plan.services[0]!,
      replica: 1,
      env: {},
      network: "wake",
      volumeNames: {},
      publishPorts: false,
      deployedBy: "test",
    });
    await adapter.startContainer(id); // its `start` event, while the waiting loop is busy elsewhere
    await sleep(10);
    const woke = await Promise.race([watch.next(id).then(() => true), sleep(1_000).then(() => false)]);
    assert.ok(woke, "the event that came between two waits was lost");
  } finally {
    watch.close();
  }
});

/** A twin whose engine runs the health checks itself, at start intervals: healthy 600 ms after a start, said by an event. */
class EngineChecks extends DryRunAdapter {
  inspects = 0;
  execs = 0;
  private readonly healthyIds = new Set<string>();
  override async capabilities() {
    return { ...(await super.capabilities()), healthStartInterval: true };
  }
  override async startContainer(id: string): Promise<void> {
    await super.startContainer(id);
    const service = (await super.inspectContainer(id))?.service ?? "";
    setTimeout(() => {
      this.healthyIds.add(id);
      this.emit({ id, service, action: "health_status", health: "healthy" });
    }, 600);
  }
  override async inspectContainer(id: string) {
    this.inspects++;
    const c = await super.inspectContainer(id);
    return c && this.healthyIds.has(id) ? { ...c, health: "healthy" as const } : c;
  }
  override async exec(id: string, argv: readonly string[]): Promise<ExecResult> {
    this.execs++;
    return super.exec(id, argv);
  }
}

test("an engine that checks at start intervals is left to it: its health event is awaited, not polled, and no check of DELoc's own runs", async () => {
  const stack = stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: events }
spec:
  services:
    a: { image: "app:1", healthCheck: { command: ["ready"], interval: 5s } }
    b: { image: "app:1", healthCheck: { command: ["ready"], interval: 5s }, dependsOn: [a] }
    c: { image: "app:1", healthCheck: { command: ["ready"], interval: 5s }, dependsOn: [b] }
`);
  const adapter = new EngineChecks({ images: ["app:1"] });
  const result = await deployOn(stack, adapter);
  assert.deepEqual(Object.keys(result.readyAtMs).sort(), ["a", "b", "c"]);
  assert.equal(adapter.execs, 0, "DELoc ran checks of its own beside the engine's");
  // Each link: seen ready as the engine says so, not at a poll; a few inspects, not one per 100 ms.
  assert.ok(result.durationMs < 3 * 600 + 400, `took ${result.durationMs} ms for three 600 ms links`);
  assert.ok(adapter.inspects <= 3 * 3, `${adapter.inspects} inspects for three services`);
});

/** The dry-run engine whose checks take `checkMs` and honour their timeout, as an exec does. */
class TimedOutChecks extends DryRunAdapter {
  execs = 0;
  override async exec(
    id: string,
    argv: readonly string[],
    opts: { timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    this.execs++;
    await sleep(Math.min(600, opts.timeoutMs ?? 600));
    return (opts.timeoutMs ?? 600) < 600 ? { exitCode: -1, output: "timed out" } : super.exec(id, argv);
  }
}

test("a check of DELoc's own that outlasts its timeout is not run again and again: the engine's own check is the one to wait for", async () => {
  const stack = stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: slowcheck }
spec:
  services:
    a: { image: "app:1", healthCheck: { command: ["ready"], interval: 1s, timeout: 500ms, retries: 3 } }
`);
  const adapter = new TimedOutChecks({ images: ["app:1"] });
  await assert.rejects(deployOn(stack, adapter), DeployFailedError);
  // One check, then, past the deadline, its turns until as many as its retries failed.
  assert.ok(
    adapter.execs <= 3,
    `${adapter.execs} checks that each took longer than the engine's interval allows`,
  );
});

/**
 * A twin on a loaded engine: its start answers a second after the container began (so by the
 * engine's clock it has been up that long), and the container exits 150 ms after the answer.
 */
class LateStart extends DryRunAdapter {
  private readonly exitAt = new Map<string, number>();
  override async startContainer(id: string): Promise<void> {
    await super.startContainer(id);
    this.exitAt.set(id, Date.now() + 150);
  }
  override async inspectContainer(id: string) {
    const c = await super.inspectContainer(id);
    const exitAt = this.exitAt.get(id);
    if (!c || exitAt === undefined) return c;
    const startedAt = new Date(exitAt - 150 - 1_000).toISOString();
    return Date.now() < exitAt
      ? { ...c, startedAt }
      : { ...c, startedAt, state: "exited" as const, exitCode: 3 };
  }
}

test("a service without a health check that exits right after a late start is not taken as started", async () => {
  const stack = stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: late }
spec:
  services:
    web: { image: "app:1", restart: "no" }
`);
  await assert.rejects(
    deployOn(stack, new LateStart({ images: ["app:1"] })),
    (e: unknown) => e instanceof DeployFailedError && /exited with code 3/.test(JSON.stringify(e)),
  );
});
