/** The human form of a Plan: a summary, the service table and the planner's notes. */
import { formatBytes, type Plan, type PlannedService } from "../../core/index.js";
import { renderTable } from "./table.js";

export function formatPlan(plan: Plan, opts: { bold?: (s: string) => string } = {}): string {
  const b = plan.budget;
  const containers = plan.services.reduce((n, s) => n + s.replicas, 0);
  const lines = [
    `Stack ${plan.stack} · profile ${plan.profile} · strategy ${plan.strategy}${plan.strategy === "hybrid" ? ` (${plan.maxParallel} at once)` : ""} · target ${plan.target}`,
    b.capacity === "profile"
      ? `Budget: the profile's sizes, no machine's or cluster's capacity counted · ${b.cpuSource === "profile" ? "CPUs as the profile says" : `${b.cpus} CPUs (${b.cpuSource})`}`
      : b.capacity === "cluster"
        ? `Budget ${formatBytes(b.memoryBytes)} of ${formatBytes(b.hostMemoryBytes)} allocatable (${b.memorySource}) after the safety margin and what other pods request · ${b.cpus} CPUs (${b.cpuSource})`
        : `Budget ${formatBytes(b.memoryBytes)} of ${formatBytes(b.hostMemoryBytes)} (${b.memorySource}) after the OS reserve${committed(b)} · ${b.cpus} CPUs (${b.cpuSource})`,
    ...(b.capacityNote ? [`${plan.target === "kubernetes" ? "Cluster" : "Engine"}: ${b.capacityNote}`] : []),
    `Planned ${formatBytes(plan.totalMemoryBytes)} for ${containers} ${containers === 1 ? "container" : "containers"} in ${plan.phases.length} ${plan.phases.length === 1 ? "phase" : "phases"}`,
    "",
    renderTable(
      ["service", "image", "phase", "memory", "cpu", "heap", "ports", "waits for"],
      plan.services.map((s) => [
        s.replicas > 1 ? `${s.name} ×${s.replicas}` : s.name,
        s.build ? `${s.image} (build)` : s.image,
        String(s.phase),
        formatBytes(s.memoryBytes),
        String(s.cpuMillis / 1000),
        s.jvmHeapBytes === null ? "-" : formatBytes(s.jvmHeapBytes),
        formatPorts(s),
        s.dependsOn
          .map((d) => (d.condition === "healthy" ? d.service : `${d.service} (${d.condition})`))
          .join(", ") || "-",
      ]),
      opts,
    ),
  ];
  if (plan.notes.length) lines.push("", "Notes:", ...plan.notes.map((n) => `  - ${n}`));
  return lines.join("\n");
}

/** What other stacks and containers on the engine hold, when anything does. */
function committed(b: Plan["budget"]): string {
  if (!b.committedBytes) return " and safety margin";
  const by = new Map<string, number>();
  for (const c of b.commitments ?? []) {
    const name = c.stack ?? c.name;
    by.set(name, (by.get(name) ?? 0) + c.memoryBytes);
  }
  const list = [...by]
    .sort(([a, x], [c, y]) => y - x || a.localeCompare(c))
    .map(([name, bytes]) => `${name} ${formatBytes(bytes)}`);
  return `, the safety margin and what other stacks and containers on the engine hold: ${formatBytes(b.committedBytes)} (${list.join(", ")})`;
}

function formatPorts(s: PlannedService): string {
  if (!s.ports.length) return "-";
  return s.ports
    .map((p) => {
      const host = p.hostIp === "127.0.0.1" ? "" : `${p.hostIp}:`;
      const mapping = p.host === p.container ? `${p.host}` : `${p.host}:${p.container}`;
      return `${host}${mapping}${p.protocol === "udp" ? "/udp" : ""}`;
    })
    .join(", ");
}
