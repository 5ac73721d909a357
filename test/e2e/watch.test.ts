/**
 * `deloc watch` on the real engine through the built CLI: a change in a service's build context
 * rebuilds its image and recreates it alone, health-gated; a dependent with `restart: true` is
 * restarted, one without is left alone; a file `.dockerignore` names changes nothing; a `sync` rule
 * copies files into the running container (and removes deleted ones) without recreating it; a
 * line per change with its time; Ctrl-C stops watching and leaves the stack running.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import type { ObservedContainer } from "../../src/core/index.js";
import { dockerAdapter } from "../support/engine.js";
import { faultProject, IDLE, type Running, service } from "../support/faults.js";

const STACK = "deloc-e2e-watch";
const project = faultProject(STACK);
let engine: Adapter;
let watching: Running;

const SERVICES = `    app:
      build: ./app
      command: ["sh", "-c", "grep -q broken /version && exit 1; touch /tmp/ready; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
      healthCheck: { command: ["test", "-f", "/tmp/ready"], interval: 1s, startInterval: 100ms }
      resources: { memory: 32Mi, cpu: 100m }
    self:
      build: .
      command: ${IDLE}
      resources: { memory: 32Mi, cpu: 100m }
${service("client", "dependsOn: { app: { condition: healthy, restart: true } }")}${service("other", "dependsOn: { app: healthy }")}${service("web", "watch: [{ path: ./web/static, action: sync, target: /srv/static }]")}`;

function write(file: string, text: string): void {
  const p = path.join(project.dir, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

async function container(name: string): Promise<ObservedContainer> {
  const c = (await engine.observe(STACK)).containers.find((x) => x.service === name);
  assert.ok(c, `${name} has a container`);
  return c;
}

/** How many times stderr says `re` so far. */
function count(re: RegExp): number {
  return watching.stderr().match(new RegExp(re.source, "g"))?.length ?? 0;
}

describe("deloc watch (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
    write("app/Dockerfile", `FROM deloc/debian:trixie\nCOPY version /version\nCMD ${IDLE}\n`);
    write("app/.dockerignore", "*.log\n");
    write("app/version", "v1\n");
    write("web/static/index.html", "hello v1\n");
    // A service built from the stack's own folder: DELoc's state (.deloc/) is in its context.
    write("Dockerfile", "FROM deloc/debian:trixie\n");
    write(".dockerignore", "app\nweb\n");
    project.write(SERVICES);
    project.ok("up");
    watching = project.start("watch");
    await watching.waitFor(/ready; waiting for changes/);
  });
  after(() => {
    watching?.kill("SIGKILL");
    project.dispose();
  });

  test("a change in the build context rebuilds and recreates that service; restart: true dependents restart", async () => {
    const [app, client, other, web] = await Promise.all(["app", "client", "other", "web"].map(container));
    write("app/version", "v2\n");
    await watching.waitFor(/\[\d\d:\d\d:\d\d\] app: app\/version changed; rebuilding/, 30_000);
    await watching.waitFor(/app: rebuilt and recreated; healthy after [\d.]+ s/, 180_000);
    await watching.waitFor(/client: restarted after app \(dependsOn restart: true\)/, 60_000);
    assert.equal(project.ok("exec", "app", "--", "cat", "/version"), "v2\n");
    const now = await Promise.all(["app", "client", "other", "web"].map(container));
    assert.notEqual(now[0]!.id, app!.id, "app recreated");
    assert.equal(now[1]!.id, client!.id, "client restarted, not recreated");
    assert.notEqual(now[1]!.startedAt, client!.startedAt, "client restarted");
    assert.deepEqual([now[2]!.id, now[2]!.startedAt], [other!.id, other!.startedAt], "other left alone");
    assert.deepEqual([now[3]!.id, now[3]!.startedAt], [web!.id, web!.startedAt], "web left alone");
  });

  test("a version that does not become ready is rolled back: the previous one keeps running", async () => {
    const app = await container("app");
    write("app/version", "broken\n");
    await watching.waitFor(/app: .*the previous version keeps running\. Fix it and save again\./, 180_000);
    assert.equal(project.ok("exec", "app", "--", "cat", "/version"), "v2\n");
    assert.equal((await container("app")).id, app.id, "the previous container is back");
  });

  test("a file .dockerignore names changes nothing", async () => {
    const before = count(/app: .*rebuilding/);
    write("app/debug.log", "noise\n");
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(count(/app: .*rebuilding/), before, watching.stderr());
  });

  test("a sync rule copies changed files into the running container and removes deleted ones", async () => {
    const web = await container("web");
    write("web/static/index.html", "hello v2\n");
    write("web/static/new/page.html", "page\n");
    await watching.waitFor(/web: synced to \/srv\/static \(2 files copied\)/, 30_000);
    assert.equal(project.ok("exec", "web", "--", "cat", "/srv/static/index.html"), "hello v2\n");
    assert.equal(project.ok("exec", "web", "--", "cat", "/srv/static/new/page.html"), "page\n");
    fs.rmSync(path.join(project.dir, "web/static/new/page.html"));
    await watching.waitFor(/web: synced to \/srv\/static \(1 removed\)/, 30_000);
    assert.equal(project.deloc("exec", "web", "--", "test", "-e", "/srv/static/new/page.html").code, 1);
    assert.equal((await container("web")).id, web.id, "synced, not recreated");
  });

  test("Ctrl-C stops watching and leaves the stack running", async (t) => {
    watching.kill("SIGINT");
    assert.equal(await watching.exited, 0, watching.stderr());
    t.diagnostic(`what deloc watch printed:\n${watching.stderr()}`);
    assert.match(watching.stderr(), /Stopped watching\. deloc-e2e-watch keeps running/);
    const states = (await engine.observe(STACK)).containers.map((c) => `${c.service} ${c.state}`);
    assert.deepEqual(states, [
      "app running",
      "client running",
      "other running",
      "self running",
      "web running",
    ]);
    // What watch itself writes to .deloc/ (the event log, the state) is no change of the context ".".
    assert.equal(count(/self: .*rebuilding/), 0, watching.stderr());
  });
});
