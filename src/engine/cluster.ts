/**
 * The engine on a cluster target: the same walk, waits, lifecycle and errors as on a container
 * engine, over a `ClusterAdapter`. The plan's objects are applied at once (the pods' init containers
 * hold the start order inside the cluster); the walker then waits for each service in dependency
 * order — `started` means its pods run, `healthy` that they are Ready, a Job that it completed — and
 * a service fails fast on a reason that will not clear.
 */
import type { ClusterAdapter, PodStatus, WorkloadStatus } from "../adapters/adapter.js";
import {
  DeployFailedError,
  EngineUnreachableError,
  formatBytes,
  NotDeployedError,
  type Plan,
  type PlannedService,
  type ServiceFailure,
} from "../core/index.js";
import type { BackupTarget } from "./backup.js";
import { type Clock, systemClock } from "./clock.js";
import { type DeployEvent, emitter } from "./events.js";
import { recordRestart } from "./lifecycle.js";
import type { StateStore } from "./state.js";
import { STARTED_SETTLE_MS, suggestMemory } from "./wait.js";
import { serviceSteps, walk } from "./walker.js";

/** How often the cluster is asked, at most: one listing serves every service waiting. */
const POLL_MS = 1000;
/** Scheduling a pod and pulling its image, on top of a service's own readiness deadline. */
const SCHEDULE_MS = 60_000;
/**
 * How late the API server may tell of a container's exit: the kubelet finds it at its next relist
 * (every second), then reports it; and start times are in whole seconds.
 */
const STATUS_LAG_MS = 2_000;

export interface ClusterUpInput {
  plan: Plan;
  cluster: ClusterAdapter;
  store: StateStore;
  secrets: Readonly<Record<string, string>>;
  /** On failure, go back to what ran before (default), or leave the failed pods to inspect. */
  rollback?: boolean;
  /** Override of every service's readiness deadline. */
  waitTimeoutMs?: number;
  onEvent?: (e: DeployEvent) => void;
  /** Told what the apply did (`helm upgrade --install …: deployed`). */
  onApplied?: (summary: string) => void;
  clock?: Clock;
}

export async function upOnCluster(
  input: ClusterUpInput,
): Promise<{ durationMs: number; readyAtMs: Record<string, number> }> {
  const { plan, cluster, store } = input;
  const clock = input.clock ?? systemClock;
  const t0 = clock.now();
  const emit = emitter(input.onEvent, () => clock.now(), t0);
  const state = store.read() ?? store.fresh();
  store.move(state, "deploying", `up on ${cluster.endpoint}`);
  store.write(state);
  const readyAtMs: Record<string, number> = {};
  const failures: ServiceFailure[] = [];
  try {
    // What ran before, so that a failed deploy can go back to it.
    const before = await cluster.checkpoint(plan.stack);
    input.onApplied?.(await cluster.apply(plan, input.secrets));
    const snapshot = throttled(() => cluster.workloads(plan.stack), POLL_MS, clock);
    const outcomes = await walk({
      steps: serviceSteps(plan.services),
      direction: "forward",
      limit: Number.POSITIVE_INFINITY,
      prepare: async ({ service: s }) => {
        if (s.dependsOn.length)
          emit(s.name, "waiting", s.dependsOn.map((d) => `${d.service} ${d.condition}`).join(", "));
      },
      run: async ({ service: s }, started, signal) => {
        if (state.services[s.name]?.state !== "deploying") store.move(state, "deploying", "applied", s.name);
        emit(s.name, "checking", s.oneShot ? "running to completion" : "pods ready");
        const failure = await untilReady(cluster, plan.stack, s, {
          snapshot,
          deadline: clock.now() + (input.waitTimeoutMs ?? deadlineOf(s)),
          clock,
          signal,
          started,
        });
        if (signal.aborted) return;
        if (failure) {
          failures.push(failure);
          emit(s.name, "failed", failure.message);
          throw new Error(failure.message);
        }
        readyAtMs[s.name] = Math.round(clock.now() - t0);
        store.move(state, "running", "ready", s.name);
        emit(s.name, "ready", describe(await snapshot(), s.name));
      },
      onSettled: ({ service: s }, outcome) => {
        if (outcome.state === "skipped") emit(s.name, "skipped", "a service it needs failed");
      },
    });
    // No API server to roll back with: said as such (exit 4); the next `up` converges.
    for (const o of outcomes.values())
      if (o.state === "failed" && o.error instanceof EngineUnreachableError) throw o.error;
    if (failures.length || [...outcomes.values()].some((o) => o.state !== "done")) {
      // The cluster's own account of each failing pod: probes failing, images, scheduling.
      for (const f of failures) {
        const events = await cluster.events(plan.stack, f.service, 5).catch(() => []);
        if (events.length) f.healthOutput = events.join("\n");
      }
      const rollback = input.rollback !== false;
      const rolledBack = rollback ? await cluster.rollback(plan.stack, before) : [];
      if (rollback && before.description !== "nothing")
        rolledBack.push(await readyAgain(cluster, plan, clock));
      const describeHint = `\`kubectl -n ${cluster.namespace} describe pod -l dev.deloc.service=${failures[0]?.service ?? "<service>"}\``;
      throw new DeployFailedError(
        failures,
        rolledBack,
        rollback
          ? `Rolled back to what ran before (${before.description}): ${rolledBack.join("; ")}. Fix the cause above, then \`deloc up --target kubernetes\` again.`
          : `Nothing was rolled back (--no-rollback): ${describeHint} and \`deloc logs <service> --target kubernetes\` show more.`,
      );
    }
    await cluster.settle(plan);
    store.move(state, "running", "up");
    store.write(state);
    return { durationMs: Math.round(clock.now() - t0), readyAtMs };
  } catch (e) {
    for (const f of failures) store.move(state, "failed", f.message, f.service);
    for (const [name, rec] of Object.entries(state.services))
      if (rec.state === "deploying") store.move(state, "failed", "up failed", name);
    store.move(state, "failed", `up failed: ${(e as Error).message.split("\n")[0]}`);
    store.write(state);
    throw e;
  }
}

/** Sets a service's replicas on the cluster and remembers them, as `deloc scale` does on Docker. */
export async function scaleOnCluster(input: {
  cluster: ClusterAdapter;
  store: StateStore;
  plan: Plan;
  service: PlannedService;
  count: number;
}): Promise<void> {
  await input.cluster.scale(input.plan.stack, input.service.name, input.count);
  const state = input.store.read() ?? input.store.fresh();
  state.scale[input.service.name] = { replicas: input.count, fileReplicas: input.service.replicas };
  input.store.write(state);
}

/** Removes the stack from the cluster (claims too with `volumes`) and records it stopped. */
export async function downOnCluster(input: {
  cluster: ClusterAdapter;
  store: StateStore;
  stack: string;
  volumes: boolean;
}): Promise<string[]> {
  const gone = await input.cluster.remove(input.stack, { volumes: input.volumes });
  const state = input.store.read() ?? input.store.fresh();
  for (const s of Object.keys(state.services)) input.store.move(state, "stopped", "down", s);
  input.store.move(state, "stopped", "down");
  state.services = {};
  input.store.write(state);
  return gone;
}

/**
 * Restarts services on the cluster in start order, as `kubectl rollout restart` does (new pods
 * replace the old ones, one by one as the workload's strategy says), each waited for until it is
 * ready again before what depends on it restarts. The first failure stops the rest. One-shot tasks
 * are not restarted (their Job ran to completion). Returns the services restarted.
 */
export async function restartOnCluster(input: {
  cluster: ClusterAdapter;
  store: StateStore;
  plan: Plan;
  services: readonly string[];
  onEvent?: (e: DeployEvent) => void;
  clock?: Clock;
}): Promise<string[]> {
  const { cluster, store, plan } = input;
  const clock = input.clock ?? systemClock;
  const emit = emitter(input.onEvent, () => clock.now());
  const workloads = await cluster.workloads(plan.stack);
  for (const name of input.services) {
    const w = workloads.find((x) => x.service === name);
    if (!w || w.kind === "Job" || w.desired === 0)
      throw new NotDeployedError(
        `${name} has no ${!w ? "workload" : w.kind === "Job" ? "long-running workload (it is a one-shot task)" : "pods (it is stopped)"} on Kubernetes to restart.`,
        "`deloc up --target kubernetes` starts it.",
      );
  }
  const failures: ServiceFailure[] = [];
  const snapshot = throttled(() => cluster.workloads(plan.stack), POLL_MS, clock);
  const outcomes = await walk({
    steps: serviceSteps(plan.services.filter((s) => input.services.includes(s.name))),
    direction: "forward",
    limit: Number.POSITIVE_INFINITY,
    run: async ({ service: s }, started, signal) => {
      emit(s.name, "starting", "rolling out new pods");
      await cluster.restart(plan.stack, s.name);
      emit(s.name, "checking", "pods ready");
      const failure = await untilReady(cluster, plan.stack, s, {
        snapshot,
        deadline: clock.now() + deadlineOf(s),
        clock,
        signal,
        started,
      });
      if (failure) {
        failures.push(failure);
        emit(s.name, "failed", failure.message);
        throw new Error(failure.message);
      }
      emit(s.name, "ready", describe(await snapshot(), s.name));
    },
  });
  const done = plan.phases.flat().filter((n) => outcomes.get(n)?.state === "done");
  recordRestart(store, plan.stack, done, failures);
  if (failures.length)
    throw new DeployFailedError(
      failures,
      [],
      `\`deloc logs ${failures[0]!.service} --target kubernetes\` shows more.`,
    );
  return done;
}

/**
 * Stops services on the cluster (every one, or `services`) in reverse start order: each workload
 * scaled to no pods, and waited for until its pods are gone; claims and objects stay, and `up`
 * brings the replicas back. Returns the services stopped.
 */
export async function stopOnCluster(input: {
  cluster: ClusterAdapter;
  store: StateStore;
  stack: string;
  /** Its start order; without it (`--stack`, no stack file) every workload stops at once. */
  plan?: Plan;
  services?: readonly string[];
  clock?: Clock;
}): Promise<string[]> {
  const { cluster, store, stack } = input;
  const clock = input.clock ?? systemClock;
  const workloads = await cluster.workloads(stack);
  for (const name of input.services ?? [])
    if (!workloads.some((w) => w.service === name))
      throw new NotDeployedError(
        `${name} has no workload of stack ${stack} in namespace ${cluster.namespace}.`,
        `Deployed: ${workloads.map((w) => w.service).join(", ") || "nothing"}.`,
      );
  const state = store.read() ?? store.fresh();
  const stopped: string[] = [];
  const phases = input.plan?.phases ?? [workloads.map((w) => w.service)];
  for (const phase of [...phases].reverse()) {
    const now = phase.filter((name) => {
      const w = workloads.find((x) => x.service === name);
      return (!input.services || input.services.includes(name)) && w && w.kind !== "Job" && w.desired > 0;
    });
    await Promise.all(
      now.map(async (name) => {
        await cluster.scale(stack, name, 0);
        await untilPods(cluster, stack, name, (w) => w.pods.length === 0, STOP_MS, clock);
        store.move(state, "stopped", "stop", name);
        stopped.push(name);
      }),
    );
  }
  if (!input.services) store.move(state, "stopped", "stop");
  store.write(state);
  return stopped.sort();
}

/**
 * A service on the cluster as `deloc backup` and `restore` act on it: a dump through exec in its
 * pod, its claims read and written by a helper pod while the service is scaled to no pods, then
 * scaled back and waited for until it is ready.
 */
export async function clusterBackupTarget(
  cluster: ClusterAdapter,
  plan: Plan,
  service: PlannedService,
  store?: StateStore,
  clock: Clock = systemClock,
): Promise<BackupTarget> {
  const stack = plan.stack;
  const w = (await cluster.workloads(stack)).find((x) => x.service === service.name && x.kind !== "Job");
  return {
    stack,
    service,
    deployed: w !== undefined,
    running: (w?.running ?? 0) > 0,
    exec: (argv, io) => cluster.exec(stack, service.name, argv, io),
    stop: async () => {
      const replicas = w?.desired ?? 0;
      if (replicas > 0) {
        await cluster.scale(stack, service.name, 0);
        await untilPods(cluster, stack, service.name, (x) => x.pods.length === 0, STOP_MS, clock);
      }
      return async ({ all }) => {
        const n = all ? Math.max(replicas, service.replicas) : replicas;
        if (!w || n === 0) return;
        await cluster.scale(stack, service.name, n);
        const failure = await untilReady(cluster, stack, service, {
          snapshot: () => cluster.workloads(stack),
          deadline: clock.now() + deadlineOf(service),
          clock,
        });
        if (failure)
          throw new DeployFailedError(
            [failure],
            [],
            `\`deloc logs ${service.name} --target kubernetes\` shows more.`,
          );
      };
    },
    archiveVolume: (v, out) => cluster.archiveVolume(stack, service.name, v, out),
    restoreVolume: (v, tar) => cluster.restoreVolume(stack, service.name, v, tar),
    ...(store ? { store } : {}),
  };
}

/** How long what ran before may take to be ready again after a rollback. */
const READY_AGAIN_MS = 300_000;

/**
 * Waits, after a rollback, until what ran before is ready again (its workloads rolled back and
 * their pods Ready), so that `up` returns with the stack as it was; says which are not when they
 * are not in time.
 */
async function readyAgain(cluster: ClusterAdapter, plan: Plan, clock: Clock): Promise<string> {
  const end = clock.now() + READY_AGAIN_MS;
  for (;;) {
    const pending = (await cluster.workloads(plan.stack)).filter((w) => w.state !== "ready");
    if (!pending.length) return "what ran before is ready again";
    if (clock.now() > end)
      return `not ready again after ${READY_AGAIN_MS / 1000} s: ${pending.map((w) => `${w.service} (${w.detail})`).join(", ")}`;
    await clock.sleep(POLL_MS);
  }
}

/** How long a stopped service's pods may take to go. */
const STOP_MS = 120_000;

/** Polls the service's workload until `done` holds (true) or `ms` pass (false). */
async function untilPods(
  cluster: ClusterAdapter,
  stack: string,
  service: string,
  done: (w: WorkloadStatus) => boolean,
  ms: number,
  clock: Clock,
): Promise<boolean> {
  const end = clock.now() + ms;
  for (;;) {
    const w = (await cluster.workloads(stack)).find((x) => x.service === service);
    if (!w || done(w)) return true;
    if (clock.now() > end) return false;
    await clock.sleep(POLL_MS);
  }
}

/**
 * Waits until the service's workload is ready — its pods Ready (and, without a check, up a moment),
 * a Job completed — and returns null; or returns why it will not be: failed, killed for memory, or
 * not ready by `deadline`. An API server restarting is waited out within the deadline.
 */
async function untilReady(
  cluster: ClusterAdapter,
  stack: string,
  s: PlannedService,
  at: {
    snapshot: () => Promise<WorkloadStatus[]>;
    deadline: number;
    clock: Clock;
    signal?: AbortSignal;
    /** Called once its pods run (Ready or not): what a dependency on `started` waits for. */
    started?: () => void;
  },
): Promise<ServiceFailure | null> {
  const { clock, signal, deadline } = at;
  const seen = new Map<string, { restarts: number; since: number }>();
  for (;;) {
    let w: WorkloadStatus | undefined;
    try {
      w = (await at.snapshot()).find((x) => x.service === s.name);
    } catch (e) {
      if (!(e instanceof EngineUnreachableError) || clock.now() > deadline) throw e;
      if (signal?.aborted) return null;
      await clock.sleep(POLL_MS, signal);
      continue;
    }
    if (w && (w.running > 0 || w.state === "ready")) at.started?.();
    const settled = w ? upLongEnough(s, w.replicas, seen, clock.now()) : new Set<string>();
    // Killed for memory in a pod that is not (yet) ready and settled: this deploy's kill.
    const oom = w?.replicas.some((p) => p.oomKilled && !settled.has(p.pod)) ?? false;
    if (w?.state === "ready" && !oom && w.replicas.every((p) => !p.ready || settled.has(p.pod))) return null;
    if (w?.state === "failed" || oom || clock.now() > deadline)
      return {
        service: s.name,
        ...(oom
          ? {
              reason: "oom-killed",
              message: `killed for running out of memory (limit ${formatBytes(s.memoryBytes)})`,
              exitCode: 137,
              memoryLimitBytes: s.memoryBytes,
              suggestedMemoryBytes: suggestMemory(s.memoryBytes),
            }
          : {
              reason: "unhealthy",
              message:
                w?.state === "failed" ? w.detail : `not ready in time: ${w?.detail ?? "not created yet"}`,
            }),
        logTail: w ? await cluster.logTail(stack, s.name, 10).catch(() => []) : [],
      };
    if (signal?.aborted) return null;
    await clock.sleep(POLL_MS, signal);
  }
}

/**
 * The Ready pods that count as such. With a readiness probe, every Ready pod. Without one a pod is
 * Ready once its containers run, so, as on Docker, it must have stayed up a moment (longer after a
 * restart: a crash loop runs most of the time between its exits) — proven by the API server, whose
 * news may be `STATUS_LAG_MS` late: by the container's start time, or since this `up` first saw it
 * Ready at that restart count (`seen`, kept across polls), whichever is longer.
 */
function upLongEnough(
  s: PlannedService,
  pods: readonly PodStatus[],
  seen: Map<string, { restarts: number; since: number }>,
  now: number,
): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    if (!p.ready) {
      seen.delete(p.pod);
      continue;
    }
    if (s.healthCheck || s.oneShot) {
      out.add(p.pod);
      continue;
    }
    const was = seen.get(p.pod);
    if (!was || was.restarts !== p.restarts) seen.set(p.pod, { restarts: p.restarts, since: now });
    const since = seen.get(p.pod)!.since;
    const upMs = Math.max(p.startedAtMs !== undefined ? now - p.startedAtMs - 1000 : 0, now - since);
    const settle = p.restarts === 0 ? STARTED_SETTLE_MS.fresh : STARTED_SETTLE_MS.restarted;
    if (upMs - STATUS_LAG_MS >= settle) out.add(p.pod);
  }
  return out;
}

/** As patient as `up` on Docker, plus a minute to schedule the pod and pull its image. */
function deadlineOf(s: PlannedService): number {
  const h = s.healthCheck;
  return (h ? h.startPeriodMs + h.retries * h.intervalMs : 0) + SCHEDULE_MS;
}

function describe(workloads: readonly WorkloadStatus[], service: string): string {
  const w = workloads.find((x) => x.service === service);
  return !w ? "" : w.kind === "Job" ? "completed" : `${w.ready}/${w.desired} pods ready`;
}

/** One call in flight and one answer per `ms` shared by every caller. */
function throttled<T>(fetch: () => Promise<T>, ms: number, clock: Clock): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!last || clock.now() - last.at >= ms) last = { at: clock.now(), value: fetch() };
    return last.value;
  };
}
