import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CycleError } from "../core/index.js";
import { assertAcyclic, buildGraph, findCycle, levels, topologicalOrder } from "./index.js";

const g = (edges: Record<string, string[]>) =>
  buildGraph(Object.entries(edges).map(([name, dependsOn]) => ({ name, dependsOn })));

describe("dependency graph", () => {
  const stack = g({ api: ["postgres", "kafka"], kafka: [], postgres: [], worker: ["api"], redis: [] });

  it("groups independent services into levels", () => {
    assert.deepEqual(levels(stack), [["kafka", "postgres", "redis"], ["api"], ["worker"]]);
  });

  it("orders topologically, alphabetically among the ready", () => {
    assert.deepEqual(topologicalOrder(stack), ["kafka", "postgres", "api", "redis", "worker"]);
  });

  it("finds a cycle and reports the same path whatever the input order", () => {
    const a = g({ c: ["a"], b: ["c"], a: ["b"], d: [] });
    const b = g({ a: ["b"], d: [], b: ["c"], c: ["a"] });
    assert.deepEqual(findCycle(a), ["a", "b", "c", "a"]);
    assert.deepEqual(findCycle(b), ["a", "b", "c", "a"]);
    assert.throws(
      () => assertAcyclic(a),
      (e: unknown) =>
        e instanceof CycleError && e.message === "Services depend on each other in a cycle: a -> b -> c -> a",
    );
  });

  it("accepts a diamond", () => {
    assert.equal(findCycle(g({ top: ["l", "r"], l: ["base"], r: ["base"], base: [] })), undefined);
  });
});
