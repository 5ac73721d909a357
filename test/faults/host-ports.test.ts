/**
 * Host ports that are taken, on the real engine: before `up` (the plan moves the port and says so),
 * and between the plan and the container's start (the deploy fails naming the port, what ran
 * before stays; the next `up` moves it).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { dockerAdapter } from "../support/engine.js";
import { faultProject, readyAfter, service, snapshot } from "../support/faults.js";
import { freePort } from "../support/ports.js";

const STACK = "deloc-faults-ports";
const project = faultProject(STACK);
let engine: Adapter;
const listeners: net.Server[] = [];

/** Something else on this machine holding a port, as another program would. */
async function hold(port: number): Promise<void> {
  const server = net.createServer((s) => s.end("not deloc\n"));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  listeners.push(server);
}

const KEEPER = service("keeper");
const web = (port: number, extra = "") => service("web", `ports: ["${port}:8080"]\n${extra}`);
/** Ready 2 s after it starts: time to take web's port while up waits for it. */
const SLOW = service("slow", readyAfter(2));

const webPorts = async () =>
  (await engine.observe(STACK)).containers.find((c) => c.service === "web")?.hostPorts;

describe("host ports already taken (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
  });
  after(() => {
    for (const l of listeners) l.close();
    project.dispose();
  });

  test("taken before up: the port moves to the next free one, the plan says so, the other program keeps it", async () => {
    const port = await freePort();
    await hold(port);
    project.write(KEEPER + web(port));
    const r = project.deloc("up");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`web: host port ${port} is in use on this machine; using \\d+`));
    const [moved] = (await webPorts()) ?? [];
    assert.ok(moved !== undefined && moved !== port, `web published ${moved}`);
    const reply = await new Promise<string>((resolve) =>
      net.connect(port, "127.0.0.1").on("data", (b) => resolve(b.toString())),
    );
    assert.equal(reply, "not deloc\n");
  });

  test("taken between the plan and the start: exit 5 naming the port, what ran before stays; the next up moves it", async () => {
    project.write(KEEPER);
    project.ok("up");
    const before = await snapshot(engine, STACK);
    const port = await freePort();
    project.write(KEEPER + SLOW + web(port, "dependsOn: { slow: healthy }"));
    const up = project.start("up");
    await up.waitFor(/slow: checking/);
    await hold(port);
    assert.equal(await up.exited, 5, up.stderr());
    assert.match(up.stderr(), new RegExp(`web: host port ${port} is taken`));
    assert.match(up.stderr(), /run `deloc up` again/);
    assert.deepEqual(await snapshot(engine, STACK), before);

    project.ok("up");
    const [moved] = (await webPorts()) ?? [];
    assert.ok(moved !== undefined && moved !== port, `web published ${moved}`);
  });
});
