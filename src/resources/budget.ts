import { type Budget, type ClusterCapacity, formatBytes, type MemoryCommitment } from "../core/index.js";
import type { HostFacts } from "./detect.js";

/** Share of the host memory kept for the OS, the desktop and the engine itself. */
export const OS_RESERVE_RATIO = 0.2;
/** Share of what is left kept back, so services never fill memory to the last byte. */
export const SAFETY_MARGIN_RATIO = 0.1;

export interface CapacityOverrideInput {
  memory?: { bytes: number; source: Budget["memorySource"] };
  cpus?: { count: number; source: Budget["cpuSource"] };
}

/**
 * What services may use: host memory less the OS reserve, less the safety margin. `--memory` and
 * `--cpus` replace the detected capacity (plan as if the machine were that size).
 */
export function computeBudget(facts: HostFacts, override: CapacityOverrideInput = {}): Budget {
  const host = override.memory?.bytes ?? facts.memoryBytes.value;
  const reserve = Math.floor(host * OS_RESERVE_RATIO);
  const margin = Math.floor((host - reserve) * SAFETY_MARGIN_RATIO);
  return {
    hostMemoryBytes: host,
    reserveBytes: reserve,
    marginBytes: margin,
    memoryBytes: host - reserve - margin,
    cpus: override.cpus?.count ?? facts.cpus.value,
    memorySource: override.memory?.source ?? facts.memoryBytes.source,
    cpuSource: override.cpus?.source ?? facts.cpus.source,
    capacity: override.memory ? "flags" : facts.memoryBytes.source === "docker engine" ? "engine" : "host",
  };
}

/**
 * The engine's own memory and CPUs win when they are smaller than the host's: Docker Desktop,
 * Colima and Podman machines run containers in a VM of their own size.
 */
export function capToEngine(facts: HostFacts, engine: { memoryBytes: number; cpus: number }): HostFacts {
  const out = { ...facts };
  if (engine.memoryBytes > 0 && engine.memoryBytes < facts.memoryBytes.value)
    out.memoryBytes = {
      value: engine.memoryBytes,
      source: "docker engine",
      detail: "the engine's /info MemTotal",
    };
  if (engine.cpus > 0 && engine.cpus < facts.cpus.value)
    out.cpus = { value: engine.cpus, source: "docker engine", detail: "the engine's /info NCPU" };
  return out;
}

export interface BudgetInput {
  host: HostFacts;
  /** The engine's own memory and CPUs; null or absent when no engine answered. */
  engine?: { memoryBytes: number; cpus: number } | null;
  /** Why there are no engine figures, said in the plan (e.g. "no engine answered: host figures"). */
  engineNote?: string;
  override?: CapacityOverrideInput;
  /** What the other stacks' and containers' running containers on the engine are limited to. */
  commitments?: readonly MemoryCommitment[];
}

/**
 * The one budget every command plans with (`plan`, `resources`, `up` and the engine commands): the
 * engine's memory and CPUs when it answers and is smaller than the host, else the host's; less the
 * OS reserve and the safety margin; less what the other stacks and containers on the engine are
 * limited to, so two stacks never overcommit the engine. `--memory` (or `DELOC_MEMORY`) plans as
 * if the machine had that much, as documented: a stated size, not this engine, so what runs on
 * the engine is not taken out of it (the note says so). Pure.
 */
export function budgetFor(input: BudgetInput): Budget {
  const facts = input.engine ? capToEngine(input.host, input.engine) : input.host;
  const b = computeBudget(facts, input.override ?? {});
  const held = [...(input.commitments ?? [])]
    .filter((c) => c.memoryBytes > 0)
    .sort((x, y) => y.memoryBytes - x.memoryBytes || x.name.localeCompare(y.name));
  const heldBytes = held.reduce((sum, c) => sum + c.memoryBytes, 0);
  const stated = input.override?.memory;
  const commitments = stated ? [] : held;
  const committed = stated ? 0 : heldBytes;
  const notes = [
    ...(input.engineNote ? [input.engineNote] : []),
    ...(stated && heldBytes > 0
      ? [
          `${stated.source} states the memory: the ${formatBytes(heldBytes)} other stacks and containers on the engine hold is not counted`,
        ]
      : []),
  ];
  return {
    ...b,
    memoryBytes: Math.max(0, b.memoryBytes - committed),
    committedBytes: committed,
    commitments,
    ...(notes.length ? { capacityNote: notes.join("; ") } : {}),
  };
}

/**
 * The budget of an export: the profile's sizes, never this machine's memory or CPUs, so the same
 * stack exports the same files everywhere. `--memory` and `--cpus` (explicit) still apply.
 */
export function portableBudget(override: CapacityOverrideInput = {}): Budget {
  // As much as the planner can count: every service gets its preferred memory; nothing is capped.
  const unbounded = 2 ** 50;
  if (override.memory) {
    const b = computeBudget(
      {
        memoryBytes: { value: unbounded, source: "profile", detail: "exports ignore this machine" },
        physicalMemoryBytes: unbounded,
        cpus: {
          value: override.cpus?.count ?? 1024,
          source: "profile",
          detail: "exports ignore this machine",
        },
      },
      override,
    );
    return { ...b, committedBytes: 0, commitments: [] };
  }
  return {
    hostMemoryBytes: unbounded,
    reserveBytes: 0,
    marginBytes: 0,
    memoryBytes: unbounded,
    cpus: override.cpus?.count ?? 1024,
    memorySource: "profile",
    cpuSource: override.cpus?.source ?? "profile",
    capacity: "profile",
    committedBytes: 0,
    commitments: [],
  };
}

/**
 * The budget on a Kubernetes cluster: its schedulable nodes' allocatable memory (the kubelet has
 * already kept back what the node itself needs, so there is no OS reserve), less the safety margin,
 * less what the other pods on it request, as the scheduler counts it. CPUs: the largest node's
 * allocatable CPUs, the most one pod's limit can use (a pod requests a quarter of its limit, see
 * the k8s export; a limit is a cap, not a reservation, as on a container engine). `--memory` and
 * `--cpus` state the capacity instead, as on a container engine (what the other pods request is
 * then not counted, and the note says so). Pure.
 */
export function clusterBudget(cluster: ClusterCapacity, override: CapacityOverrideInput = {}): Budget {
  const allocatable = cluster.nodes.reduce((n, x) => n + x.memoryBytes, 0);
  const largestMillis = Math.max(0, ...cluster.nodes.map((x) => x.cpuMillis));
  const largest = [...cluster.nodes].sort((a, b) => b.memoryBytes - a.memoryBytes)[0];
  const held = cluster.requests
    .filter((r) => r.memoryBytes > 0)
    .sort((x, y) => y.memoryBytes - x.memoryBytes || x.name.localeCompare(y.name));
  const heldBytes = held.reduce((n, r) => n + r.memoryBytes, 0);
  const heldMillis = cluster.requests.reduce((n, r) => n + r.cpuMillis, 0);
  const stated = override.memory;
  const host = stated?.bytes ?? allocatable;
  const margin = Math.floor(host * SAFETY_MARGIN_RATIO);
  const committed = stated ? 0 : heldBytes;
  const count = cluster.nodes.length;
  const nodes = `${count} schedulable ${count === 1 ? "node" : "nodes"}`;
  const others = `${formatBytes(heldBytes)} and ${heldMillis / 1000} CPUs requested by ${cluster.requests.length} other pods`;
  return {
    hostMemoryBytes: host,
    reserveBytes: 0,
    marginBytes: margin,
    memoryBytes: Math.max(0, host - margin - committed),
    cpus: override.cpus?.count ?? Math.max(0.1, largestMillis / 1000),
    memorySource: stated?.source ?? "kubernetes nodes",
    cpuSource: override.cpus?.source ?? "kubernetes nodes",
    capacity: stated ? "flags" : "cluster",
    capacityNote: stated
      ? `${stated.source} states the memory, not the cluster's ${nodes} (${formatBytes(allocatable)} allocatable, ${others}, not counted)`
      : `the cluster's ${nodes}: ${formatBytes(allocatable)} allocatable, ${others}`,
    committedBytes: committed,
    commitments: stated
      ? []
      : held.map(({ name, stack, memoryBytes }) => ({ name, memoryBytes, ...(stack ? { stack } : {}) })),
    ...(largest ? { largestNode: { name: largest.name, memoryBytes: largest.memoryBytes } } : {}),
  };
}
