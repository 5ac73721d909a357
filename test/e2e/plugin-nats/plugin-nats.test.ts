/**
 * The example plugin (examples/plugins/deloc-plugin-nats) on the real Docker engine, through the
 * built CLI, installed as a user installs it (`npm install` next to the stack file): its template
 * joins the catalog, `up` deploys NATS, and `verify` runs the plugin's probe, which stores a message
 * in a JetStream stream and reads it back.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../../src/adapters/adapter.js";
import { delocIn } from "../../support/cli.js";
import { dockerAdapter } from "../../support/engine.js";

const STACK = "deloc-e2e-plugin-nats";
const PLUGIN = path.resolve(import.meta.dirname, "../../../examples/plugins/deloc-plugin-nats");

let dir: string;
let engine: Adapter;
const { deloc, ok } = delocIn(() => dir);

describe("the example plugin deloc-plugin-nats (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-e2e-plugin-nats-"));
    fs.copyFileSync(path.join(import.meta.dirname, "deloc.yaml"), path.join(dir, "deloc.yaml"));
    const npm = spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--offline", PLUGIN], {
      cwd: dir,
      encoding: "utf8",
    });
    assert.equal(npm.status, 0, npm.stderr);
    deloc("cleanup", "--yes", "--stack", STACK); // whatever an earlier, interrupted run left
  });
  after(() => {
    deloc("down", "--volumes", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("deloc plugins must list the package, where it was found and what it provides", () => {
    const r = JSON.parse(ok("plugins", "--json")) as {
      plugins: {
        name: string;
        origin: string;
        from: string;
        apiVersion: number;
        templates: string[];
        probes: string[];
      }[];
    };
    const p = r.plugins.find((x) => x.name === "deloc-plugin-nats");
    assert.deepEqual(
      [p?.origin, fs.realpathSync(p?.from ?? ""), p?.apiVersion, p?.templates, p?.probes],
      ["stack", fs.realpathSync(PLUGIN), 1, ["nats"], ["nats"]],
    );
  });

  test("up must deploy the plugin's nats template with the stack file's ports", async () => {
    ok("up");
    const [c] = (await engine.observe(STACK)).containers;
    assert.deepEqual([c?.service, c?.state, c?.image], ["nats", "running", "nats:2.14.5"]);
    const plan = JSON.parse(ok("plan", "--json")) as {
      services: { name: string; template: string; ports: { host: number }[] }[];
    };
    assert.deepEqual(
      plan.services.map((s) => [s.name, s.template, s.ports.map((p) => p.host)]),
      [["nats", "nats", [14322, 18322]]],
    );
  });

  test("verify must pass with the plugin's probe: a message stored in JetStream and read back", () => {
    const r = JSON.parse(ok("verify", "--json")) as {
      ok: boolean;
      probes: { service: string; status: string; what: string; detail: string }[];
    };
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.probes.map((p) => [p.service, p.status, p.what]),
      [["nats", "passed", "store a message in a JetStream stream, read it back, delete the stream"]],
    );
    assert.match(
      r.probes[0]!.detail,
      /^NATS 2\.14\.5: stored message 1 of stream DELOC_VERIFY_\w+ \(file storage\) and read it back$/,
    );
  });

  test("verify must fail, naming the plugin's hint, when NATS runs without JetStream", () => {
    const file = path.join(dir, "deloc.yaml");
    fs.appendFileSync(file, '      command: ["--http_port", "8222"]\n');
    ok("up");
    const r = deloc("verify", "--json");
    assert.equal(r.code, 1, r.err);
    const [p] = (JSON.parse(r.out) as { probes: { status: string; detail: string; hint: string }[] }).probes;
    assert.equal(p?.status, "failed");
    assert.match(p?.detail ?? "", /has no JetStream/);
    assert.match(p?.hint ?? "", /--jetstream/);
  });
});
