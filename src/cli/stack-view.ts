/**
 * One look at a running stack, for `deloc metrics` and the dashboard of `deloc ui`: what the engine
 * runs (with each container's memory and CPU), the plan's graph and endpoints (secrets masked), and
 * the event log. Built from one observation, as `status` does.
 */
import type { Adapter } from "../adapters/adapter.js";
import type { LifecycleEvent, ObservedStack, Plan } from "../core/index.js";
import { type MetricFamily, stackMetrics } from "../engine/metrics.js";
import { maskSecrets } from "../engine/secrets.js";
import type { StateStore } from "../engine/state.js";
import { markSeenReady, type ServiceStatus, statsOf, summarize } from "../engine/status.js";
import type { DashboardView } from "../ui/view.js";

export interface StackLook {
  stack: string;
  observed: ObservedStack;
  services: ServiceStatus[];
  /** CPU time so far by container name, in seconds. */
  cpu: Map<string, number>;
  events: LifecycleEvent[];
}

export async function lookAtStack(
  adapter: Adapter,
  stack: string,
  plan: Plan | null,
  store: StateStore,
  /** What the engine runs, when the caller has just observed it. */
  observedNow?: ObservedStack,
): Promise<StackLook> {
  const observed = observedNow ?? (await adapter.observe(stack));
  // Healthy as `status` says it: a container `up` saw ready is, though the engine still says "starting".
  markSeenReady(observed, store.read());
  const stats = await statsOf(adapter, observed);
  const cpu = new Map<string, number>();
  for (const c of observed.containers) {
    const s = stats.get(c.id);
    if (s?.cpuSeconds !== undefined) cpu.set(c.name, Math.round(s.cpuSeconds * 1000) / 1000);
  }
  return {
    stack,
    observed,
    services: summarize(observed, plan, stats, new Date()),
    cpu,
    events: store.events(),
  };
}

export function metricsOf(look: StackLook): MetricFamily[] {
  return stackMetrics({ stack: look.stack, services: look.services, cpu: look.cpu, events: look.events });
}

/** The dashboard's view of a look; every text that may hold a secret is masked. */
export function dashboardView(
  look: StackLook,
  plan: Plan | null,
  secrets: Readonly<Record<string, string>>,
  state: string,
): DashboardView {
  const mask = (t: string) => maskSecrets(t, secrets);
  return {
    stack: look.stack,
    state,
    at: new Date().toISOString(),
    phases: plan?.phases ?? [look.services.map((s) => s.service)],
    services: look.services.map((s) => {
      const p = plan?.services.find((x) => x.name === s.service);
      return {
        name: s.service,
        phase: p?.phase ?? 1,
        dependsOn: p?.dependsOn.map((d) => ({ service: d.service, condition: d.condition })) ?? [],
        condition: s.condition,
        outdated: s.outdated,
        scalable: p?.scalable ?? false,
        plannedReplicas: p?.replicas ?? s.replicas.length,
        memoryLimitBytes: p?.memoryBytes ?? s.replicas[0]?.memoryLimitBytes ?? 0,
        replicas: s.replicas.map((r) => ({
          name: r.name,
          replica: r.replica,
          condition: r.condition,
          health: r.health,
          memoryBytes: r.memoryBytes,
          memoryLimitBytes: r.memoryLimitBytes,
          cpuSeconds: look.cpu.get(r.name) ?? null,
          restarts: r.restarts,
          uptimeSeconds: r.uptimeSeconds,
          ports: r.ports,
        })),
        endpoints: (p?.endpoints ?? []).map((e) => ({
          name: e.name,
          url: mask(e.url),
          ...(e.description ? { description: mask(e.description) } : {}),
        })),
      };
    }),
    events: look.events.slice(-100).map((e) => ({ ...e, reason: mask(e.reason) })),
  };
}
