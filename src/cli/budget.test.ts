/**
 * One budget for every command: `plan` sizes from the engine's memory (not the host's) net of what
 * other stacks on it are limited to, exactly as `up` then applies it; two stacks on one engine
 * never promise more than it has; with no engine, `plan` falls back to the host and says so.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DryRunAdapter } from "../adapters/dry-run/dry-run-adapter.js";
import { EngineUnreachableError } from "../core/index.js";
import type { PlanJson } from "../planner/index.js";
import type { HostFacts } from "../resources/index.js";
import type { CommandContext } from "./context.js";
import { main } from "./main.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** A 32 GiB, 8-CPU host: bigger than the engines below. */
const BIG_HOST = (): HostFacts => ({
  memoryBytes: { value: 32 * GIB, source: "/proc/meminfo", detail: "test" },
  physicalMemoryBytes: 32 * GIB,
  cpus: { value: 8, source: "cpu count", detail: "test" },
});

// Host ports of their own, so the machine's other listeners cannot move them between runs.
const STACK = (name: string, base: number) =>
  `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${name} }\nspec:\n  services:\n    postgres: { ports: ["${base}:5432"] }\n    minio: { ports: ["${base + 1}:9000", "${base + 2}:9001"] }\n    redis: { ports: ["${base + 3}:6379"] }\n`;

function project(name: string, base: number): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-budget-")), name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "deloc.yaml"), STACK(name, base));
  return dir;
}

async function run(
  dir: string,
  argv: string[],
  seams: Partial<CommandContext>,
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, "0.0.0-test", {
    cwd: dir,
    env: {},
    home: dir,
    tty: false,
    color: false,
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    detectHost: BIG_HOST,
    ...seams,
  });
  return { code, out, err };
}

async function planJson(dir: string, seams: Partial<CommandContext>): Promise<PlanJson> {
  const r = await run(dir, ["plan", "--json"], seams);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as PlanJson;
}

/** What `up` applied: each container's limits and config hash, by service. */
async function applied(engine: DryRunAdapter, stack: string) {
  const observed = await engine.observe(stack);
  return Object.fromEntries(
    observed.containers.map((c) => [
      c.service,
      { memoryBytes: c.memoryLimitBytes, cpuMillis: c.cpuMillis, hash: c.hash },
    ]),
  );
}

const planned = (p: PlanJson) =>
  Object.fromEntries(
    p.services.map((s) => [s.name, { memoryBytes: s.memoryBytes, cpuMillis: s.cpus * 1000, hash: s.hash }]),
  );

describe("one budget for plan and up", () => {
  it("plan --json is what up applies on an engine smaller than the host", async () => {
    const engine = new DryRunAdapter({ memoryBytes: 1.5 * GIB, cpus: 2 });
    const seams = { openEngine: async () => engine };
    const dir = project("budget-one", 46100);
    const p = await planJson(dir, seams);
    assert.equal(p.budget.hostMemoryBytes, 1.5 * GIB);
    assert.equal(p.budget.memorySource, "docker engine");
    assert.equal(p.budget.capacity, "engine");
    assert.equal(p.budget.cpus, 2);
    // 1.5 GiB less the reserve and margin is short of the 1.25 GiB preferred: every service shrank.
    assert.ok(p.totalMemoryBytes <= p.budget.memoryBytes);
    assert.ok(p.services.some((s) => s.memoryBytes < s.memoryPreferredBytes));

    const up = await run(dir, ["up"], seams);
    assert.equal(up.code, 0, up.err);
    assert.deepEqual(await applied(engine, "budget-one"), planned(p));
    // Planned again with the stack up: its own containers are not "what else runs".
    assert.deepEqual(await planJson(dir, seams), p);
  });

  it("two stacks on one engine do not overcommit it; plan names what the other holds", async () => {
    const engine = new DryRunAdapter({ memoryBytes: 3 * GIB, cpus: 4 });
    const seams = { openEngine: async () => engine };
    const one = project("budget-a", 46200);
    const two = project("budget-b", 46300);
    const a = await planJson(one, seams);
    assert.equal(a.budget.committedBytes, 0);
    assert.equal((await run(one, ["up"], seams)).code, 0);

    const b = await planJson(two, seams);
    const heldByA = a.services.reduce((sum, s) => sum + s.memoryBytes * s.replicas, 0);
    assert.equal(b.budget.committedBytes, heldByA);
    assert.deepEqual(
      b.budget.commitments.map((c) => c.stack),
      a.services.map(() => "budget-a"),
    );
    assert.equal(b.budget.memoryBytes, a.budget.memoryBytes - heldByA);
    const table = await run(two, ["plan"], seams);
    assert.match(
      table.out,
      /after the OS reserve, the safety margin and what other stacks and containers on the engine hold: \S+ \S+ \(budget-a \S+ \S+\)/,
    );

    assert.equal((await run(two, ["up"], seams)).code, 0);
    assert.deepEqual(await applied(engine, "budget-b"), planned(b));
    const all = [
      ...(await engine.observe("budget-a")).containers,
      ...(await engine.observe("budget-b")).containers,
    ];
    const promised = all.reduce((sum, c) => sum + c.memoryLimitBytes, 0);
    // What both stacks' containers are limited to fits what the engine has for services.
    assert.ok(promised <= a.budget.memoryBytes, `${promised / MIB} MiB > ${a.budget.memoryBytes / MIB} MiB`);
  });

  it("--memory states the memory: plan and up size from it alike, and say what they do not count", async () => {
    const engine = new DryRunAdapter({ memoryBytes: 3 * GIB, cpus: 4 });
    const seams = { openEngine: async () => engine };
    assert.equal((await run(project("budget-i", 47000), ["up"], seams)).code, 0);
    const dir = project("budget-j", 47100);
    const r = await run(dir, ["plan", "--json", "--memory", "2g"], seams);
    const p = JSON.parse(r.out) as PlanJson;
    assert.equal(p.budget.capacity, "flags");
    assert.equal(p.budget.hostMemoryBytes, 2 * GIB);
    assert.equal(p.budget.committedBytes, 0);
    assert.match(p.budget.capacityNote ?? "", /--memory states the memory/);
    assert.equal((await run(dir, ["up", "--memory", "2g"], seams)).code, 0);
    assert.deepEqual(await applied(engine, "budget-j"), planned(p));
  });

  it("refuses a stack the other stacks leave no room for, naming them", async () => {
    const engine = new DryRunAdapter({ memoryBytes: 3 * GIB, cpus: 4 });
    const seams = { openEngine: async () => engine };
    const one = project("budget-c", 46400);
    assert.equal((await run(one, ["up"], seams)).code, 0);
    const big = project("budget-d", 46500);
    fs.writeFileSync(
      path.join(big, "deloc.yaml"),
      `${STACK("budget-d", 46500)}    app: { image: "x/app:1", resources: { memory: 1g } }\n`,
    );
    const r = await run(big, ["plan"], seams);
    assert.equal(r.code, 3, r.out + r.err);
    assert.match(r.err, /other stacks and containers on the engine hold [\d.]+ [GM]iB: budget-c/);
    assert.match(r.err, /`deloc down --stack budget-c`/);
  });

  it("with no engine, plan and resources fall back to the host at once, and say so", async () => {
    const seams = {
      openEngine: async () => {
        throw new EngineUnreachableError("No container engine answered.", []);
      },
    };
    const dir = project("budget-e", 46600);
    const started = Date.now();
    const p = await planJson(dir, seams);
    assert.equal(p.budget.capacity, "host");
    assert.equal(p.budget.hostMemoryBytes, 32 * GIB);
    assert.match(p.budget.capacityNote ?? "", /no engine answered/);
    const table = await run(dir, ["plan"], seams);
    assert.match(table.out, /Engine: no engine answered/);
    const res = await run(dir, ["resources", "--json"], seams);
    assert.equal(res.code, 0, res.err);
    const json = JSON.parse(res.out) as { engine: unknown; budget: { capacityNote: string } };
    assert.equal(json.engine, null);
    assert.match(json.budget.capacityNote, /no engine answered/);
    assert.ok(Date.now() - started < 2_000);
  });

  it("an engine that never answers costs plan at most a couple of seconds", async () => {
    const seams = { openEngine: () => new Promise<never>(() => undefined) };
    const dir = project("budget-f", 46700);
    const started = Date.now();
    const p = await planJson(dir, seams);
    assert.equal(p.budget.capacity, "host");
    assert.ok(Date.now() - started < 3_000);
  });

  it("resources shows the engine's figures and what the other stacks hold", async () => {
    const engine = new DryRunAdapter({ memoryBytes: 3 * GIB, cpus: 4 });
    const seams = { openEngine: async () => engine };
    const one = project("budget-g", 46800);
    assert.equal((await run(one, ["up"], seams)).code, 0);
    const other = project("budget-h", 46900);
    const r = await run(other, ["resources"], seams);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Engine\s+3 GiB, 4 CPUs/);
    assert.match(r.out, /- stack budget-g: budget-g-postgres-1/);
    const p = await planJson(other, seams);
    const json = JSON.parse((await run(other, ["resources", "--json"], seams)).out) as {
      budget: { memoryBytes: number };
    };
    assert.equal(json.budget.memoryBytes, p.budget.memoryBytes);
  });
});
