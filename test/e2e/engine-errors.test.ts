/**
 * What a user sees when a deploy cannot even start, through the built CLI: each error has its exit
 * code and leaves the engine untouched.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { dockerAdapter } from "../support/engine.js";

const CLI = path.resolve(import.meta.dirname, "../../dist/deloc.js");
const STACK = "deloc-e2e-errors";

function project(services: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-errors-"));
  fs.writeFileSync(
    path.join(dir, "deloc.yaml"),
    `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${STACK} }\nspec:\n  services:\n${services}`,
  );
  return dir;
}

function deloc(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, CI: "1", ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const box = '    box: { image: "deloc/debian:trixie", command: ["sleep", "infinity"] }\n';

test("no engine: exit 4, naming what was tried and why each was skipped", () => {
  const r = deloc(project(box), ["up"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
  assert.equal(r.code, 4, r.err);
  assert.match(r.err, /DOCKER_HOST \(unix:\/\/\/nonexistent\/docker.sock\): no socket there/);
  assert.match(r.err, /rootful socket.*DOCKER_HOST is set/);
});

test("an image that is missing and cannot be pulled: exit 5, every one named, nothing created", async () => {
  const dir = project(
    `${box}    a: { image: "deloc-test/absent:1" }\n    b: { image: "deloc-test/missing:2" }\n`,
  );
  const r = deloc(dir, ["up", "--json"]);
  assert.equal(r.code, 5, r.err);
  const error = JSON.parse(r.out).error as { code: string; missing: { image: string }[] };
  assert.equal(error.code, "E_IMAGE_UNAVAILABLE");
  assert.deepEqual(error.missing.map((m) => m.image).sort(), ["deloc-test/absent:1", "deloc-test/missing:2"]);
  const o = await (await dockerAdapter()).observe(STACK);
  assert.deepEqual([o.containers, o.volumes, o.networks], [[], [], []]);
});

test("--dry-run lists the operations and changes nothing", async () => {
  const r = deloc(project(box), ["up", "--dry-run", "--json"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out).operations, [`create network ${STACK}_default`, "start box#1 (new)"]);
  assert.deepEqual((await (await dockerAdapter()).observe(STACK)).containers, []);
});

test("a second deloc on a stack another one is changing: exit 6, naming the holder", () => {
  const dir = project(box);
  const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
  try {
    fs.mkdirSync(path.join(dir, ".deloc"));
    fs.writeFileSync(
      path.join(dir, ".deloc", "lock"),
      JSON.stringify({ pid: holder.pid, command: "up", since: "2026-01-01T00:00:00Z" }),
    );
    const r = deloc(dir, ["down"]);
    assert.equal(r.code, 6, r.err);
    assert.match(r.err, new RegExp(`pid ${holder.pid}, \`up\``));
  } finally {
    holder.kill();
  }
});
