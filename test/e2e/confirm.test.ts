/**
 * Nothing destroyed by accident, on the real engine through the built CLI: `down --volumes`,
 * `cleanup` and `restore` ask on a terminal (a real pseudo-terminal here), listing the volumes
 * with their sizes and offering `deloc backup`; "n" changes nothing, "y" goes ahead; `--yes`
 * skips the question; without a terminal and without `--yes` they refuse with exit 2.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { faultProject, service } from "../support/faults.js";
import { delocInPty } from "../support/pty.js";

const STACK = "deloc-e2e-confirm";
const VOLUME = `${STACK}_app-data`;
const project = faultProject(STACK);
const yes = { when: /\[y\/N\] /, send: "y\r" };
const no = { when: /\[y\/N\] /, send: "n\r" };

/** A service that keeps 2 MiB in its named volume. */
const APP = service(
  "app",
  `command: ["sh", "-c", "head -c 2097152 /dev/zero > /data/blob; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
volumes: ["app-data:/data"]`,
);

/** The stack's volumes, as the engine lists them. */
function volumes(): string[] {
  const r = spawnSync("docker", ["volume", "ls", "-q", "--filter", `label=dev.deloc.stack=${STACK}`], {
    encoding: "utf8",
  });
  return r.stdout.split("\n").filter(Boolean);
}

describe("confirmations before data is destroyed (real engine, real terminal)", () => {
  before(() => {
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(APP);
    project.ok("up");
  });
  after(() => project.dispose());

  test("without a terminal and without --yes, down --volumes refuses with exit 2, saying how to proceed", () => {
    const r = project.deloc("down", "--volumes");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`would delete 1 volume of stack ${STACK} \\(${VOLUME} `));
    assert.match(r.err, /deloc down --volumes --yes/);
    assert.match(r.err, /deloc backup app/);
    assert.deepEqual(volumes(), [VOLUME]);
    assert.equal(project.deloc("cleanup").code, 2);
    assert.equal(project.deloc("cleanup", "--stack", STACK).code, 2);
  });

  test("on a terminal, down --volumes lists the volume with its size and offers a backup; no keeps everything", async () => {
    const r = await delocInPty(project.dir, ["down", "--volumes"], [no]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, new RegExp(`will delete 1 volume of stack ${STACK}`));
    assert.match(r.output, new RegExp(`${VOLUME}\\s+2(\\.\\d)? MiB\\s+\\(app\\)`));
    assert.match(r.output, /Keep a copy first with `deloc backup app`/);
    assert.match(r.output, /Nothing was changed/);
    assert.deepEqual(volumes(), [VOLUME]);
    const status = JSON.parse(project.ok("status", "--json")) as { state: string };
    assert.equal(status.state, "running", "the stack still runs");
  });

  test("restore asks before overwriting the service's data: refused without a terminal, done after yes", async () => {
    project.ok("backup", "app", "-o", "app.tar.gz");
    const refused = project.deloc("restore", "app", "app.tar.gz");
    assert.equal(refused.code, 2, refused.err);
    assert.match(refused.err, /would overwrite 1 volume of app with the backup app\.tar\.gz/);
    const declined = await delocInPty(project.dir, ["restore", "app", "app.tar.gz"], [no]);
    assert.equal(declined.code, 1, declined.output);
    assert.doesNotMatch(declined.output, /Restored/);
    const done = await delocInPty(project.dir, ["restore", "app", "app.tar.gz"], [yes]);
    assert.equal(done.code, 0, done.output);
    assert.match(done.output, /Restored app from/);
  });

  test("yes on the terminal deletes the volumes; cleanup with nothing left to lose asks nothing", async () => {
    const r = await delocInPty(project.dir, ["down", "--volumes"], [yes]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Removed 1 containers, 1 volumes/);
    assert.deepEqual(volumes(), []);
    assert.equal(project.deloc("cleanup").code, 0, "no volume: no question");
  });

  test("--yes skips the question", () => {
    project.ok("up");
    project.ok("cleanup", "--yes");
    assert.deepEqual(volumes(), []);
  });
});
