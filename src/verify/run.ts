/**
 * Runs the probe of every service that has one, concurrently, each within a deadline. The probe
 * for a service comes from its catalog template; client libraries load only when needed.
 */
import type { PlannedService } from "../core/index.js";
import type { Probe, ProbeResult, ProbeTarget } from "./probe.js";

const PROBES: Record<string, () => Promise<Probe>> = {
  jupyter: () => import("./probes/jupyter.js").then((m) => m.jupyterProbe),
  kafka: () => import("./probes/kafka.js").then((m) => m.kafkaProbe),
  minio: () => import("./probes/minio.js").then((m) => m.minioProbe),
  "spark-master": () => import("./probes/spark.js").then((m) => m.sparkProbe),
  postgres: () => import("./probes/postgres.js").then((m) => m.postgresProbe),
  redis: () => import("./probes/redis.js").then((m) => m.redisProbe),
};

/** Services another service's probe already proves. */
const COVERED_BY: Record<string, string> = {
  "spark-worker": "proved by spark-master's probe: its job runs on the workers",
};

export const PROBE_TIMEOUT_MS = 120_000;

export async function verify(
  services: readonly PlannedService[],
  envOf: (s: PlannedService) => Record<string, string>,
  runInStack?: ProbeTarget["runInStack"],
): Promise<ProbeResult[]> {
  return Promise.all(
    services.map(async (s): Promise<ProbeResult> => {
      const load = s.template ? PROBES[s.template] : undefined;
      const base = { service: s.name, template: s.template ?? null };
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
      const controller = new AbortController();
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const detail = await Promise.race([
          probe.run({
            service: s,
            env: envOf(s),
            signal: controller.signal,
            ...(runInStack ? { runInStack } : {}),
            address: (name) => {
              const p = s.ports.find((q) => q.name === name) ?? s.ports[0];
              if (!p) throw new Error(`${s.name} publishes no port to probe`);
              return { host: p.hostIp === "0.0.0.0" ? "127.0.0.1" : p.hostIp, port: p.host };
            },
          }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              controller.abort();
              reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`));
            }, PROBE_TIMEOUT_MS);
          }),
        ]);
        return { ...base, what: probe.what, ok: true, ms: Math.round(performance.now() - t0), detail };
      } catch (e) {
        const message = e instanceof Error ? e.message || e.constructor.name : String(e);
        return {
          ...base,
          what: probe.what,
          ok: false,
          ms: Math.round(performance.now() - t0),
          detail: message,
          hint: probe.hint,
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  ).then((r) => r.sort((a, b) => a.service.localeCompare(b.service)));
}
