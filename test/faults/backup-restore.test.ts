/**
 * Backups and restores that cannot complete, on the real engine: the disk fills while the archive
 * is written (a 1 MiB tmpfs, as the output folder and as TMPDIR), and restores from archives that
 * are truncated, bit-flipped, or of another service. Each time: exit 8 with the cause, no file
 * half-written left behind, the service running again and its data as it was.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { delocIn } from "../support/cli.js";
import { dockerAdapter } from "../support/engine.js";
import { execIn, faultProject, service } from "../support/faults.js";

const STACK = "deloc-faults-backup";
const project = faultProject(STACK);
let engine: Adapter;
let tiny = "";

const SERVICES = service("keeper", 'volumes: ["keep:/data"]') + service("other", 'volumes: ["other:/data"]');

const checksum = async () => (await execIn(engine, STACK, "keeper", ["sha256sum", "/data/blob"])).output;
const keeperRunning = async () =>
  (await engine.observe(STACK)).containers.find((c) => c.service === "keeper")?.state === "running";

/** A 1 MiB tmpfs: a disk that fills. Needs root (mount), which CI has. */
function mountTiny(): string | null {
  const dir = fs.mkdtempSync(path.join(project.dir, "tiny-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "utf8" });
  return r.status === 0 ? dir : null;
}

describe("backup and restore faults (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(SERVICES);
    project.ok("up");
    // 4 MiB that gzip cannot shrink: the archive cannot fit in 1 MiB.
    await execIn(engine, STACK, "keeper", ["sh", "-c", "head -c 4194304 /dev/urandom > /data/blob"]);
    tiny = mountTiny() ?? "";
  });
  after(() => {
    if (tiny) spawnSync("umount", [tiny]);
    project.dispose();
  });

  test("the output disk fills while the backup is written: exit 8, nothing left there, keeper running, data intact", async (t) => {
    if (!tiny) return t.skip("cannot mount a tmpfs here (needs root)");
    const before = await checksum();
    const r = project.deloc("backup", "keeper", "-o", path.join(tiny, "keeper.tar.gz"));
    assert.equal(r.code, 8, r.err);
    assert.match(r.err, /Could not write .*keeper\.tar\.gz: .*ENOSPC|no space left/i);
    assert.match(r.err, /nothing was kept/);
    assert.deepEqual(fs.readdirSync(tiny), []);
    assert.ok(await keeperRunning());
    assert.equal(await checksum(), before);
  });

  test("TMPDIR fills while the volume is copied: exit 8, nothing left, keeper running, data intact", async (t) => {
    if (!tiny) return t.skip("cannot mount a tmpfs here (needs root)");
    const before = await checksum();
    const r = project.deloc("backup", "keeper", "-o", "keeper.tar.gz");
    assert.equal(r.code, 0, r.err); // with room, it works
    const { deloc } = delocIn(() => project.dir, { TMPDIR: tiny });
    const full = deloc("backup", "keeper", "-o", "keeper-2.tar.gz");
    assert.equal(full.code, 8, full.err);
    assert.match(full.err, /ENOSPC|no space left/i);
    assert.doesNotMatch(full.err, /this should not happen/);
    assert.deepEqual(fs.readdirSync(tiny), []);
    assert.ok(!fs.existsSync(path.join(project.dir, "keeper-2.tar.gz")));
    assert.ok(!fs.existsSync(path.join(project.dir, "keeper-2.tar.gz.partial")));
    assert.ok(await keeperRunning());
    assert.equal(await checksum(), before);
  });

  for (const [what, damage] of [
    ["truncated to half", (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    [
      "with a byte flipped in the middle",
      (b: Buffer) => {
        const c = Buffer.from(b);
        const i = Math.floor(c.length / 2);
        c[i] = (c[i] ?? 0) ^ 0xff;
        return c;
      },
    ],
    ["cut to its gzip header", (b: Buffer) => b.subarray(0, 10)],
  ] as const)
    test(`a restore from an archive ${what}: exit 8, nothing restored, keeper running, data intact`, async () => {
      const good = fs.readFileSync(path.join(project.dir, "keeper.tar.gz"));
      fs.writeFileSync(path.join(project.dir, "bad.tar.gz"), damage(good));
      await execIn(engine, STACK, "keeper", ["sh", "-c", "echo after-backup > /data/newer"]);
      const before = await checksum();
      const r = project.deloc("restore", "--yes", "keeper", "bad.tar.gz");
      assert.equal(r.code, 8, r.err);
      assert.match(r.err, /is not a readable deloc backup|lacks|has no manifest/);
      assert.match(r.err, /Nothing was restored/);
      assert.ok(await keeperRunning());
      assert.equal(await checksum(), before);
      assert.equal((await execIn(engine, STACK, "keeper", ["cat", "/data/newer"])).output, "after-backup\n");
    });

  test("a backup of another service is refused before anything is touched", async () => {
    const r = project.deloc("restore", "--yes", "other", "keeper.tar.gz");
    assert.equal(r.code, 8, r.err);
    assert.match(r.err, /is a backup of keeper .* not of other/);
    // keeper's volume, which the archive holds, is not written either.
    assert.equal((await execIn(engine, STACK, "keeper", ["cat", "/data/newer"])).output, "after-backup\n");
    assert.deepEqual((await execIn(engine, STACK, "other", ["ls", "/data"])).output, "");
  });

  test("the good archive still restores: the fault cases changed nothing of it", async () => {
    project.ok("restore", "--yes", "keeper", "keeper.tar.gz");
    assert.notEqual((await execIn(engine, STACK, "keeper", ["test", "-e", "/data/newer"])).exitCode, 0);
  });
});
