/**
 * The strategy's cap, proved over random dependency graphs on the dry-run twin: the services
 * starting or waiting for readiness at once never outnumber the cap (1 for `sequential`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import { DryRunAdapter } from "../adapters/dry-run/dry-run-adapter.js";
import type { Plan } from "../core/index.js";
import { plan as makePlan } from "../planner/index.js";
import { FakeClock } from "../testing/fake-clock.js";
import { type DeployEvent, deploy } from "./deploy.js";

interface Node {
  needs: { on: number; condition: "healthy" | "started" }[];
  healthChecked: boolean;
  failChecks: number;
}

function stackYaml(nodes: readonly Node[]): string {
  const lines = nodes.map((n, i) => {
    const deps = n.needs.length
      ? `, dependsOn: { ${n.needs.map((d) => `s${d.on}: ${d.condition}`).join(", ")} }`
      : "";
    const hc = n.healthChecked ? ", healthCheck: { command: [ready], interval: 1s, retries: 9 }" : "";
    return `    s${i}: { image: "img:1"${deps}${hc} }`;
  });
  return `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: dag }\nspec:\n  services:\n${lines.join("\n")}\n`;
}

/** The most services between their first `starting`/`checking` and `ready`/`failed` at one time. */
async function peakConcurrency(nodes: readonly Node[], strategy: Plan["strategy"], maxParallel: number) {
  const p = makePlan(stackFrom(stackYaml(nodes)), catalog, budget(64), { takenPorts: new Set() });
  const plan: Plan = { ...p, strategy, maxParallel };
  const behaviour = Object.fromEntries(nodes.map((n, i) => [`s${i}`, { failHealthChecks: n.failChecks }]));
  const adapter = new DryRunAdapter({ images: ["img:1"], behaviour });
  const active = new Set<string>();
  let peak = 0;
  const onEvent = (e: DeployEvent) => {
    if (e.status === "starting" || e.status === "checking") active.add(e.service);
    if (e.status === "ready" || e.status === "kept" || e.status === "failed") active.delete(e.service);
    peak = Math.max(peak, active.size);
  };
  await deploy({
    plan,
    adapter,
    secrets: {},
    rollback: true,
    deployedBy: "test",
    runId: "r1",
    clock: new FakeClock(),
    onEvent,
  });
  return peak;
}

const node = (on: number[] = [], healthChecked = true, failChecks = 0): Node => ({
  needs: on.map((i) => ({ on: i, condition: "healthy" })),
  healthChecked,
  failChecks,
});

// One root, three services that wait for it, three independent ones: the shape that showed the race.
const fanOut = [node(), node([0]), node([0]), node([0]), node(), node(), node()];

test("strategy: sequential starts one service at a time", async () => {
  assert.equal(await peakConcurrency(fanOut, "sequential", 1), 1);
});

test("strategy: hybrid never runs more than maxParallel at once", async () => {
  assert.equal(await peakConcurrency(fanOut, "hybrid", 2), 2);
});

const dag = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        needs: fc.uniqueArray(
          fc.record({
            on: fc.integer({ min: 0, max: Math.max(0, i - 1) }),
            condition: fc.constantFrom("healthy" as const, "started" as const),
          }),
          { maxLength: i === 0 ? 0 : 3, selector: (d) => d.on },
        ),
        healthChecked: fc.boolean(),
        failChecks: fc.integer({ min: 0, max: 3 }),
      }),
    ),
  ),
);

test("strategy: over random graphs, the cap holds (sequential 1, hybrid maxParallel)", async () => {
  await fc.assert(
    fc.asyncProperty(
      dag,
      fc.constantFrom("sequential" as const, "hybrid" as const),
      fc.integer({ min: 1, max: 4 }),
      async (nodes, strategy, max) => {
        const cap = strategy === "sequential" ? 1 : max;
        const peak = await peakConcurrency(nodes, strategy, max);
        assert.ok(peak <= cap, `peak ${peak} > cap ${cap}\n${stackYaml(nodes)}`);
      },
    ),
    { numRuns: 150 },
  );
});

test("fifty services waiting at once on the deploy's one signal print no MaxListenersExceededWarning", async () => {
  const nodes = Array.from({ length: 50 }, (_, i) => node(i < 10 ? [] : [i % 10], true, 0));
  const p = makePlan(stackFrom(stackYaml(nodes)), catalog, budget(64), { takenPorts: new Set() });
  const behaviour = Object.fromEntries(nodes.map((n, i) => [`s${i}`, { failHealthChecks: n.failChecks }]));
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on("warning", onWarning);
  try {
    const r = await deploy({
      plan: { ...p, strategy: "parallel" },
      adapter: new DryRunAdapter({ images: ["img:1"], behaviour }),
      secrets: {},
      rollback: true,
      deployedBy: "test",
      runId: "r1",
      signal: new AbortController().signal,
    });
    assert.equal(Object.keys(r.readyAtMs).length, 50);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("warning", onWarning);
  }
  assert.deepEqual(warnings, []);
});
