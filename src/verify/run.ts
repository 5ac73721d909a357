/**
 * Runs the probe of every service that has one, and every cross-service flow the stack has the
 * services for, concurrently, each within a deadline. A service's probe is the one its stack-file
 * entry or template declares, else DELoc's own for its catalog template; client libraries load
 * only when needed. A service that no probe checked is "not-verified", never a pass.
 */
import type { PlannedService } from "../core/index.js";
import type { ExecInService, ExecOutcome, Flow, Probe, ProbeResult, ProbeTarget } from "./probe.js";

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
  {
    needs: ["kafka", "spark-master", "minio"],
    load: () => import("./flows/kafka-spark-minio.js").then((m) => m.kafkaSparkMinio),
  },
  {
    needs: ["spark-master", "minio", "jupyter"],
    load: () => import("./flows/spark-minio-jupyter.js").then((m) => m.sparkMinioJupyter),
  },
];

/** Services another service's probe proves: the template of that service, and why it does. */
const COVERED_BY: Record<string, { by: string; why: string }> = {
  "spark-worker": { by: "spark-master", why: "its job runs on the workers" },
  "airflow-init": { by: "airflow-api-server", why: "Airflow runs on the database it migrated" },
  "airflow-scheduler": { by: "airflow-api-server", why: "the scheduler runs its DAG" },
  "airflow-dag-processor": { by: "airflow-api-server", why: "the DAG processor parses its DAG" },
};

/** The probe of a template: a plugin's, else DELoc's own; undefined when there is none. */
function probeOf(template: string, plugins: VerifyHooks["probes"]): (() => Promise<Probe>) | undefined {
  const fromPlugin = plugins?.get(template);
  if (fromPlugin) return async () => fromPlugin.probe;
  return Object.hasOwn(PROBES, template) ? PROBES[template] : undefined;
}

export const PROBE_TIMEOUT_MS = 120_000;
/** A command probe's own limit, inside the probe's deadline. */
export const COMMAND_PROBE_TIMEOUT_MS = PROBE_TIMEOUT_MS - 10_000;

/** What `verify` may use beyond the plan: a client inside the stack, a command inside a service. */
export interface VerifyHooks {
  /**
   * Runs a one-off container on the stack's network (the Spark driver), stopped and removed when
   * `signal` aborts (the check's deadline).
   */
  runInStack?: (
    image: string,
    argv: string[],
    memoryBytes: number,
    env: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ) => Promise<ExecOutcome>;
  /** Runs argv inside a service's container: declared command probes need it. */
  execIn?: ExecInService;
  /**
   * Where a service's container port is reached from here, when not at its published host port
   * (a cluster's pods, through port-forwards); undefined: the published port.
   */
  reach?: (service: PlannedService, containerPort: number) => { host: string; port: number } | undefined;
  /** Where an address a service hands its clients is reached from here (see ProbeTarget.route). */
  route?: (host: string, port: number) => { host: string; port: number } | undefined;
  /**
   * Probes from plugins, by the template they check: one replaces DELoc's own probe for its
   * template; a probe the stack file or the template declares replaces both.
   */
  probes?: ReadonlyMap<string, { probe: Probe }>;
}

/**
 * Every service gets a result: its declared probe (stack file, then template) or DELoc's own probe
 * for its kind; else the result of the probe that proves it (COVERED_BY); else "not-verified".
 */
export async function verify(
  services: readonly PlannedService[],
  envOf: (s: PlannedService) => Record<string, string>,
  hooks: VerifyHooks = {},
): Promise<ProbeResult[]> {
  const { runInStack, execIn, reach, route, probes } = hooks;
  const addressOf = (s: PlannedService, container: number) => {
    const forwarded = reach?.(s, container);
    if (forwarded) return forwarded;
    const p = s.ports.find((q) => q.container === container && q.protocol === "tcp");
    if (!p) throw new Error(`${s.name} publishes no host port for container port ${container}`);
    return { host: p.hostIp === "0.0.0.0" ? "127.0.0.1" : p.hostIp, port: p.host };
  };
  const target = (s: PlannedService, signal: AbortSignal): ProbeTarget => ({
    service: s,
    env: envOf(s),
    signal,
    ...(runInStack
      ? {
          runInStack: (image, argv, memoryBytes, env = {}) =>
            runInStack(image, argv, memoryBytes, env, signal),
        }
      : {}),
    ...(execIn ? { exec: (argv: readonly string[]) => execIn(s, argv) } : {}),
    address: (name) => {
      const p = s.ports.find((q) => q.name === name) ?? s.ports[0];
      if (!p) throw new Error(`${s.name} publishes no port to probe`);
      return addressOf(s, p.container);
    },
    addressOf: (container) => addressOf(s, container),
    route: (host, port) => route?.(host, port) ?? { host, port },
  });
  const inTurn = oneAtATime();
  const probed = services.map(async (s): Promise<ProbeResult | null> => {
    const base = { kind: "service" as const, service: s.name, template: s.template ?? null };
    const load = s.verify
      ? () => import("./probes/declared.js").then((m) => m.declaredProbe(s, s.verify!))
      : s.template
        ? probeOf(s.template, probes)
        : undefined;
    if (!load) return null;
    const probe = await load();
    return {
      ...base,
      ...(await inTurn(probe.exclusive, () => withDeadline(probe, (signal) => probe.run(target(s, signal))))),
    };
  });
  const byTemplate = new Map(services.filter((s) => s.template).map((s) => [s.template!, s]));
  const flows = FLOWS.filter((f) => f.needs.every((n) => byTemplate.has(n))).map(
    async ({ load }): Promise<ProbeResult> => {
      const flow = await load();
      const base = { kind: "flow" as const, service: flow.name, template: null };
      return {
        ...base,
        ...(await inTurn(flow.exclusive, () =>
          withDeadline(flow, (signal) =>
            flow.run(Object.fromEntries(flow.needs.map((n) => [n, target(byTemplate.get(n)!, signal)]))),
          ),
        )),
      };
    },
  );
  const own = await Promise.all(probed);
  const ran = own.filter((r): r is ProbeResult => r !== null);
  // Only DELoc's own probe of a service proves the services COVERED_BY it; a declared one does not.
  const builtIn = ran.filter((r) => !services.find((s) => s.name === r.service)?.verify);
  const declared = services.filter((s) => s.verify && s.template).map((s) => s.template!);
  const unprobed = services
    .filter((_, i) => own[i] === null)
    .map((s): ProbeResult => unprobedResult(s, builtIn, declared));
  const results = [...ran, ...unprobed, ...(await Promise.all(flows))];
  // Services by name, then flows.
  return results.sort((a, b) =>
    a.kind === b.kind ? a.service.localeCompare(b.service) : a.kind === "service" ? -1 : 1,
  );
}

/**
 * A service no probe of its own checked: as good as DELoc's probe that proves it (`builtIn`: the
 * results of DELoc's own probes), else not verified. `declaredTemplates`: templates of services
 * whose declared probe replaced DELoc's. Exported for tests.
 */
export function unprobedResult(
  s: PlannedService,
  builtIn: readonly ProbeResult[],
  declaredTemplates: readonly string[] = [],
): ProbeResult {
  const base = { kind: "service" as const, service: s.name, template: s.template ?? null, what: null, ms: 0 };
  const cover = s.template ? COVERED_BY[s.template] : undefined;
  if (!cover)
    return {
      ...base,
      status: "not-verified",
      ok: false,
      detail: "not verified: DELoc has no probe for this kind of service and none is declared",
      hint: `Declare one in ${s.name}'s entry: verify: { http: { port, path, status } }, { tcp: { port } } or { command: [argv] }.`,
    };
  const covers = builtIn.filter((r) => r.template === cover.by);
  if (covers.length === 0 && declaredTemplates.includes(cover.by))
    return {
      ...base,
      status: "not-verified",
      ok: false,
      detail: `not verified: ${cover.by}'s own probe would prove it (${cover.why}), but ${cover.by} declares another probe`,
      hint: `Declare a probe in ${s.name}'s entry too, or remove ${cover.by}'s verify:.`,
    };
  if (covers.length === 0)
    return {
      ...base,
      status: "not-verified",
      ok: false,
      detail: `not verified: proved by ${cover.by}'s probe, which did not run`,
      hint: `Verify ${cover.by} with it: \`deloc verify ${cover.by} ${s.name}\`.`,
    };
  const failed = covers.find((r) => r.status !== "passed");
  if (failed)
    return {
      ...base,
      status: "failed",
      ok: false,
      detail: `${failed.service}'s probe failed, and it is what proves ${s.name}: ${cover.why}`,
      hint: `See ${failed.service}'s result.`,
    };
  return { ...base, status: "passed", ok: true, detail: `proved by ${cover.by}'s probe: ${cover.why}` };
}

/**
 * Checks that name the same `exclusive` resource run one after another, in the order they ask
 * (each then has its whole deadline); the others run at once.
 */
export function oneAtATime() {
  const last = new Map<string, Promise<unknown>>();
  return <T>(key: string | undefined, run: () => Promise<T>): Promise<T> => {
    if (!key) return run();
    const mine = (last.get(key) ?? Promise.resolve()).then(run, run);
    last.set(
      key,
      mine.catch(() => undefined),
    );
    return mine;
  };
}

/** Runs a probe or flow within its deadline (PROBE_TIMEOUT_MS unless it says); what it saw, or what failed and the hint. */
async function withDeadline(
  check: { what: string; hint: string; timeoutMs?: number },
  run: (signal: AbortSignal) => Promise<string>,
): Promise<Pick<ProbeResult, "what" | "status" | "ok" | "ms" | "detail" | "hint">> {
  const deadline = check.timeoutMs ?? PROBE_TIMEOUT_MS;
  const controller = new AbortController();
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      run(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`no answer within ${deadline / 1000} s`));
        }, deadline);
      }),
    ]);
    return { what: check.what, status: "passed", ok: true, ms: Math.round(performance.now() - t0), detail };
  } catch (e) {
    const message = e instanceof Error ? e.message || e.constructor.name : String(e);
    return {
      what: check.what,
      status: "failed",
      ok: false,
      ms: Math.round(performance.now() - t0),
      detail: message,
      hint: check.hint,
    };
  } finally {
    clearTimeout(timer);
  }
}
