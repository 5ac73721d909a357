/**
 * The engine on a cluster target: the same walk, waits, lifecycle and errors as on a container
 * engine, over a `ClusterAdapter`. The plan's objects are applied at once (the pods' init containers
 * hold the start order inside the cluster); the walker then waits for each service in dependency
 * order — `started` means its pods run, `healthy` that they are Ready, a Job that it completed — and
 * a service fails fast on a reason that will not clear.
 */
import type { ClusterAdapter, WorkloadStatus } from "../adapters/adapter.js";
import { DeployFailedError, type Plan, type PlannedService, type ServiceFailure } from "../core/index.js";
import { type Clock, systemClock } from "./clock.js";
import { type DeployEvent, emitter } from "./events.js";
import type { StateStore } from "./state.js";
import { serviceSteps, walk } from "./walker.js";

/** How often the cluster is asked, at most: one listing serves every service waiting. */
const POLL_MS = 1000;
/** Scheduling a pod and pulling its image, on top of a service's own readiness deadline. */
const SCHEDULE_MS = 60_000;

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
        const deadline = clock.now() + (input.waitTimeoutMs ?? deadlineOf(s));
        for (;;) {
          const w = (await snapshot()).find((x) => x.service === s.name);
          if (w && (w.running > 0 || w.state === "ready")) started();
          if (w?.state === "ready") break;
          if (w?.state === "failed" || clock.now() > deadline) {
            const failure: ServiceFailure = {
              service: s.name,
              reason: w?.oomKilled ? "oom-killed" : "unhealthy",
              message:
                w?.state === "failed" ? w.detail : `not ready in time: ${w?.detail ?? "not created yet"}`,
              logTail: w ? await cluster.logTail(plan.stack, s.name, 10).catch(() => []) : [],
            };
            failures.push(failure);
            emit(s.name, "failed", failure.message);
            throw new Error(failure.message);
          }
          if (signal.aborted) return;
          await clock.sleep(POLL_MS, signal);
        }
        readyAtMs[s.name] = Math.round(clock.now() - t0);
        store.move(state, "running", "ready", s.name);
        emit(s.name, "ready", describe(await snapshot(), s.name));
      },
      onSettled: ({ service: s }, outcome) => {
        if (outcome.state === "skipped") emit(s.name, "skipped", "a service it needs failed");
      },
    });
    if (failures.length || [...outcomes.values()].some((o) => o.state !== "done")) {
      // The cluster's own account of each failing pod: probes failing, images, scheduling.
      for (const f of failures) {
        const events = await cluster.events(plan.stack, f.service, 5).catch(() => []);
        if (events.length) f.healthOutput = events.join("\n");
      }
      const rollback = input.rollback !== false;
      const rolledBack = rollback ? await cluster.rollback(plan.stack, before) : [];
      const describeHint = `\`kubectl -n ${cluster.namespace} describe pod -l dev.deloc.service=${failures[0]?.service ?? "<service>"}\``;
      throw new DeployFailedError(
        failures,
        rolledBack,
        rollback
          ? `Rolled back to what ran before (${before.description}): ${rolledBack.join("; ")}. Fix the cause above, then \`deloc up --target kubernetes\` again.`
          : `Nothing was rolled back (--no-rollback): ${describeHint} and \`deloc logs <service> --target kubernetes\` show more.`,
      );
    }
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
