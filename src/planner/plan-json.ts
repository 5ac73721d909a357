/**
 * `deloc plan --json`: a documented, stable projection of the Plan. Fields are only ever added.
 * Byte and CPU units are in the field names; secret values never appear (only `{{secret.NAME}}`).
 */
import type { Plan, PlannedService } from "../core/index.js";

export const PLAN_JSON_VERSION = 1;

export function planToJson(plan: Plan) {
  return {
    version: PLAN_JSON_VERSION,
    stack: plan.stack,
    profile: plan.profile,
    target: plan.target,
    strategy: plan.strategy,
    budget: {
      memoryBytes: plan.budget.memoryBytes,
      cpus: plan.budget.cpus,
      hostMemoryBytes: plan.budget.hostMemoryBytes,
      reserveBytes: plan.budget.reserveBytes,
      marginBytes: plan.budget.marginBytes,
      memorySource: plan.budget.memorySource,
      cpuSource: plan.budget.cpuSource,
      capacity: plan.budget.capacity ?? "host",
      capacityNote: plan.budget.capacityNote ?? null,
      committedBytes: plan.budget.committedBytes ?? 0,
      commitments: (plan.budget.commitments ?? []).map((c) => ({
        name: c.name,
        stack: c.stack ?? null,
        memoryBytes: c.memoryBytes,
      })),
    },
    totalMemoryBytes: plan.totalMemoryBytes,
    phases: plan.phases,
    services: plan.services.map((s) => ({
      name: s.name,
      template: s.template ?? null,
      variant: s.variant ?? null,
      image: s.image,
      build: s.build
        ? { context: s.build.context, dockerfile: s.build.dockerfile ?? null, target: s.build.target ?? null }
        : null,
      phase: s.phase,
      replicas: s.replicas,
      memoryBytes: s.memoryBytes,
      memoryMinBytes: s.memoryMinBytes,
      memoryPreferredBytes: s.memoryPreferredBytes,
      cpus: s.cpuMillis / 1000,
      command: s.command ?? null,
      entrypoint: s.entrypoint ?? null,
      env: s.env,
      jvmHeapBytes: s.jvmHeapBytes,
      jvmHeapEnv: s.jvmHeapEnv ?? null,
      ports: s.ports.map((p) => ({
        host: p.host,
        container: p.container,
        hostIp: p.hostIp,
        protocol: p.protocol,
        name: p.name ?? null,
        movedFrom: p.movedFrom ?? null,
      })),
      dependsOn: s.dependsOn.map((d) => d.service),
      waitsFor: s.dependsOn,
      healthCheck: s.healthCheck ?? null,
      oneShot: s.oneShot,
      stateful: s.stateful,
      scalable: s.scalable,
      restart: s.restart,
      user: s.user ?? null,
      capabilities: s.capabilities ?? [],
      volumes: s.volumes,
      endpoints: s.endpoints,
      secrets: s.secrets,
      backup: s.backup ?? null,
      verify: probeJson(s),
      hash: s.hash,
    })),
    volumes: plan.volumes,
    secrets: plan.secrets,
    notes: plan.notes,
  };
}

export type PlanJson = ReturnType<typeof planToJson>;

/** The declared probe with the host port it reaches; `null` when the service declares none. */
function probeJson(s: PlannedService) {
  const probe = s.verify;
  if (!probe) return null;
  if (probe.kind === "command") return { kind: probe.kind, argv: probe.argv };
  const host =
    s.ports.find((p) => p.container === probe.port.container && p.protocol === "tcp")?.host ?? null;
  const port = { name: probe.port.name ?? null, container: probe.port.container, host };
  return probe.kind === "http"
    ? { kind: probe.kind, port, path: probe.path, status: probe.status }
    : { kind: probe.kind, port };
}
