/**
 * Memory allocation. Every service gets its preferred memory when the budget allows; when it is
 * short, every service shrinks toward its minimum by the same fraction of its headroom; when even
 * the minimums do not fit, the plan is refused with what to do about it.
 */
import {
  formatBytes,
  InsufficientMemoryError,
  type MemoryCommitment,
  type MemoryNeed,
  type Profile,
} from "../core/index.js";

export const MIB = 1024 * 1024;

export interface MemoryRequest {
  name: string;
  replicas: number;
  minBytes: number;
  preferredBytes: number;
  /** Minimum per replica with the `minimal` profile, to tell whether switching would help. */
  minimalProfileMinBytes?: number;
  /**
   * How the stack file leaves the service out: `entry`, by dropping it from spec.services;
   * `component` (of a group), by `enabled: false`; `never` when another service needs it.
   * @default "entry"
   */
  drop?: "entry" | "component" | "never";
}

export interface AllocationContext {
  stack: string;
  profile: Profile;
  /**
   * Host memory per byte of budget before anything else on the engine is counted (host / (host -
   * reserve - margin)): turns a need into the machine size it takes.
   */
  hostBytesPerBudgetByte: number;
  /** What the other stacks and containers on the engine are limited to, already out of the budget. */
  commitments?: readonly MemoryCommitment[];
  /**
   * The budget is a Kubernetes cluster's (its nodes' allocatable memory; commitments are other pods'
   * requests, named `namespace/pod`): remedies are the cluster's, not Docker's. @default false
   */
  cluster?: boolean;
  /**
   * What the stack file can leave out, each with the services that go with it: an entry (a service,
   * or a group with all its components), or a group's component. @default each request whose
   * `drop` is not `never`, alone
   */
  dropUnits?: readonly DropUnit[];
}

/** Something the stack file can leave out to free memory, and how. */
export interface DropUnit {
  /** The entry of spec.services, or the component. */
  name: string;
  how: "entry" | "component";
  /** The services of the plan that go with it. */
  services: readonly string[];
}

export interface Allocation {
  /** Per replica, whole MiB. */
  bytes: Map<string, number>;
  /** 1 when everything got its preferred memory; 0 when everything is at its minimum. */
  fraction: number;
}

export function allocateMemory(
  requests: readonly MemoryRequest[],
  budgetBytes: number,
  context: AllocationContext,
): Allocation {
  const total = (f: (r: MemoryRequest) => number) => requests.reduce((sum, r) => sum + f(r) * r.replicas, 0);
  const preferred = total((r) => r.preferredBytes);
  const minimum = total((r) => r.minBytes);
  const bytes = new Map<string, number>();

  if (preferred <= budgetBytes) {
    for (const r of requests) bytes.set(r.name, r.preferredBytes);
    return { bytes, fraction: 1 };
  }
  if (minimum <= budgetBytes) {
    const fraction = (budgetBytes - minimum) / (preferred - minimum);
    for (const r of requests) {
      const headroom = r.preferredBytes - r.minBytes;
      bytes.set(r.name, r.minBytes + Math.floor((headroom * fraction) / MIB) * MIB);
    }
    return { bytes, fraction };
  }
  throw refuse(requests, budgetBytes, minimum, context);
}

function refuse(
  requests: readonly MemoryRequest[],
  budget: number,
  minimum: number,
  context: AllocationContext,
): InsufficientMemoryError {
  const shortfall = minimum - budget;
  const needs: MemoryNeed[] = requests
    .map((r) => ({ service: r.name, replicas: r.replicas, minimumBytes: r.minBytes * r.replicas }))
    .sort((a, b) => b.minimumBytes - a.minimumBytes || a.service.localeCompare(b.service));
  const list = needs
    .map(
      (n) =>
        `${n.service} ${formatBytes(n.minimumBytes)}${n.replicas > 1 ? ` (${n.replicas} replicas)` : ""}`,
    )
    .join(", ");
  const held = holders(context.commitments ?? []);
  const committed = held.reduce((sum, h) => sum + h.bytes, 0);

  const remedies: string[] = [];
  if (context.profile !== "minimal") {
    const minimal = requests.reduce((s, r) => s + (r.minimalProfileMinBytes ?? r.minBytes) * r.replicas, 0);
    if (minimal <= budget) remedies.push("use the minimal profile: --profile minimal");
  }
  for (const r of requests) {
    if (r.replicas <= 1) continue;
    const fewer = Math.ceil(shortfall / r.minBytes);
    if (fewer < r.replicas) remedies.push(`run fewer ${r.name} replicas: replicas: ${r.replicas - fewer}`);
  }
  // Only what nothing else needs can go: a service others wait for, require or address would come
  // back (or fail the file) the moment it is dropped.
  const minimumOf = new Map(needs.map((n) => [n.service, n.minimumBytes]));
  const units = (
    context.dropUnits ??
    requests
      .filter((r) => r.drop !== "never")
      .map(
        (r): DropUnit => ({
          name: r.name,
          how: r.drop === "component" ? "component" : "entry",
          services: [r.name],
        }),
      )
  )
    .map((u) => ({ ...u, bytes: u.services.reduce((sum, n) => sum + (minimumOf.get(n) ?? 0), 0) }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const single = units.filter((u) => u.bytes >= shortfall).at(-1);
  if (single) remedies.push(dropRemedy([single], single.bytes));
  else {
    // No single one frees enough: name the largest ones that together would, leaving a service; a
    // group's component is not counted again once its group is named.
    const drop: typeof units = [];
    const gone = new Set<string>();
    let freed = 0;
    for (const u of units) {
      if (freed >= shortfall) break;
      const fresh = u.services.filter((n) => !gone.has(n));
      if (!fresh.length || gone.size + fresh.length >= requests.length) continue;
      drop.push(u);
      for (const n of fresh) gone.add(n);
      freed += fresh.reduce((sum, n) => sum + (minimumOf.get(n) ?? 0), 0);
    }
    if (freed >= shortfall) remedies.push(dropRemedy(drop, freed));
  }
  if (committed > 0 && committed >= shortfall) {
    // The fewest holders, largest first, that free enough.
    const stop: typeof held = [];
    let freed = 0;
    for (const h of held) {
      if (freed >= shortfall) break;
      stop.push(h);
      freed += h.bytes;
    }
    remedies.push(
      context.cluster
        ? `free what other pods request on the cluster: ${stop.map(clusterStop).join(", ")} (frees ${formatBytes(freed)})`
        : `stop what else runs on the engine: ${stop.map((h) => (h.stack ? `\`deloc down --stack ${h.name}\`` : `\`docker stop ${h.name}\``)).join(", ")} (frees ${formatBytes(freed)})`,
    );
  }
  // A byte over the exact figure, so the floors of the reserve and margin cannot undercut it.
  const hostNeeded =
    Math.ceil(((minimum + committed) * context.hostBytesPerBudgetByte + 1) / (256 * MIB)) * 256 * MIB;
  remedies.push(
    context.cluster
      ? `add nodes to the cluster (or larger ones): its Ready nodes need at least ${formatBytes(hostNeeded)} allocatable in all`
      : `give the machine (or the Docker VM) at least ${formatBytes(hostNeeded)} of memory`,
  );

  const others = held.length
    ? `; other ${context.cluster ? "stacks and pods on the cluster request" : "stacks and containers on the engine hold"} ${formatBytes(committed)}: ${held.map((h) => `${h.name} ${formatBytes(h.bytes)}`).join(", ")}`
    : "";
  return new InsufficientMemoryError(
    `Not enough memory for stack "${context.stack}" (profile ${context.profile}): its services need at least ${formatBytes(minimum)}, the budget is ${formatBytes(budget)} (short by ${formatBytes(shortfall)}${others}).\n  Minimums: ${list}.`,
    remedies.length === 1 ? `${capitalise(remedies[0]!)}.` : `Either ${remedies.join("; or ")}.`,
    {
      budgetBytes: budget,
      neededBytes: minimum,
      shortfallBytes: shortfall,
      profile: context.profile,
      needs,
      committedBytes: committed,
      commitments: [...(context.commitments ?? [])],
    },
  );
}

interface Holder {
  name: string;
  stack: boolean;
  bytes: number;
  /** On a cluster: the namespace of its (first) pod, from the commitment's `namespace/pod` name. */
  namespace: string;
}

/** What holds memory on the engine, by stack (a stack's containers together) or loose container. */
function holders(commitments: readonly MemoryCommitment[]): Holder[] {
  const by = new Map<string, Holder>();
  for (const c of commitments) {
    const key = c.stack !== undefined ? `stack:${c.stack}` : `container:${c.name}`;
    const namespace = c.name.includes("/") ? c.name.slice(0, c.name.indexOf("/")) : "";
    const h = by.get(key) ?? { name: c.stack ?? c.name, stack: c.stack !== undefined, bytes: 0, namespace };
    h.bytes += c.memoryBytes;
    by.set(key, h);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** How to free a holder's requests on a cluster: its stack down, or the workload of a pod scaled down. */
function clusterStop(h: Holder): string {
  return h.stack
    ? `\`deloc down --stack ${h.name} --target kubernetes -n ${h.namespace}\``
    : `scale down (or delete) the workload of pod ${h.name}`;
}

/** `drop a, b from spec.services` and/or `set \`c: { enabled: false }\` in spec.services`. */
function dropRemedy(drop: readonly DropUnit[], freed: number): string {
  const entries = drop.filter((u) => u.how === "entry").map((u) => u.name);
  const components = drop
    .filter((u) => u.how === "component")
    .map((u) => `\`${u.name}: { enabled: false }\``);
  const parts = [
    ...(entries.length ? [`drop ${entries.join(", ")} from spec.services`] : []),
    ...(components.length ? [`set ${components.join(", ")} in spec.services`] : []),
  ];
  return `${parts.join(", and ")} (frees ${formatBytes(freed)})`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
