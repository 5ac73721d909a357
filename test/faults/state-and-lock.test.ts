/**
 * Two deloc runs on one stack, and a damaged `.deloc/`, on the real engine. Two `up` at once: one
 * deploys, the other refuses (exit 6, naming the holder) before touching anything. A truncated or
 * corrupt state file, a garbage lock, a cut event log, `.deloc/` deleted: status, up, down and
 * cleanup still work from the engine's labels, and nothing running is recreated.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { dockerAdapter } from "../support/engine.js";
import {
  assertMarker,
  execIn,
  faultProject,
  readJson,
  readyAfter,
  service,
  snapshot,
  writeMarker,
} from "../support/faults.js";

const STACK = "deloc-faults-state";
const project = faultProject(STACK);
const state = (f = "state.json") => path.join(project.dir, ".deloc", f);
let engine: Adapter;

/** keeper holds data and a secret; web is ready `readyIn` seconds after it starts. */
function services(readyIn = 2, version = 1): string {
  return (
    service(
      "keeper",
      `env: { TOKEN: "{{secret.app-token}}", VERSION: "${version}" }\nvolumes: ["keep:/data"]`,
    ) + service("web", `${readyAfter(readyIn)}\ndependsOn: { keeper: started }`)
  );
}

const ids = async () => (await snapshot(engine, STACK)).containers;

function statusServices(): string[] {
  const s = JSON.parse(project.ok("status", "--json")) as {
    services: { service: string; condition: string }[];
  };
  return s.services.map((x) => `${x.service} ${x.condition}`);
}

describe("two runs at once, and a damaged .deloc/ (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(services());
  });
  after(() => {
    project.dispose();
  });

  test("two up at once: one deploys, the other refuses with exit 6 naming it; nothing interleaves", async () => {
    const [a, b] = [project.start("up"), project.start("up")];
    const codes = [await a.exited, await b.exited];
    assert.deepEqual([...codes].sort(), [0, 6], `${a.stderr()}\n---\n${b.stderr()}`);
    const loser = codes[0] === 6 ? a : b;
    const winner = codes[0] === 6 ? b : a;
    assert.match(loser.stderr(), new RegExp(`Another deloc \\(pid ${winner.pid}, \`up\``));
    assert.doesNotMatch(loser.stderr(), /Deploying/, "the loser changed nothing");
    assert.deepEqual(
      (await ids()).map((c) => `${c.split(" ")[0]} ${c.split(" ")[2]}`),
      [`${STACK}-keeper-1 running`, `${STACK}-web-1 running`],
    );
    // One deploy's story, in order: the stack went stopped -> deploying -> running once.
    const stackEvents = fs
      .readFileSync(state("events.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { service?: string; from: string; to: string })
      .filter((e) => e.service === undefined)
      .map((e) => `${e.from}->${e.to}`);
    assert.deepEqual(stackEvents, ["stopped->deploying", "deploying->running"]);
    await writeMarker(engine, STACK);
  });

  test("status while an up runs works (it takes no lock); a down meanwhile is refused", async () => {
    project.write(services(3));
    const up = project.start("up");
    await up.waitFor(/web: checking/);
    assert.equal(statusServices().length, 2);
    const down = project.deloc("down");
    assert.equal(down.code, 6, down.err);
    assert.equal(await up.exited, 0, up.stderr());
  });

  for (const [what, damage] of [
    ["truncated", (t: string) => t.slice(0, Math.floor(t.length / 2))],
    ["corrupt", () => "\u0000\u00ff{{{ not json"],
    ["empty", () => ""],
  ] as const)
    test(`state.json ${what}: status reports from the labels, up recreates nothing and writes it anew`, async () => {
      const before = await ids();
      fs.writeFileSync(state(), damage(fs.readFileSync(state(), "utf8")));
      assert.deepEqual(statusServices(), ["keeper running", "web running"]);
      const up = project.ok("up", "--json");
      assert.deepEqual((JSON.parse(up) as { changed: string[] }).changed, []);
      assert.deepEqual(await ids(), before);
      assert.equal(readJson<{ state: string }>(state()).state, "running");
    });

  test("a lock file of garbage is stale: taken over", async () => {
    fs.writeFileSync(state("lock"), "garbage, not a lock");
    project.ok("up");
    assert.ok(!fs.existsSync(state("lock")));
  });

  test("an event log cut mid-line still reads; new events are appended after it", () => {
    fs.appendFileSync(state("events.ndjson"), '{"time":"2026-11-23T00:00:00Z","stack":"x","fr');
    const before = (JSON.parse(project.ok("events", "--json")) as unknown[]).length;
    project.ok("restart", "keeper");
    const after = JSON.parse(project.ok("events", "--json")) as { reason: string }[];
    assert.ok(
      after.slice(before).some((e) => e.reason === "restarted keeper"),
      "the restart's events are read back, not glued to the cut line",
    );
  });

  test(".deloc/ deleted, then a change recreates a service: its secret is read back from the engine, not made anew", async () => {
    const token = (await execIn(engine, STACK, "keeper", ["printenv", "TOKEN"])).output;
    assert.ok(token.length > 16);
    fs.rmSync(path.join(project.dir, ".deloc"), { recursive: true });
    project.write(services(3, 2));
    const up = project.deloc("up", "--json");
    assert.equal(up.code, 0, up.err);
    assert.ok(
      (JSON.parse(up.out) as { changed: string[] }).changed.includes("keeper"),
      "keeper was recreated",
    );
    assert.match(up.err, /\.deloc\/secrets\.env lacked app-token; recovered from the stack's containers/);
    assert.equal((await execIn(engine, STACK, "keeper", ["printenv", "TOKEN"])).output, token);
    assert.match(
      fs.readFileSync(state("secrets.env"), "utf8"),
      new RegExp(`^app-token=${token.trim()}$`, "m"),
    );
    project.write(services());
    project.ok("up");
  });

  test(".deloc/ deleted: status, up, down and cleanup work from the engine's labels; the volume's data is kept", async () => {
    const before = await ids();
    fs.rmSync(path.join(project.dir, ".deloc"), { recursive: true });
    assert.deepEqual(statusServices(), ["keeper running", "web running"]);
    assert.deepEqual((JSON.parse(project.ok("up", "--json")) as { changed: string[] }).changed, []);
    assert.deepEqual(await ids(), before);

    fs.rmSync(path.join(project.dir, ".deloc"), { recursive: true });
    project.ok("down");
    const down = await snapshot(engine, STACK);
    assert.deepEqual([down.containers, down.volumes], [[], [`${STACK}_keep`]]);
    project.ok("up");
    await assertMarker(engine, STACK);

    fs.rmSync(path.join(project.dir, ".deloc"), { recursive: true });
    fs.rmSync(path.join(project.dir, "deloc.yaml"));
    // No stack file and no .deloc/: the stack is found by name on the engine.
    const byName = JSON.parse(project.ok("status", "--stack", STACK, "--json")) as { services: unknown[] };
    assert.equal(byName.services.length, 2);
    project.ok("cleanup", "--yes", "--stack", STACK);
    const gone = await snapshot(engine, STACK);
    assert.deepEqual([gone.containers, gone.volumes, gone.networks], [[], [], []]);
  });
});
