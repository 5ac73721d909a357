/**
 * Host facts: memory and CPUs from the process's cgroup (v2, then v1), else /proc/meminfo and the
 * CPU count; disk by statfs of the data folder. Every figure says where it came from. File access
 * goes through `root` so tests run on fixture trees.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ResourceSource } from "../core/index.js";

export interface Figure<T> {
  value: T;
  source: ResourceSource;
  /** The file or call the figure was read from. */
  detail: string;
}

export interface HostFacts {
  memoryBytes: Figure<number>;
  /** Physical memory when a cgroup limit is lower; what the machine has. */
  physicalMemoryBytes: number;
  cpus: Figure<number>;
  disk?: { path: string; totalBytes: number; freeBytes: number; source: "statfs" };
}

export interface DetectOptions {
  /** Root of the file system to read `/proc` and `/sys/fs/cgroup` from. @default "/" */
  root?: string;
  /** Folder whose file system is measured for disk. @default the current directory */
  dataDir?: string;
  cpuCount?: () => number;
  statfs?: (p: string) => { bsize: number; blocks: number; bavail: number };
}

// cgroup v1 writes a page-rounded LONG_MAX when there is no limit.
const NO_LIMIT = 2 ** 60;

export function detectHost(opts: DetectOptions = {}): HostFacts {
  const root = opts.root ?? "/";
  const read = (p: string): string | undefined => {
    try {
      return fs.readFileSync(path.join(root, p), "utf8").trim();
    } catch {
      return undefined;
    }
  };
  const cpuCount = (opts.cpuCount ?? (() => os.availableParallelism()))();
  const meminfo = read("/proc/meminfo");
  const memTotalKb = meminfo ? Number(/^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo)?.[1]) : Number.NaN;
  const physical: Figure<number> = Number.isFinite(memTotalKb)
    ? { value: memTotalKb * 1024, source: "/proc/meminfo", detail: "/proc/meminfo MemTotal" }
    : { value: os.totalmem(), source: "/proc/meminfo", detail: "os.totalmem()" };

  const cgroups = parseProcCgroup(read("/proc/self/cgroup") ?? "");
  const limits = cgroups.v2 !== undefined ? cgroupV2(read, cgroups.v2) : cgroupV1(read, cgroups.v1);

  const memoryBytes = limits.memory && limits.memory.value < physical.value ? limits.memory : physical;
  const cpus: Figure<number> =
    limits.cpus && limits.cpus.value < cpuCount
      ? limits.cpus
      : { value: cpuCount, source: "cpu count", detail: "os.availableParallelism()" };

  const facts: HostFacts = { memoryBytes, physicalMemoryBytes: physical.value, cpus };
  const dataDir = opts.dataDir ?? process.cwd();
  try {
    const s = (opts.statfs ?? ((p) => fs.statfsSync(p)))(dataDir);
    facts.disk = {
      path: dataDir,
      totalBytes: s.blocks * s.bsize,
      freeBytes: s.bavail * s.bsize,
      source: "statfs",
    };
  } catch {
    // No disk figure is better than a wrong one; `deloc resources` says it is unknown.
  }
  return facts;
}

function parseProcCgroup(text: string): { v2?: string; v1: Record<string, string> } {
  const v1: Record<string, string> = {};
  let v2: string | undefined;
  for (const line of text.split("\n")) {
    const [id, controllers, p] = line.split(":");
    if (p === undefined) continue;
    if (id === "0" && controllers === "") v2 = p;
    else for (const c of (controllers ?? "").split(",")) v1[c] = p;
  }
  // Hybrid hosts list both; where v1 has the memory controller, v1 holds the limits.
  return v1.memory !== undefined || v2 === undefined ? { v1 } : { v2, v1 };
}

type Read = (p: string) => string | undefined;
interface Limits {
  memory?: Figure<number>;
  cpus?: Figure<number>;
}

/** The tightest limit on the way from the process's cgroup up to the root. */
function cgroupV2(read: Read, own: string): Limits {
  const limits: Limits = {};
  for (const dir of ancestors(own)) {
    const base = path.posix.join("/sys/fs/cgroup", dir);
    const mem = read(`${base}/memory.max`);
    if (mem && mem !== "max") {
      const v = Number(mem);
      if (Number.isFinite(v) && (!limits.memory || v < limits.memory.value))
        limits.memory = { value: v, source: "cgroup v2", detail: `${base}/memory.max` };
    }
    const cpu = read(`${base}/cpu.max`);
    if (cpu) {
      const [quota, period] = cpu.split(/\s+/);
      if (quota && quota !== "max" && Number(period) > 0) {
        const v = Number(quota) / Number(period);
        if (!limits.cpus || v < limits.cpus.value)
          limits.cpus = { value: v, source: "cgroup v2", detail: `${base}/cpu.max` };
      }
    }
  }
  return limits;
}

function cgroupV1(read: Read, paths: Record<string, string>): Limits {
  const limits: Limits = {};
  const memPath = paths.memory ?? "/";
  for (const dir of ancestors(memPath)) {
    const file = path.posix.join("/sys/fs/cgroup/memory", dir, "memory.limit_in_bytes");
    const v = Number(read(file));
    if (Number.isFinite(v) && v > 0 && v < NO_LIMIT && (!limits.memory || v < limits.memory.value))
      limits.memory = { value: v, source: "cgroup v1", detail: file };
  }
  const cpuPath = paths.cpu ?? paths["cpu,cpuacct"] ?? "/";
  for (const mount of ["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"]) {
    for (const dir of ancestors(cpuPath)) {
      const base = path.posix.join(mount, dir);
      const quota = Number(read(`${base}/cpu.cfs_quota_us`));
      const period = Number(read(`${base}/cpu.cfs_period_us`));
      if (quota > 0 && period > 0) {
        const v = quota / period;
        if (!limits.cpus || v < limits.cpus.value)
          limits.cpus = { value: v, source: "cgroup v1", detail: `${base}/cpu.cfs_quota_us` };
      }
    }
    if (limits.cpus) break;
  }
  return limits;
}

/** `/a/b` → [`/a/b`, `/a`, `/`]. */
function ancestors(p: string): string[] {
  const out: string[] = [];
  let cur = path.posix.normalize(p || "/");
  for (;;) {
    out.push(cur);
    if (cur === "/") return out;
    cur = path.posix.dirname(cur);
  }
}
