import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuMillis, podRequests, quantityBytes } from "./kubernetes-target.js";

test("quantities: memory and CPU as the API server writes them", () => {
  assert.equal(quantityBytes("768Mi"), 768 * 2 ** 20);
  assert.equal(quantityBytes("24400000Ki"), 24_400_000 * 1024);
  assert.equal(quantityBytes("1G"), 1e9);
  assert.deepEqual([cpuMillis("2"), cpuMillis("1500m"), cpuMillis("0.5")], [2000, 1500, 500]);
});

test("podRequests: what the scheduler counts — the containers together, or the largest init container, plus overhead", () => {
  const r = podRequests({
    spec: {
      initContainers: [
        { name: "wait", resources: { requests: { memory: "32Mi", cpu: "10m" } } },
        { name: "migrate", resources: { requests: { memory: "512Mi", cpu: "100m" } } },
      ],
      containers: [
        { name: "a", resources: { requests: { memory: "128Mi", cpu: "250m" } } },
        { name: "b", resources: { requests: { memory: "64Mi" } } },
        { name: "c" },
      ],
      overhead: { memory: "16Mi", cpu: "5m" },
    },
  });
  assert.deepEqual(r, { memoryBytes: (512 + 16) * 2 ** 20, cpuMillis: 255 });
});
