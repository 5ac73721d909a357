import assert from "node:assert/strict";
import { test } from "node:test";
import {
  budgetFor,
  capToEngine,
  clusterBudget,
  computeBudget,
  type HostFacts,
  portableBudget,
} from "./index.js";

const GIB = 1024 ** 3;
const host: HostFacts = {
  memoryBytes: { value: 32 * GIB, source: "/proc/meminfo", detail: "MemTotal" },
  physicalMemoryBytes: 32 * GIB,
  cpus: { value: 8, source: "cpu count", detail: "os.availableParallelism()" },
};

test("budget: an engine VM smaller than the host sizes the plan, and says so", () => {
  const b = computeBudget(capToEngine(host, { memoryBytes: 8 * GIB, cpus: 4 }));
  assert.equal(b.hostMemoryBytes, 8 * GIB);
  assert.equal(b.cpus, 4);
  assert.deepEqual([b.memorySource, b.cpuSource], ["docker engine", "docker engine"]);
});

test("budget: an engine that sees the whole host changes nothing; --memory still wins", () => {
  assert.deepEqual(capToEngine(host, { memoryBytes: 64 * GIB, cpus: 16 }), host);
  const b = computeBudget(capToEngine(host, { memoryBytes: 8 * GIB, cpus: 4 }), {
    memory: { bytes: 6 * GIB, source: "--memory" },
  });
  assert.equal(b.hostMemoryBytes, 6 * GIB);
});

test("budgetFor: the engine's memory, less what other stacks and containers on it are limited to", () => {
  const b = budgetFor({
    host,
    engine: { memoryBytes: 8 * GIB, cpus: 4 },
    commitments: [
      { name: "small", memoryBytes: 1 * GIB },
      { name: "other-kafka-1", stack: "other", memoryBytes: 2 * GIB },
    ],
  });
  const gross = computeBudget(capToEngine(host, { memoryBytes: 8 * GIB, cpus: 4 }));
  assert.equal(b.capacity, "engine");
  assert.equal(b.committedBytes, 3 * GIB);
  assert.equal(b.memoryBytes, gross.memoryBytes - 3 * GIB);
  assert.deepEqual(
    b.commitments?.map((c) => c.name),
    ["other-kafka-1", "small"],
  );
  // Never below nothing.
  assert.equal(budgetFor({ host, commitments: [{ name: "huge", memoryBytes: 64 * GIB }] }).memoryBytes, 0);
});

test("budgetFor: no engine is the host's figures, with why; --memory states the memory, nothing netted", () => {
  const none = budgetFor({ host, engineNote: "no engine answered: this machine's figures" });
  assert.equal(none.capacity, "host");
  assert.equal(none.hostMemoryBytes, 32 * GIB);
  assert.equal(none.capacityNote, "no engine answered: this machine's figures");
  const stated = budgetFor({
    host,
    engine: { memoryBytes: 8 * GIB, cpus: 4 },
    override: { memory: { bytes: 6 * GIB, source: "--memory" } },
    commitments: [{ name: "x", memoryBytes: 2 * GIB }],
  });
  assert.equal(stated.capacity, "flags");
  assert.equal(
    stated.memoryBytes,
    computeBudget(host, { memory: { bytes: 6 * GIB, source: "--memory" } }).memoryBytes,
  );
  assert.equal(stated.committedBytes, 0);
  assert.match(stated.capacityNote ?? "", /--memory states the memory: the 2 GiB other stacks/);
});

test("portableBudget: the profile's sizes whatever the machine; explicit flags still apply", () => {
  const p = portableBudget();
  assert.equal(p.capacity, "profile");
  assert.ok(p.memoryBytes > 2 ** 40);
  assert.ok(p.cpus >= 1024);
  const flagged = portableBudget({
    memory: { bytes: 8 * GIB, source: "--memory" },
    cpus: { count: 2, source: "--cpus" },
  });
  assert.equal(
    flagged.memoryBytes,
    computeBudget(host, { memory: { bytes: 8 * GIB, source: "--memory" } }).memoryBytes,
  );
  assert.equal(flagged.cpus, 2);
});

test("clusterBudget: the nodes' allocatable memory less the margin and what other pods request; CPUs of the largest node", () => {
  const b = clusterBudget({
    nodes: [
      { name: "a", memoryBytes: 16 * GIB, cpuMillis: 4000 },
      { name: "b", memoryBytes: 8 * GIB, cpuMillis: 2000 },
    ],
    requests: [
      { name: "kube-system/coredns-1", memoryBytes: GIB / 4, cpuMillis: 100 },
      { name: "other/kafka-0", stack: "other", memoryBytes: 2 * GIB, cpuMillis: 250 },
    ],
  });
  assert.equal(b.hostMemoryBytes, 24 * GIB);
  assert.equal(b.reserveBytes, 0);
  assert.equal(b.memoryBytes, 24 * GIB - Math.floor(2.4 * GIB) - 2.25 * GIB);
  assert.equal(b.cpus, 4);
  assert.deepEqual(
    [b.memorySource, b.cpuSource, b.capacity],
    ["kubernetes nodes", "kubernetes nodes", "cluster"],
  );
  assert.deepEqual(
    b.commitments?.map((c) => c.name),
    ["other/kafka-0", "kube-system/coredns-1"],
  );
  assert.match(
    b.capacityNote ?? "",
    /2 schedulable nodes: 24 GiB allocatable, 2\.3 GiB and 0\.35 CPUs requested by 2 other pods/,
  );
});

test("clusterBudget: --memory and --cpus state the capacity; the other pods' requests are then not counted", () => {
  const b = clusterBudget(
    {
      nodes: [{ name: "a", memoryBytes: 16 * GIB, cpuMillis: 4000 }],
      requests: [{ name: "x/y", memoryBytes: 4 * GIB, cpuMillis: 100 }],
    },
    { memory: { bytes: 8 * GIB, source: "--memory" }, cpus: { count: 2, source: "--cpus" } },
  );
  assert.equal(b.memoryBytes, 8 * GIB - Math.floor(0.8 * GIB));
  assert.deepEqual([b.cpus, b.memorySource, b.capacity, b.committedBytes], [2, "--memory", "flags", 0]);
  assert.match(b.capacityNote ?? "", /--memory states the memory, not the cluster's 1 schedulable node/);
});
