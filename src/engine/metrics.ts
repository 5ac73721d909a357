/**
 * The running stack's metrics, in Prometheus' data model and text exposition format: per service
 * (per replica) memory use and limit, CPU, restarts, health and condition, time to ready at its
 * last start; per deploy (from the event log) duration and outcome. Pure: it is handed what
 * `status` observes and the event log, and returns families, which `formatMetrics` writes as text.
 */
import type { LifecycleEvent } from "../core/index.js";
import type { ServiceStatus } from "./status.js";

export type MetricType = "gauge" | "counter" | "histogram";

export interface Sample {
  /** The family's name, or it with `_bucket`, `_sum`, `_count` for a histogram. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

/** Each replica's CPU time so far, in seconds, by container name; absent when the engine did not say. */
export type CpuByContainer = ReadonlyMap<string, number>;

export interface MetricsInput {
  stack: string;
  services: readonly ServiceStatus[];
  /** By container name. */
  cpu: CpuByContainer;
  events: readonly LifecycleEvent[];
}

/** Upper bounds of the deploy-duration histogram, in seconds. */
export const DEPLOY_BUCKETS = [5, 10, 30, 60, 120, 300, 600];

export function stackMetrics(input: MetricsInput): MetricFamily[] {
  const { stack } = input;
  const family = (name: string, type: MetricType, help: string): MetricFamily => ({
    name,
    type,
    help,
    samples: [],
  });
  const memory = family("deloc_service_memory_usage_bytes", "gauge", "Memory a replica uses now.");
  const limit = family("deloc_service_memory_limit_bytes", "gauge", "A replica's memory limit.");
  const cpu = family(
    "deloc_service_cpu_seconds_total",
    "counter",
    "CPU time a replica's container has used since it started.",
  );
  const restarts = family(
    "deloc_service_restarts_total",
    "counter",
    "Times the engine restarted a replica's container.",
  );
  const healthy = family(
    "deloc_service_healthy",
    "gauge",
    "1 when a replica runs and its health check passes (or it has none).",
  );
  const condition = family(
    "deloc_service_condition",
    "gauge",
    "1 for a service's condition as `deloc status` shows it.",
  );
  const replicas = family("deloc_service_replicas", "gauge", "Replicas of a service that run.");
  const ready = family(
    "deloc_service_ready_duration_seconds",
    "gauge",
    "Time from start to ready at the service's last deploy or restart.",
  );
  for (const s of input.services) {
    const base = { stack, service: s.service };
    condition.samples.push({ name: condition.name, labels: { ...base, condition: s.condition }, value: 1 });
    replicas.samples.push({
      name: replicas.name,
      labels: base,
      value: s.replicas.filter((r) => r.uptimeSeconds !== null).length,
    });
    for (const r of s.replicas) {
      const labels = { ...base, replica: String(r.replica) };
      if (r.memoryBytes !== null) memory.samples.push({ name: memory.name, labels, value: r.memoryBytes });
      limit.samples.push({ name: limit.name, labels, value: r.memoryLimitBytes });
      const c = input.cpu.get(r.name);
      if (c !== undefined) cpu.samples.push({ name: cpu.name, labels, value: c });
      restarts.samples.push({ name: restarts.name, labels, value: r.restarts });
      const up = r.uptimeSeconds !== null && (r.health === "healthy" || r.health === "none");
      healthy.samples.push({ name: healthy.name, labels, value: up ? 1 : 0 });
    }
  }
  for (const [service, seconds] of readyDurations(input.events))
    ready.samples.push({ name: ready.name, labels: { stack, service }, value: seconds });

  const deploys = deployRuns(input.events);
  const duration = family(
    "deloc_deploy_duration_seconds",
    "histogram",
    "How long each `deloc up` took, by outcome.",
  );
  for (const outcome of ["success", "failure"] as const) {
    const runs = deploys.filter((d) => d.outcome === outcome);
    const labels = { stack, outcome };
    for (const le of DEPLOY_BUCKETS)
      duration.samples.push({
        name: `${duration.name}_bucket`,
        labels: { ...labels, le: String(le) },
        value: runs.filter((d) => d.seconds <= le).length,
      });
    duration.samples.push({
      name: `${duration.name}_bucket`,
      labels: { ...labels, le: "+Inf" },
      value: runs.length,
    });
    duration.samples.push({
      name: `${duration.name}_sum`,
      labels,
      value: round3(runs.reduce((t, d) => t + d.seconds, 0)),
    });
    duration.samples.push({ name: `${duration.name}_count`, labels, value: runs.length });
  }
  const lastDuration = family(
    "deloc_deploy_last_duration_seconds",
    "gauge",
    "How long the last `deloc up` took.",
  );
  const lastSuccess = family(
    "deloc_deploy_last_success",
    "gauge",
    "1 when the last `deloc up` succeeded, 0 when it failed.",
  );
  const lastTime = family(
    "deloc_deploy_last_timestamp_seconds",
    "gauge",
    "When the last `deloc up` ended, in seconds since the epoch.",
  );
  const last = deploys.at(-1);
  if (last) {
    lastDuration.samples.push({ name: lastDuration.name, labels: { stack }, value: last.seconds });
    lastSuccess.samples.push({
      name: lastSuccess.name,
      labels: { stack },
      value: last.outcome === "success" ? 1 : 0,
    });
    lastTime.samples.push({ name: lastTime.name, labels: { stack }, value: last.endedAt / 1000 });
  }
  return [
    memory,
    limit,
    cpu,
    restarts,
    healthy,
    condition,
    replicas,
    ready,
    duration,
    lastDuration,
    lastSuccess,
    lastTime,
  ];
}

export interface DeployRun {
  seconds: number;
  outcome: "success" | "failure";
  endedAt: number;
}

/** Every `up` in the event log: the stack's move into deploying, and its next move out of it. */
export function deployRuns(events: readonly LifecycleEvent[]): DeployRun[] {
  const out: DeployRun[] = [];
  let began: number | null = null;
  for (const e of events) {
    if (e.service !== undefined) continue;
    if (e.to === "deploying") began = Date.parse(e.time);
    else if (e.from === "deploying" && began !== null) {
      const endedAt = Date.parse(e.time);
      out.push({
        seconds: round3((endedAt - began) / 1000),
        outcome: e.to === "running" ? "success" : "failure",
        endedAt,
      });
      began = null;
    }
  }
  return out;
}

/** Each service's last way from deploying to running, in seconds. */
export function readyDurations(events: readonly LifecycleEvent[]): Map<string, number> {
  const began = new Map<string, number>();
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.service === undefined) continue;
    if (e.to === "deploying") began.set(e.service, Date.parse(e.time));
    else if (e.from === "deploying" && e.to === "running") {
      const t0 = began.get(e.service);
      if (t0 !== undefined) out.set(e.service, round3((Date.parse(e.time) - t0) / 1000));
    }
  }
  return out;
}

/** The text exposition format (version 0.0.4), as Prometheus scrapes it. */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels)
        .map(
          ([k, v]) => `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`,
        )
        .join(",");
      lines.push(`${s.name}${labels ? `{${labels}}` : ""} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
