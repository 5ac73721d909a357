/**
 * The BuildKit scenario, on the real Docker engine, through the built CLI: a custom service must
 * build as `docker build` builds it — a `RUN --mount=type=cache` step, a multi-stage `target`, a
 * build arg, a `.dockerignore` — and run. The tests run in order on one stack.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../../src/adapters/adapter.js";
import { delocIn } from "../../support/cli.js";
import { dockerAdapter } from "../../support/engine.js";

const STACK = "deloc-e2e-buildkit";
const IMAGE = "deloc-e2e-buildkit/app:dev";
const FIXTURE = import.meta.dirname;

let dir: string;
let engine: Adapter;
const { deloc, ok } = delocIn(() => dir);
const classic = delocIn(() => dir, { DOCKER_BUILDKIT: "0" });

async function app() {
  const c = (await engine.observe(STACK)).containers.find((c) => c.service === "app");
  assert.ok(c, "app is not deployed");
  return c;
}

async function sh(script: string): Promise<string> {
  const r = await engine.exec((await app()).id, ["sh", "-c", script]);
  assert.equal(r.exitCode, 0, `${script}: ${r.output}`);
  return r.output.trim();
}

function timed(...args: string[]): number {
  const t0 = performance.now();
  ok(...args);
  return Math.round(performance.now() - t0);
}

describe("BuildKit builds (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-e2e-buildkit-"));
    for (const f of ["deloc.yaml", "app"])
      fs.cpSync(path.join(FIXTURE, f), path.join(dir, f), { recursive: true });
    deloc("cleanup", "--yes", "--stack", STACK); // whatever an earlier, interrupted run left
  });
  after(() => {
    deloc("cleanup", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("up: a Dockerfile with a cache mount builds at its target, with its build arg and .dockerignore, and runs", async (t) => {
    const ms = timed("up");
    const c = await app();
    assert.equal(c.state, "running");
    assert.equal(c.imageId, await engine.imageId(IMAGE));
    assert.equal(await sh("cat /stage"), "dev", "the target stage, not the last one");
    assert.equal(await sh("cat /greeting"), "bonjour", "the build arg from deloc.yaml");
    assert.equal(await sh("ls -A /app | sort | tr '\\n' ' '"), ".dockerignore Dockerfile keep.txt");
    assert.equal(await sh("test -e /app/secret.env && echo present || echo absent"), "absent");
    // The cache mount was there during the build, and is not in the image.
    assert.match(await sh("cat /cache-runs"), /^\d+$/);
    assert.equal(
      await sh("test -e /var/cache/deloc-e2e-buildkit/runs && echo present || echo absent"),
      "absent",
    );
    t.diagnostic(`up with a BuildKit build: ${ms} ms`);
  });

  test("up --build: the cache mount keeps what the previous build left there", async (t) => {
    const runsBefore = Number(await sh("cat /cache-runs"));
    const file = path.join(dir, "deloc.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("GREETING: bonjour", "GREETING: salut"));
    const ms = timed("up", "--build");
    // The changed arg re-ran the cached step: it found the earlier build's line in the mount.
    assert.equal(Number(await sh("cat /cache-runs")), runsBefore + 1);
    assert.equal(await sh("cat /greeting"), "salut");
    const cached = timed("up", "--build");
    t.diagnostic(`up --build, step re-run: ${ms} ms; every step cached: ${cached} ms`);
  });

  test("with DOCKER_BUILDKIT=0 the build fails before anything changes, naming the feature, its line and why (exit 5)", async () => {
    const before = await app();
    const r = classic.deloc("up", "--build");
    assert.equal(r.code, 5, r.err);
    assert.match(r.err, /app\/Dockerfile:7 RUN --mount/);
    assert.match(r.err, /needs BuildKit, which cannot be used here \(DOCKER_BUILDKIT=0 is set\)/);
    const after = await app();
    assert.deepEqual([after.id, after.startedAt], [before.id, before.startedAt]);
  });
});
