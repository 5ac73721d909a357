/**
 * Runs the probe of every service that has one, and every cross-service flow the stack has the
 * services for, concurrently, each within a deadline. The probe for a service comes from its
 * catalog template; client libraries load only when needed.
 */
import type { PlannedService } from "../core/index.js";
import type { Flow, Probe, ProbeResult, ProbeTarget } from "./probe.js";

const PROBES: Record<string, () => Promise<Probe>> = {
  "airflow-api-server": () => import("./probes/airflow.js").then((m) => m.airflowProbe),
  jupyter: () => import("./probes/jupyter.js").then((m) => m.jupyterProbe),
  kafka: () => import("./probes/kafka.js").then((m) => m.kafkaProbe),
  minio: () => import("./probes/minio.js").then((m) => m.minioProbe),
  "spark-master": () => import("./probes/spark.js").then((m) => m.sparkProbe),
  postgres: () => import("./probes/postgres.js").then((m) => m.postgresProbe),
  redis: () => import("./probes/redis.js").then((m) => m.redisProbe),
  zookeeper: () => import("./probes/zookeeper.js").then((m) => m.zookeeperProbe),
};

/** Cross-service flows, with the templates each needs (to decide without loading it). */
const FLOWS: { needs: readonly string[]; load: () => Promise<Flow> }[] = [
  {
    needs: ["postgres", "airflow-api-server", "minio"],
    load: () => import("./flows/postgres-airflow-minio.js").then((m) => m.postgresAirflowMinio),
  },
];

/** Services another service's probe already proves. */
const COVERED_BY: Record<string, string> = {
  "spark-worker": "proved by spark-master's probe: its job runs on the workers",
  "airflow-init": "proved by airflow-api-server's probe: Airflow runs on the database it migrated",
  "airflow-scheduler": "proved by airflow-api-server's probe: the scheduler runs its DAG",
  "airflow-dag-processor": "proved by airflow-api-server's probe: the DAG processor parses its DAG",
};

export const PROBE_TIMEOUT_MS = 120_000;

export async function verify(
  services: readonly PlannedService[],
  envOf: (s: PlannedService) => Record<string, string>,
  runInStack?: ProbeTarget["runInStack"],
): Promise<ProbeResult[]> {
  const target = (s: PlannedService, signal: AbortSignal): ProbeTarget => ({
    service: s,
    env: envOf(s),
    signal,
    ...(runInStack ? { runInStack } : {}),
    address: (name) => {
      const p = s.ports.find((q) => q.name === name) ?? s.ports[0];
      if (!p) throw new Error(`${s.name} publishes no port to probe`);
      return { host: p.hostIp === "0.0.0.0" ? "127.0.0.1" : p.hostIp, port: p.host };
    },
  });
  const probes = services.map(async (s): Promise<ProbeResult> => {
    const load = s.template ? PROBES[s.template] : undefined;
    const base = { kind: "service" as const, service: s.name, template: s.template ?? null };
    if (!load) {
      const covered = s.template ? COVERED_BY[s.template] : undefined;
      return {
        ...base,
        what: null,
        ok: true,
        ms: 0,
        detail: covered ?? "no probe for this kind of service yet",
      };
    }
    const probe = await load();
    return { ...base, ...(await withDeadline(probe, (signal) => probe.run(target(s, signal)))) };
  });
  const byTemplate = new Map(services.filter((s) => s.template).map((s) => [s.template!, s]));
  const flows = FLOWS.filter((f) => f.needs.every((n) => byTemplate.has(n))).map(
    async ({ load }): Promise<ProbeResult> => {
      const flow = await load();
      const base = { kind: "flow" as const, service: flow.name, template: null };
      return {
        ...base,
        ...(await withDeadline(flow, (signal) =>
          flow.run(Object.fromEntries(flow.needs.map((n) => [n, target(byTemplate.get(n)!, signal)]))),
        )),
      };
    },
  );
  const results = await Promise.all([...probes, ...flows]);
  // Services by name, then flows.
  return results.sort((a, b) =>
    a.kind === b.kind ? a.service.localeCompare(b.service) : a.kind === "service" ? -1 : 1,
  );
}

/** Runs a probe or flow within PROBE_TIMEOUT_MS; what it saw, or what failed and the hint. */
async function withDeadline(
  check: { what: string; hint: string },
  run: (signal: AbortSignal) => Promise<string>,
): Promise<Pick<ProbeResult, "what" | "ok" | "ms" | "detail" | "hint">> {
  const controller = new AbortController();
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      run(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`));
        }, PROBE_TIMEOUT_MS);
      }),
    ]);
    return { what: check.what, ok: true, ms: Math.round(performance.now() - t0), detail };
  } catch (e) {
    const message = e instanceof Error ? e.message || e.constructor.name : String(e);
    return {
      what: check.what,
      ok: false,
      ms: Math.round(performance.now() - t0),
      detail: message,
      hint: check.hint,
    };
  } finally {
    clearTimeout(timer);
  }
}
