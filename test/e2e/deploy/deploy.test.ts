/**
 * The deploy scenario, on the real Docker engine, through the built CLI as a user runs it. Each
 * test states one intent and checks the engine's state (containers, volumes, files), not the text
 * printed. They run in order on one stack: each starts from what the previous one left.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../../src/adapters/adapter.js";
import type { ObservedContainer } from "../../../src/core/index.js";
import { delocIn } from "../../support/cli.js";
import { dockerAdapter } from "../../support/engine.js";

const STACK = "deloc-e2e";
const FIXTURE = import.meta.dirname;

let dir: string;
let engine: Adapter;

const { deloc, ok } = delocIn(() => dir);

const containers = async () => (await engine.observe(STACK)).containers;
const byService = async () =>
  Object.fromEntries((await containers()).map((c) => [c.service, c])) as Record<string, ObservedContainer>;
const ids = async () => Object.fromEntries((await containers()).map((c) => [c.service, c.id]));

function editStack(from: string, to: string) {
  const file = path.join(dir, "deloc.yaml");
  const text = fs.readFileSync(file, "utf8");
  assert.ok(text.includes(from), `deloc.yaml has no "${from}"`);
  fs.writeFileSync(file, text.replace(from, to));
}

async function execIn(service: string, argv: string[]) {
  const c = (await byService())[service];
  assert.ok(c, `${service} is not deployed`);
  return engine.exec(c.id, argv);
}

describe("deploy scenario (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-e2e-"));
    for (const f of ["deloc.yaml", "api", "worker"])
      fs.cpSync(path.join(FIXTURE, f), path.join(dir, f), { recursive: true });
    deloc("cleanup", "--yes", "--stack", STACK); // whatever an earlier, interrupted run left
  });
  after(() => {
    deloc("cleanup", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("up: built services, postgres and redis come up healthy, within their limits, in order", async () => {
    ok("up");
    const plan = JSON.parse(ok("plan", "--json")) as {
      services: { name: string; memoryBytes: number; cpus: number }[];
    };
    const running = await byService();
    assert.deepEqual(Object.keys(running).sort(), ["api", "postgres", "redis", "worker"]);
    for (const s of plan.services) {
      assert.equal(running[s.name]?.state, "running", s.name);
      assert.equal(running[s.name]?.memoryLimitBytes, s.memoryBytes, `${s.name} memory limit`);
      assert.equal(running[s.name]?.cpuMillis, s.cpus * 1000, `${s.name} cpu limit`);
    }
    // The worker called the api by its service name once, at start: it got an answer, so the api
    // was healthy before the worker started. The answer is in the bind-mounted folder.
    assert.equal(fs.readFileSync(path.join(dir, "shared", "answer.txt"), "utf8"), "hello\n");
    assert.ok((await engine.observe(STACK)).volumes.includes(`${STACK}_worker-data`));
    // The engine's own health checks agree, once they have run.
    for (let i = 0; i < 60 && (await containers()).some((c) => c.health !== "healthy"); i++)
      await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(
      (await containers()).map((c) => `${c.service}:${c.health}`),
      ["api:healthy", "postgres:healthy", "redis:healthy", "worker:healthy"],
    );
  });

  test("verify: postgres and redis serve data to real clients from the host; api and worker pass their declared probes", () => {
    const r = JSON.parse(ok("verify", "--json")) as {
      ok: boolean;
      probes: { service: string; ok: boolean; what: string | null }[];
    };
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.probes.filter((p) => p.what !== null).map((p) => `${p.service}:${p.ok}`),
      ["api:true", "postgres:true", "redis:true", "worker:true"],
    );
  });

  test("verify: a service that does not answer fails, exit 1, and says which", async () => {
    ok("stop", "redis");
    const r = deloc("verify", "--json");
    assert.equal(r.code, 1, r.err);
    const failed = (
      JSON.parse(r.out) as { probes: { service: string; ok: boolean; detail: string }[] }
    ).probes.filter((p) => !p.ok);
    assert.deepEqual(
      failed.map((p) => p.service),
      ["redis"],
    );
    assert.match(failed[0]!.detail, /ECONNREFUSED/);
    ok("up");
  });

  test("up again: nothing is recreated", async () => {
    const before = await containers();
    ok("up");
    const after = await containers();
    assert.deepEqual(
      after.map((c) => [c.id, c.startedAt]),
      before.map((c) => [c.id, c.startedAt]),
    );
  });

  test("a changed service is recreated alone", async () => {
    const before = await ids();
    editStack("GREETING: hello", "GREETING: bonjour");
    ok("up");
    const after = await ids();
    assert.notEqual(after.api, before.api);
    assert.deepEqual(
      [after.postgres, after.redis, after.worker],
      [before.postgres, before.redis, before.worker],
    );
    const r = await execIn("worker", ["bash", "-c", "exec 3<>/dev/tcp/api/8080; tail -n1 <&3"]);
    assert.equal(r.output, "bonjour\n");
  });

  test("a service that never gets healthy fails the deploy with its log lines; what ran before stays", async () => {
    const before = await containers();
    editStack('command: ["test", "-f", "/tmp/done"]', 'command: ["test", "-f", "/tmp/never"]');
    editStack("retries: 12", "retries: 3");
    const r = deloc("up");
    assert.equal(r.code, 5, r.err);
    assert.match(r.err, /worker: did not become healthy/);
    assert.match(r.err, /worker: api said: bonjour/); // its own log line
    const after = await containers();
    assert.deepEqual(
      after.map((c) => [c.name, c.id, c.state]),
      before.map((c) => [c.name, c.id, "running"]),
    );
    editStack('command: ["test", "-f", "/tmp/never"]', 'command: ["test", "-f", "/tmp/done"]');
    editStack("retries: 3", "retries: 12");
    ok("up");
    assert.deepEqual(await ids(), Object.fromEntries(before.map((c) => [c.service, c.id])));
  });

  test("scale: a custom service runs n replicas, then back to one", async () => {
    ok("scale", "api", "2");
    assert.deepEqual(
      (await containers()).filter((c) => c.service === "api").map((c) => `${c.name} ${c.state}`),
      [`${STACK}-api-1 running`, `${STACK}-api-2 running`],
    );
    ok("scale", "api", "1");
    assert.deepEqual(
      (await containers()).filter((c) => c.service === "api").map((c) => c.name),
      [`${STACK}-api-1`],
    );
  });

  test("backup then restore brings postgres data back (a consistent dump)", async () => {
    const psql = (sql: string) => execIn("postgres", ["psql", "-U", "deloc", "-d", "deloc", "-tAc", sql]);
    assert.equal((await psql("create table t(x int); insert into t values (42)")).exitCode, 0);
    ok("backup", "postgres", "-o", "pg.tar.gz");
    await psql("drop table t");
    ok("restore", "--yes", "postgres", "pg.tar.gz");
    assert.equal((await psql("select x from t")).output, "42\n");
  });

  test("backup then restore brings a named volume back", async () => {
    await execIn("worker", ["bash", "-c", "echo before > /data/marker"]);
    ok("backup", "worker", "-o", "worker.tar.gz");
    await execIn("worker", ["bash", "-c", "echo after > /data/marker; touch /data/stray"]);
    ok("restore", "--yes", "worker", "worker.tar.gz");
    assert.equal((await execIn("worker", ["cat", "/data/marker"])).output, "before\n");
    assert.notEqual((await execIn("worker", ["test", "-e", "/data/stray"])).exitCode, 0);
  });

  test("a corrupt backup is refused and the data is left as it was", async () => {
    fs.writeFileSync(path.join(dir, "bad.tar.gz"), Buffer.from("not a backup at all"));
    const before = (await execIn("worker", ["cat", "/data/runs"])).output;
    const r = deloc("restore", "--yes", "worker", "bad.tar.gz");
    assert.equal(r.code, 8, r.err);
    assert.equal((await execIn("worker", ["cat", "/data/runs"])).output, before);
  });

  test("stop keeps the containers; up starts the same ones again", async () => {
    const before = await ids();
    ok("stop", "worker", "api");
    const stopped = await byService();
    assert.deepEqual(
      [stopped.api?.state, stopped.worker?.state, stopped.postgres?.state],
      ["exited", "exited", "running"],
    );
    ok("up");
    assert.deepEqual(await ids(), before);
    assert.ok((await containers()).every((c) => c.state === "running"));
  });

  test("restart brings a service back, ready, in the same container", async () => {
    const before = (await byService()).redis!;
    ok("restart", "redis");
    const after = (await byService()).redis!;
    assert.equal(after.id, before.id);
    assert.notEqual(after.startedAt, before.startedAt);
    assert.equal((await execIn("redis", ["redis-cli", "ping"])).output, "PONG\n");
  });

  test("status --json reports every service from the engine, with memory use against its limit", () => {
    const status = JSON.parse(ok("status", "--json")) as {
      services: {
        service: string;
        condition: string;
        replicas: { memoryBytes: number; memoryLimitBytes: number }[];
      }[];
    };
    assert.deepEqual(
      status.services.map((s) => `${s.service}:${s.condition}`).sort(),
      ["api:running", "postgres:running", "redis:running", "worker:running"].sort(),
    );
    for (const s of status.services)
      for (const r of s.replicas)
        assert.ok(r.memoryBytes > 0 && r.memoryBytes < r.memoryLimitBytes, s.service);
  });

  test("events: the history has every transition, in order", () => {
    const events = JSON.parse(ok("events", "--json")) as {
      service?: string;
      from: string;
      to: string;
      command: string;
    }[];
    assert.ok(events.some((e) => e.service === "worker" && e.to === "failed"));
    assert.ok(events.some((e) => e.service === undefined && e.from === "scaling" && e.to === "running"));
    assert.equal(events.at(-1)?.command, "restart");
  });

  test("down keeps the volumes (data survives the next up); down --volumes removes them", async () => {
    const runs = Number((await execIn("worker", ["cat", "/data/runs"])).output);
    ok("down");
    assert.deepEqual(await containers(), []);
    assert.ok((await engine.observe(STACK)).volumes.includes(`${STACK}_worker-data`));
    ok("up");
    // The worker counts its starts in the volume: one more, on top of what was there.
    assert.equal(Number((await execIn("worker", ["cat", "/data/runs"])).output), runs + 1);
    ok("down", "--volumes", "--yes");
    const o = await engine.observe(STACK);
    assert.deepEqual([o.containers, o.volumes, o.networks], [[], [], []]);
  });

  test("cleanup removes everything labelled with the stack, even with .deloc/ gone", async () => {
    ok("up");
    fs.rmSync(path.join(dir, ".deloc"), { recursive: true });
    ok("cleanup", "--yes");
    const o = await engine.observe(STACK, [`deloc-${STACK}-api:latest`, `deloc-${STACK}-worker:latest`]);
    assert.deepEqual([o.containers, o.volumes, o.networks, o.images], [[], [], [], {}]);
  });
});
