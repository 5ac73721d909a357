/**
 * Memory allocation. Every service gets its preferred memory when the budget allows; when it is
 * short, every service shrinks toward its minimum by the same fraction of its headroom; when even
 * the minimums do not fit, the plan is refused with what to do about it.
 */
import { formatBytes, InsufficientMemoryError, type MemoryNeed, type Profile } from "../core/index.js";

const MIB = 1024 * 1024;

export interface MemoryRequest {
  name: string;
  replicas: number;
  minBytes: number;
  preferredBytes: number;
  /** Minimum per replica with the `minimal` profile, to tell whether switching would help. */
  minimalProfileMinBytes?: number;
}

export interface AllocationContext {
  stack: string;
  profile: Profile;
  /** Host memory per byte of budget (host / budget): turns a need into the machine size it takes. */
  hostBytesPerBudgetByte: number;
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
  const droppable = needs.filter((n) => n.minimumBytes >= shortfall).at(-1);
  if (droppable)
    remedies.push(
      `drop ${droppable.service} from spec.services (frees ${formatBytes(droppable.minimumBytes)})`,
    );
  else {
    // No single service frees enough: name the largest ones that together would.
    const drop: string[] = [];
    let freed = 0;
    for (const n of needs) {
      if (freed >= shortfall || drop.length === needs.length - 1) break;
      drop.push(n.service);
      freed += n.minimumBytes;
    }
    if (freed >= shortfall)
      remedies.push(`drop ${drop.join(", ")} from spec.services (frees ${formatBytes(freed)})`);
  }
  const hostNeeded = Math.ceil((minimum * context.hostBytesPerBudgetByte) / (256 * MIB)) * 256 * MIB;
  remedies.push(`give the machine (or the Docker VM) at least ${formatBytes(hostNeeded)} of memory`);

  return new InsufficientMemoryError(
    `Not enough memory for stack "${context.stack}" (profile ${context.profile}): its services need at least ${formatBytes(minimum)}, the budget is ${formatBytes(budget)} (short by ${formatBytes(shortfall)}).\n  Minimums: ${list}.`,
    remedies.length === 1 ? `${capitalise(remedies[0]!)}.` : `Either ${remedies.join("; or ")}.`,
    { budgetBytes: budget, neededBytes: minimum, shortfallBytes: shortfall, profile: context.profile, needs },
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
