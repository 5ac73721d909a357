import assert from "node:assert/strict";
import { test } from "node:test";
import { capToEngine, computeBudget, type HostFacts } from "./index.js";

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
