import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InsufficientMemoryError } from "../core/index.js";
import { allocateMemory, type MemoryRequest } from "./index.js";

const MIB = 1024 ** 2;
const req = (
  name: string,
  min: number,
  preferred: number,
  replicas = 1,
  minimal?: number,
): MemoryRequest => ({
  name,
  replicas,
  minBytes: min * MIB,
  preferredBytes: preferred * MIB,
  ...(minimal ? { minimalProfileMinBytes: minimal * MIB } : {}),
});
// A budget that is 80% (OS reserve) × 90% (margin) of the host.
const ctx = { stack: "demo", profile: "development" as const, hostBytesPerBudgetByte: 1 / (0.8 * 0.9) };
const mib = (m: Map<string, number>) => Object.fromEntries([...m].map(([k, v]) => [k, v / MIB]));

describe("allocateMemory", () => {
  const requests = [req("kafka", 768, 1536), req("postgres", 256, 512), req("spark-worker", 1024, 2048, 2)];

  it("gives every service its preferred memory when it fits", () => {
    const a = allocateMemory(requests, 8192 * MIB, ctx);
    assert.deepEqual(mib(a.bytes), { kafka: 1536, postgres: 512, "spark-worker": 2048 });
    assert.equal(a.fraction, 1);
  });

  it("shrinks every service toward its minimum by the same fraction when short", () => {
    // minimums 3072, preferred 6144: a budget of 4608 is halfway.
    const a = allocateMemory(requests, 4608 * MIB, ctx);
    assert.deepEqual(mib(a.bytes), { kafka: 1152, postgres: 384, "spark-worker": 1536 });
    assert.equal(a.fraction, 0.5);
    const total = [...a.bytes].reduce((s, [n, b]) => s + b * (n === "spark-worker" ? 2 : 1), 0);
    assert.ok(total <= 4608 * MIB);
  });

  it("refuses when even the minimums do not fit, naming needs, shortfall and remedies", () => {
    const small = [
      req("kafka", 768, 1536, 1, 512),
      req("postgres", 256, 512, 1, 128),
      req("spark-worker", 1024, 2048, 2, 512),
    ];
    assert.throws(
      () => allocateMemory(small, 2048 * MIB, ctx),
      (e: unknown) => {
        assert.ok(e instanceof InsufficientMemoryError);
        assert.equal(
          e.message,
          'Not enough memory for stack "demo" (profile development): its services need at least 3 GiB, the budget is 2 GiB (short by 1 GiB).\n  Minimums: spark-worker 2 GiB (2 replicas), kafka 768 MiB, postgres 256 MiB.',
        );
        assert.equal(
          e.hint,
          "Either use the minimal profile: --profile minimal; or run fewer spark-worker replicas: replicas: 1; or drop spark-worker from spec.services (frees 2 GiB); or give the machine (or the Docker VM) at least 4.3 GiB of memory.",
        );
        assert.equal(e.details.shortfallBytes, 1024 * MIB);
        return true;
      },
    );
  });
});
