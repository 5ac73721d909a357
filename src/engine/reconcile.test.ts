import assert from "node:assert/strict";
import { test } from "node:test";
import { assertGolden } from "../../test/support/golden.js";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import { describeOperation, type ObservedContainer, type ObservedStack } from "../core/index.js";
import { plan as makePlan } from "../planner/index.js";
import { isNoop, LEFTOVER, reconcile } from "./reconcile.js";

const stack = stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: demo }
spec:
  services:
    postgres: {}
    spark-worker: { replicas: 2 }
    migrate: { image: "flyway:10", oneShot: true, dependsOn: { postgres: healthy } }
`);
const plan = makePlan(stack, catalog, budget(8), { takenPorts: new Set() });
const svc = (name: string) => plan.services.find((s) => s.name === name)!;

function container(
  service: string,
  replica: number,
  over: Partial<ObservedContainer> = {},
): ObservedContainer {
  const s = svc(service);
  return {
    id: `${service}-${replica}-id`,
    name: `demo-${service}-${replica}`,
    service,
    replica,
    hash: s.hash,
    image: s.image,
    imageId: `sha256:${s.image}`,
    state: "running",
    health: "healthy",
    exitCode: null,
    oomKilled: false,
    restartCount: 0,
    startedAt: "2026-01-01T00:00:00Z",
    memoryLimitBytes: s.memoryBytes,
    cpuMillis: s.cpuMillis,
    hostPorts: [],
    ...over,
  };
}

function deployed(containers: ObservedContainer[]): ObservedStack {
  return {
    stack: "demo",
    containers,
    volumes: plan.volumes.map((v) => `demo_${v}`),
    networks: ["demo_default"],
    images: Object.fromEntries(plan.services.map((s) => [s.image, `sha256:${s.image}`])),
  };
}

const running = () => [
  container("migrate", 1, { state: "exited", exitCode: 0, health: "none" }),
  container("postgres", 1),
  container("spark-master", 1),
  container("spark-worker", 1),
  container("spark-worker", 2),
];

const render = (title: string, obs: ObservedStack) =>
  `## ${title}\n${reconcile(plan, obs, {})
    .map((o) => describeOperation(o))
    .join("\n")}\n`;

test("reconcile: a fresh engine gets the network, volumes, images and every replica", () => {
  const ops = reconcile(plan, { stack: "demo", containers: [], volumes: [], networks: [], images: {} }, {});
  assert.equal(ops.filter((o) => o.kind === "start").length, 5);
  assert.ok(ops.some((o) => o.kind === "create-network"));
});

test("reconcile: what already runs as planned is kept, and nothing else happens", () => {
  const ops = reconcile(plan, deployed(running()), {});
  assert.ok(isNoop(ops), ops.map(describeOperation).join("\n"));
});

test("reconcile: only the service whose configuration changed is recreated", () => {
  const obs = deployed(running().map((c) => (c.service === "postgres" ? { ...c, hash: "old" } : c)));
  const changed = reconcile(plan, obs, {}).filter((o) => o.kind !== "keep");
  assert.deepEqual(
    changed.map((o) => describeOperation(o)),
    ["recreate postgres#1 (configuration changed)"],
  );
});

test("reconcile: extra replicas and services gone from the file are removed; leftovers too", () => {
  const obs = deployed([
    ...running(),
    container("spark-worker", 3),
    container("postgres", 1, { id: "aside", name: "demo-postgres-1-replaced-abc" }),
    { ...container("postgres", 1), id: "old-redis", name: "demo-redis-1", service: "redis" },
  ]);
  const removals = reconcile(plan, obs, {}).filter((o) => o.kind === "remove");
  assert.deepEqual(
    removals.map((o) => (o.kind === "remove" ? `${o.containerId}: ${o.reason}` : "")),
    [`aside: ${LEFTOVER}`, "spark-worker-3-id: scaled to 2", "old-redis: no longer in the stack"],
  );
});

test("reconcile: every case, as operations (golden)", () => {
  const out = [
    render("fresh engine", { stack: "demo", containers: [], volumes: [], networks: [], images: {} }),
    render("up to date", deployed(running())),
    render(
      "stopped, failed one-shot, image changed, scaled by 1",
      deployed([
        container("migrate", 1, { state: "exited", exitCode: 3, health: "none" }),
        container("postgres", 1, { state: "exited", exitCode: 0 }),
        container("spark-master", 1, { imageId: "sha256:older" }),
        container("spark-worker", 1),
      ]),
    ),
  ].join("\n");
  assertGolden("reconcile.txt", out);
  assert.match(out, /recreate migrate#1 \(last run exited with 3\)/);
  assert.match(out, /resume postgres#1/);
  assert.match(out, /recreate spark-master#1 \(image changed\)/);
  assert.match(out, /start spark-worker#2 \(new\)/);
});

test("reconcile: a scale override wins over the file's replica count", () => {
  const ops = reconcile(plan, deployed(running()), { replicas: { "spark-worker": 1 } });
  assert.deepEqual(
    ops.filter((o) => o.kind === "remove").map((o) => describeOperation(o)),
    ["remove spark-worker#2 (scaled to 1)"],
  );
});
