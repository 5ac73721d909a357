/**
 * What `deloc status` reports, derived from one observation (and the plan, when the stack file is
 * there, for services not deployed and for endpoints), and the one place the running containers'
 * figures are read (`statsOf`: `status`, `metrics` and the dashboard). `summarize` is pure.
 */
import type { Adapter } from "../adapters/adapter.js";
import type { ContainerStats, ObservedContainer, ObservedStack, Plan } from "../core/index.js";
import type { StackState } from "./state.js";

export type ServiceCondition =
  | "running"
  | "starting"
  | "unhealthy"
  | "restarting"
  | "completed"
  | "exited"
  | "oom-killed"
  | "stopped"
  | "not deployed"
  | "outdated";

export interface ReplicaStatus {
  name: string;
  replica: number;
  condition: ServiceCondition;
  health: ObservedContainer["health"];
  exitCode: number | null;
  restarts: number;
  /** Seconds since the container started; null when not running. */
  uptimeSeconds: number | null;
  memoryBytes: number | null;
  /** Page cache included; null when the engine does not say. */
  peakMemoryBytes: number | null;
  memoryLimitBytes: number;
  ports: number[];
}

export interface ServiceStatus {
  service: string;
  condition: ServiceCondition;
  replicas: ReplicaStatus[];
  /** The running configuration differs from the stack file: `deloc up` would recreate it. */
  outdated: boolean;
}

/** Memory and CPU of each running container, all asked at once; one the engine cannot answer for is left out. */
export async function statsOf(
  adapter: Pick<Adapter, "stats">,
  observed: ObservedStack,
): Promise<Map<string, ContainerStats>> {
  const out = new Map<string, ContainerStats>();
  await Promise.all(
    observed.containers
      .filter((c) => c.state === "running")
      .map(async (c) => {
        const s = await adapter.stats(c.id).catch(() => null);
        if (s) out.set(c.id, s);
      }),
  );
  return out;
}

export function summarize(
  observed: ObservedStack,
  plan: Plan | null,
  stats: ReadonlyMap<string, ContainerStats>,
  now: Date,
): ServiceStatus[] {
  const names = new Set([
    ...(plan?.services.map((s) => s.name) ?? []),
    ...observed.containers.map((c) => c.service),
  ]);
  return [...names].sort().map((service) => {
    const planned = plan?.services.find((s) => s.name === service);
    const containers = observed.containers.filter((c) => c.service === service);
    const replicas = containers.map((c): ReplicaStatus => {
      const st = stats.get(c.id);
      return {
        name: c.name,
        replica: c.replica,
        condition: conditionOf(c, planned?.oneShot ?? false),
        health: c.health,
        exitCode: c.exitCode,
        restarts: c.restartCount,
        uptimeSeconds:
          c.state === "running" && c.startedAt
            ? Math.max(0, Math.round((now.getTime() - Date.parse(c.startedAt)) / 1000))
            : null,
        memoryBytes: st ? st.memoryBytes : null,
        peakMemoryBytes: st ? st.peakMemoryBytes : null,
        memoryLimitBytes: c.memoryLimitBytes,
        ports: c.hostPorts,
      };
    });
    const outdated = planned !== undefined && containers.some((c) => c.hash !== planned.hash);
    const worst = replicas.map((r) => r.condition).sort((a, b) => RANK.indexOf(a) - RANK.indexOf(b))[0];
    return { service, condition: worst ?? "not deployed", replicas, outdated };
  });
}

/** Most worrying first: a service is as well as its worst replica. */
const RANK: ServiceCondition[] = [
  "oom-killed",
  "unhealthy",
  "restarting",
  "exited",
  "starting",
  "stopped",
  "outdated",
  "not deployed",
  "completed",
  "running",
];

function conditionOf(c: ObservedContainer, oneShot: boolean): ServiceCondition {
  if (c.oomKilled) return "oom-killed";
  if (c.state === "restarting") return "restarting";
  if (c.state === "running")
    return c.health === "unhealthy" ? "unhealthy" : c.health === "starting" ? "starting" : "running";
  if (c.state === "created") return "stopped";
  if (c.exitCode === 0) return oneShot ? "completed" : "stopped";
  return c.exitCode === 137 || c.exitCode === 143 ? "stopped" : "exited";
}

/**
 * An engine without health-check start intervals (Docker < 25) says "starting" until its first
 * check, up to an interval after the service is ready. A running container `up` saw ready (the
 * state file lists it under a running service, and it has not started again since the state was
 * written) is healthy: marked so in `observed`; the containers still "starting" are returned.
 */
export function markSeenReady(observed: ObservedStack, saved: StackState | null): ObservedContainer[] {
  const at = saved ? Date.parse(saved.updatedAt) : Number.NaN;
  const ids = new Set(
    Object.values(saved?.services ?? {})
      .filter((r) => r.state === "running")
      .flatMap((r) => r.containers),
  );
  const pending = observed.containers.filter((c) => c.state === "running" && c.health === "starting");
  for (const c of pending)
    if (ids.has(c.id) && c.startedAt !== null && Date.parse(c.startedAt) <= at) c.health = "healthy";
  return pending.filter((c) => c.health === "starting");
}
