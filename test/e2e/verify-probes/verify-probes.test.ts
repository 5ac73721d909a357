/**
 * The verify-probes scenario, on the real Docker engine, through the built CLI: a service built
 * from a Dockerfile proves itself with its declared HTTP probe, another with a declared command
 * run inside its container, and a service with no probe is reported "not verified" — which fails
 * `deloc verify` unless `--allow-unverified` accepts it. The tests run in order on one stack.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../../src/adapters/adapter.js";
import { delocIn } from "../../support/cli.js";
import { dockerAdapter } from "../../support/engine.js";

const STACK = "deloc-e2e-verify";
const FIXTURE = import.meta.dirname;

interface Report {
  ok: boolean;
  allowUnverified: boolean;
  probes: { service: string; status: string; ok: boolean; what: string | null; detail: string }[];
}

let dir: string;
let engine: Adapter;
const { deloc, ok } = delocIn(() => dir);

const statuses = (r: Report) => r.probes.map((p) => `${p.service}:${p.status}`);

describe("verify with declared probes (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-e2e-verify-"));
    for (const f of ["deloc.yaml", "web"])
      fs.cpSync(path.join(FIXTURE, f), path.join(dir, f), { recursive: true });
    deloc("cleanup", "--yes", "--stack", STACK); // whatever an earlier, interrupted run left
  });
  after(() => {
    deloc("cleanup", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("up: the built service and the two others run", async () => {
    ok("up");
    const running = (await engine.observe(STACK)).containers.map((c) => `${c.service}:${c.state}`);
    assert.deepEqual(running.sort(), ["checked:running", "idle:running", "web:running"]);
  });

  test("verify must pass the declared probes, report the service without one as not verified, and exit 1", () => {
    const r = deloc("verify", "--json");
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out) as Report;
    assert.equal(report.ok, false);
    assert.deepEqual(statuses(report), ["checked:passed", "idle:not-verified", "web:passed"]);
    const by = Object.fromEntries(report.probes.map((p) => [p.service, p]));
    assert.match(by.web!.detail, /^GET http:\/\/127\.0\.0\.1:18181\/healthz answered 200$/);
    assert.equal(by.checked!.detail, "`test -f /tmp/ready` exited 0");
    assert.deepEqual([by.idle!.ok, by.idle!.what], [false, null]);
  });

  test("verify --allow-unverified must exit 0 and still report the service as not verified", () => {
    const report = JSON.parse(ok("verify", "--allow-unverified", "--json")) as Report;
    assert.deepEqual([report.ok, report.allowUnverified], [true, true]);
    assert.deepEqual(statuses(report), ["checked:passed", "idle:not-verified", "web:passed"]);
    // The table says so too, on its own row.
    const r = deloc("verify", "--allow-unverified");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^idle\s+not verified\s/m);
    assert.match(r.err, /accepted with --allow-unverified: idle/);
  });

  test("a declared HTTP probe must fail when the answer is not the expected status", () => {
    const file = path.join(dir, "deloc.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("path: /healthz", "path: /missing"));
    const r = deloc("verify", "web", "--json");
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out) as Report;
    assert.deepEqual(statuses(report), ["web:failed"]);
    assert.match(report.probes[0]!.detail, /answered 404, expected 200: no such page/);
  });
});
