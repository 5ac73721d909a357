import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { computeBudget, detectHost } from "./index.js";

const GIB = 1024 ** 3;

/** A fake root with the given files. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-host-"));
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  return root;
}

const meminfo = (gib: number) => `MemTotal:       ${gib * 1024 * 1024} kB\nMemFree:        1000 kB\n`;
const statfs = () => ({ bsize: 4096, blocks: 1000, bavail: 250 });
const detect = (root: string, cpus = 8) =>
  detectHost({ root, cpuCount: () => cpus, statfs, dataDir: "/data" });

describe("detectHost", () => {
  it("reads cgroup v2 limits of the process's own cgroup", () => {
    const facts = detect(
      tree({
        "proc/meminfo": meminfo(32),
        "proc/self/cgroup": "0::/user.slice/deloc\n",
        "sys/fs/cgroup/user.slice/deloc/memory.max": String(6 * GIB),
        "sys/fs/cgroup/user.slice/deloc/cpu.max": "200000 100000",
      }),
    );
    assert.deepEqual(facts.memoryBytes, {
      value: 6 * GIB,
      source: "cgroup v2",
      detail: "/sys/fs/cgroup/user.slice/deloc/memory.max",
    });
    assert.deepEqual(facts.cpus, {
      value: 2,
      source: "cgroup v2",
      detail: "/sys/fs/cgroup/user.slice/deloc/cpu.max",
    });
    assert.equal(facts.physicalMemoryBytes, 32 * GIB);
    assert.deepEqual(facts.disk, {
      path: "/data",
      totalBytes: 4096 * 1000,
      freeBytes: 4096 * 250,
      source: "statfs",
    });
  });

  it("takes the tightest limit on the way up the cgroup tree, ignoring 'max'", () => {
    const facts = detect(
      tree({
        "proc/meminfo": meminfo(32),
        "proc/self/cgroup": "0::/a/b\n",
        "sys/fs/cgroup/a/b/memory.max": "max",
        "sys/fs/cgroup/a/memory.max": String(4 * GIB),
        "sys/fs/cgroup/a/b/cpu.max": "max 100000",
      }),
    );
    assert.equal(facts.memoryBytes.value, 4 * GIB);
    assert.equal(facts.cpus.source, "cpu count");
  });

  it("reads cgroup v1 limits, treating the huge 'unlimited' value as no limit", () => {
    const limited = detect(
      tree({
        "proc/meminfo": meminfo(16),
        "proc/self/cgroup": "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/\n",
        "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": String(3 * GIB),
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "150000",
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
      }),
    );
    assert.equal(limited.memoryBytes.value, 3 * GIB);
    assert.equal(limited.memoryBytes.source, "cgroup v1");
    assert.equal(limited.cpus.value, 1.5);
    const unlimited = detect(
      tree({
        "proc/meminfo": meminfo(16),
        "proc/self/cgroup": "4:memory:/\n",
        "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
      }),
    );
    assert.deepEqual(unlimited.memoryBytes, {
      value: 16 * GIB,
      source: "/proc/meminfo",
      detail: "/proc/meminfo MemTotal",
    });
  });

  it("falls back to /proc/meminfo and the CPU count without cgroups", () => {
    const facts = detect(tree({ "proc/meminfo": meminfo(8) }), 4);
    assert.equal(facts.memoryBytes.value, 8 * GIB);
    assert.deepEqual(facts.cpus, { value: 4, source: "cpu count", detail: "os.availableParallelism()" });
  });

  it("leaves disk unknown when statfs fails", () => {
    const facts = detectHost({
      root: tree({ "proc/meminfo": meminfo(8) }),
      cpuCount: () => 1,
      dataDir: "/nope",
      statfs: () => {
        throw new Error("ENOENT");
      },
    });
    assert.equal(facts.disk, undefined);
  });
});

describe("computeBudget", () => {
  const facts = detect(tree({ "proc/meminfo": meminfo(10) }), 4);

  it("keeps a 20% OS reserve and a 10% margin of the rest", () => {
    const b = computeBudget(facts);
    assert.equal(b.hostMemoryBytes, 10 * GIB);
    assert.equal(b.reserveBytes, 2 * GIB);
    assert.equal(b.marginBytes, Math.floor(0.8 * GIB));
    assert.equal(b.memoryBytes, 10 * GIB - 2 * GIB - Math.floor(0.8 * GIB));
    assert.equal(b.cpus, 4);
  });

  it("plans for the capacity given by --memory and --cpus instead of the machine's", () => {
    const b = computeBudget(facts, {
      memory: { bytes: 6 * GIB, source: "--memory" },
      cpus: { count: 2, source: "--cpus" },
    });
    assert.equal(b.hostMemoryBytes, 6 * GIB);
    assert.equal(b.memorySource, "--memory");
    assert.equal(b.cpus, 2);
  });
});
