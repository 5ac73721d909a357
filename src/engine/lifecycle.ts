/**
 * The commands that change what runs — up, scale, restart, stop, down, cleanup — as the engine
 * carries them out: each walks the services with the one walker, and makes every lifecycle
 * transition itself, in the state file and the event log. `cli/` only plans, calls these and
 * renders the events they emit.
 */
import type { Adapter } from "../adapters/adapter.js";
import {
  canTransition,
  DeployFailedError,
  formatBytes,
  InsufficientMemoryError,
  type LifecycleState,
  NotDeployedError,
  type ObservedStack,
  type Plan,
  type ServiceFailure,
  volumeName,
} from "../core/index.js";
import { systemClock } from "./clock.js";
import { type DeployInput, type DeployResult, deploy } from "./deploy.js";
import { emitter } from "./events.js";
import { ensureImages } from "./images.js";
import { maskSecrets, resolveSecrets } from "./secrets.js";
import type { StackState, StateStore } from "./state.js";
import { removeStack, stopStack, type TeardownResult } from "./teardown.js";
import { deadlineMs, waitUntilReady } from "./wait.js";
import { serviceSteps, strategyLimit, walk } from "./walker.js";

export interface UpInput extends DeployInput {
  store: StateStore;
  /** Where it runs, for the event log (`up on unix:///var/run/docker.sock`). */
  endpoint: string;
  /** The sizing flags of this `up`, which later commands plan with. */
  flags: Record<string, string>;
}

/** Deploys the plan, recording each service's way from deploying to running (or back, on failure). */
export async function upStack(input: UpInput): Promise<DeployResult> {
  const { plan, adapter, store } = input;
  const state = store.read() ?? store.fresh();
  store.move(state, "deploying", `up on ${input.endpoint}`);
  store.write(state);
  try {
    const result = await deploy({
      ...input,
      onEvent: (e) => {
        input.onEvent?.(e);
        if (e.status === "ready") store.move(state, "running", "ready", e.service);
        else if (e.status === "starting" && state.services[e.service]?.state !== "deploying")
          store.move(state, "deploying", e.detail ?? "starting", e.service);
      },
    });
    const fresh = await adapter.observe(plan.stack);
    for (const s of plan.services) {
      const was = state.services[s.name]?.state ?? "stopped";
      // A service kept as it ran (after a failed run, say) was redeployed by this run all the same.
      if (!canTransition(was, "running")) store.move(state, "deploying", "up", s.name);
      store.move(state, "running", "ready", s.name);
      const rec = state.services[s.name]!;
      rec.hash = s.hash;
      rec.containers = fresh.containers.filter((c) => c.service === s.name).map((c) => c.id);
    }
    state.hostPorts = [...new Set(fresh.containers.flatMap((c) => c.hostPorts))].sort((a, b) => a - b);
    state.flags = input.flags;
    for (const gone of Object.keys(state.services))
      if (!plan.services.some((s) => s.name === gone)) delete state.services[gone];
    store.move(
      state,
      "running",
      result.changed.length ? `changed: ${result.changed.join(", ")}` : "nothing to change",
    );
    store.write(state);
    return result;
  } catch (e) {
    await settleAfterFailure(adapter, store, state, plan.stack, e, input.rollback);
    throw e;
  }
}

/**
 * After a failed or interrupted deploy the state says what runs now, after the rollback:
 * "failed" when the engine is gone and nobody knows, until the next `up` converges.
 */
async function settleAfterFailure(
  adapter: Adapter,
  store: StateStore,
  state: StackState,
  stack: string,
  e: unknown,
  rollback: boolean,
): Promise<void> {
  const now = await adapter.observe(stack).catch(() => null);
  const settled = (service?: string): LifecycleState =>
    now === null
      ? "failed"
      : now.containers.some((c) => c.state === "running" && (service === undefined || c.service === service))
        ? "running"
        : "stopped";
  let reason = `up stopped: ${(e as Error).message.split("\n")[0]}`;
  if (e instanceof DeployFailedError) {
    for (const f of e.failures)
      if (state.services[f.service]) store.move(state, "failed", f.message, f.service);
    const failures = e.failures.map((f) => `${f.service}: ${f.message}`).join("; ");
    reason = rollback ? `rolled back after: ${failures}` : failures;
  }
  for (const [name, rec] of Object.entries(state.services))
    if (rec.state === "deploying") store.move(state, settled(name), reason, name);
  const failedInPlace = e instanceof DeployFailedError && !rollback;
  store.move(state, failedInPlace ? "failed" : settled(), reason);
  store.write(state);
}

export interface ScaleInput extends Omit<DeployInput, "rollback"> {
  store: StateStore;
  service: string;
  /** The replica count asked for. */
  count: number;
}

/** Scales one service (the others as they run); a failed scale is rolled back to the replicas before. */
export async function scaleService(input: ScaleInput): Promise<DeployResult> {
  const { plan, store, service: name, count: n } = input;
  const s = plan.services.find((p) => p.name === name)!;
  const replicas = { ...input.replicas, [name]: n };
  const total = plan.services.reduce((sum, p) => sum + p.memoryBytes * (replicas[p.name] ?? p.replicas), 0);
  if (total > plan.budget.memoryBytes) {
    const shortfall = total - plan.budget.memoryBytes;
    throw new InsufficientMemoryError(
      `${n} replicas of ${name} need ${formatBytes(total)} for the stack; the budget is ${formatBytes(plan.budget.memoryBytes)} (${formatBytes(shortfall)} short).`,
      `Scale to fewer replicas, or stop a service you do not need.`,
      {
        budgetBytes: plan.budget.memoryBytes,
        neededBytes: total,
        shortfallBytes: shortfall,
        profile: plan.profile,
        needs: [{ service: name, replicas: n, minimumBytes: s.memoryBytes * n }],
      },
    );
  }
  const state = store.read() ?? store.fresh();
  store.move(state, "scaling", `${name} to ${n}`);
  store.write(state);
  try {
    const result = await deploy({ ...input, replicas, rollback: true });
    state.scale[name] = { replicas: n, fileReplicas: s.replicas };
    store.move(state, "running", `${name} scaled to ${n}`);
    store.write(state);
    return result;
  } catch (e) {
    const rolledBack = e instanceof DeployFailedError && e.rolledBack.length > 0;
    store.move(
      state,
      rolledBack ? "running" : "failed",
      `scaling ${name} to ${n} failed${rolledBack ? "; rolled back" : ""}`,
    );
    store.write(state);
    throw e;
  }
}

export interface StopInput {
  adapter: Adapter;
  store: StateStore;
  observed: ObservedStack;
  /** Only these services; all when absent. */
  services?: readonly string[];
  /** The plan when there is one: dependents stop before what they need. */
  plan?: Plan;
  onEvent?: DeployInput["onEvent"];
}

/** Stops services (dependents first when the plan is known) and records them stopped. */
export async function stopServices(input: StopInput): Promise<string[]> {
  const { store, services } = input;
  const stopped = await stopStack(input.adapter, input.observed, {
    ...(services ? { services } : {}),
    ...(input.plan ? { plan: input.plan } : {}),
    ...(input.onEvent ? { onEvent: input.onEvent } : {}),
  });
  const state = store.read() ?? store.fresh();
  for (const s of new Set(
    input.observed.containers.filter((c) => !services || services.includes(c.service)).map((c) => c.service),
  ))
    if (state.services[s]) store.move(state, "stopped", `deloc ${store.command}`, s);
  if (!services && state.state !== "stopped") store.move(state, "stopped", `deloc ${store.command}`);
  store.write(state);
  return stopped;
}

/** Stops and removes the stack's containers and network (volumes too when asked); records it stopped. */
export async function downStack(
  input: Omit<StopInput, "services"> & { volumes: boolean },
): Promise<TeardownResult> {
  const { adapter, store, observed } = input;
  await stopStack(adapter, observed, {
    ...(input.plan ? { plan: input.plan } : {}),
    ...(input.onEvent ? { onEvent: input.onEvent } : {}),
  });
  const removed = await removeStack(adapter, observed, { volumes: input.volumes });
  const state = store.read() ?? store.fresh();
  const reason = input.volumes ? "deloc down --volumes" : `deloc ${store.command}`;
  for (const s of Object.keys(state.services)) store.move(state, "stopped", reason, s);
  if (state.state !== "stopped") store.move(state, "stopped", reason);
  state.services = {};
  store.write(state);
  return removed;
}

export interface RestartInput {
  adapter: Adapter;
  store: StateStore;
  plan: Plan;
  observed: ObservedStack;
  secrets: Readonly<Record<string, string>>;
  services: readonly string[];
  onEvent?: DeployInput["onEvent"];
}

/**
 * Restarts services in start order — each comes back after what it needs is ready again — within
 * the strategy's cap, each waited for as `up` waits. The first failure stops the rest.
 */
export async function restartServices(input: RestartInput): Promise<string[]> {
  const { adapter, plan, observed, store } = input;
  for (const name of input.services)
    if (!observed.containers.some((c) => c.service === name))
      throw new NotDeployedError(`${name} has no container on the engine.`, "`deloc up` deploys it.");
  const clock = systemClock;
  const emit = emitter(input.onEvent, () => clock.now());
  const failures: ServiceFailure[] = [];
  const outcomes = await walk({
    steps: serviceSteps(plan.services.filter((s) => input.services.includes(s.name))),
    direction: "forward",
    limit: strategyLimit(plan.strategy, plan.maxParallel),
    run: async ({ service: s }, started, signal) => {
      const name = s.name;
      const ids = observed.containers.filter((c) => c.service === name).map((c) => c.id);
      emit(name, "stopping");
      for (const id of ids) await adapter.stopContainer(id);
      emit(name, "starting");
      for (const id of ids) await adapter.startContainer(id);
      started();
      emit(name, "checking", s.healthCheck ? "health check" : "");
      const results = await Promise.all(
        ids.map((containerId) =>
          waitUntilReady({
            adapter,
            containerId,
            service: s,
            clock,
            deadlineMs: deadlineMs(s),
            signal,
            resolve: (t) => resolveSecrets(t, input.secrets),
            mask: (t) => maskSecrets(t, input.secrets),
            justStarted: true,
          }),
        ),
      );
      const failed = results.filter((r) => r !== null);
      if (failed.length) {
        failures.push(...failed);
        emit(name, "failed", failed[0]!.message);
        throw new Error(failed[0]!.message);
      }
      emit(name, "ready");
    },
  });
  const order = plan.phases.flat().filter((s) => input.services.includes(s));
  const done = order.filter((s) => outcomes.get(s)?.state === "done");
  recordRestart(store, plan.stack, done, failures);
  if (failures.length)
    throw new DeployFailedError(failures, [], `\`deloc logs ${failures[0]!.service}\` shows more.`);
  return done;
}

/** A restart in the state (the services that failed it) and the event log (what restarted, where it failed). */
export function recordRestart(
  store: StateStore,
  stack: string,
  done: readonly string[],
  failures: readonly ServiceFailure[],
): void {
  const state = store.read() ?? store.fresh();
  for (const f of failures) if (state.services[f.service]) store.move(state, "failed", f.message, f.service);
  if (failures.length) store.write(state);
  store.append({
    time: new Date().toISOString(),
    stack,
    from: state.state,
    to: state.state,
    reason: failures.length
      ? `restart failed at ${failures.map((f) => f.service).join(", ")}; restarted ${done.join(", ") || "nothing"}`
      : `restarted ${done.join(", ")}`,
    command: store.command,
  });
}

/** A named volume a command would delete (or overwrite), with what the engine says it holds. */
export interface VolumeAtRisk {
  name: string;
  /** Bytes on disk; null when the engine has not computed it. */
  bytes: number | null;
  /** The plan's services that mount it (none known without a plan). */
  services: string[];
}

/**
 * The stack's named volumes on the engine — only those of `services` when given — with their sizes
 * and the services that use them: what `down --volumes`, `cleanup` and `restore` would destroy.
 */
export async function volumesAtRisk(
  adapter: Adapter,
  observed: ObservedStack,
  opts: { plan?: Plan; services?: readonly string[] } = {},
): Promise<VolumeAtRisk[]> {
  const users = new Map<string, string[]>();
  for (const s of opts.plan?.services ?? [])
    for (const v of s.volumes)
      if (v.type === "volume") {
        const name = volumeName(opts.plan!.stack, v.source);
        users.set(name, [...(users.get(name) ?? []), s.name]);
      }
  const names = observed.volumes.filter(
    (v) => !opts.services || (users.get(v) ?? []).some((s) => opts.services!.includes(s)),
  );
  const sizes = await adapter.volumeSizes(names);
  return names.map((name) => ({ name, bytes: sizes[name] ?? null, services: users.get(name) ?? [] }));
}

export interface RedeployInput extends Omit<DeployInput, "rollback" | "only" | "build"> {
  store: StateStore;
  service: string;
  /** Build the service's image first (its build context changed). */
  rebuild: boolean;
}

/**
 * `deloc watch`: rebuilds one service's image and recreates its containers when the image changed,
 * health-gated, the rest of the stack left as it runs; a failure puts the old containers back.
 */
export async function redeployService(input: RedeployInput): Promise<DeployResult> {
  const { plan, adapter, store, service: name } = input;
  const s = plan.services.find((p) => p.name === name)!;
  const state = store.read() ?? store.fresh();
  try {
    if (input.rebuild && s.build) {
      const clock = input.clock ?? systemClock;
      const emit = emitter(input.onEvent, () => clock.now());
      await ensureImages(plan, adapter, [{ kind: "build-image", service: name, image: s.image }], emit);
    }
    const result = await deploy({ ...input, only: [name], rollback: true });
    if (result.changed.includes(name)) {
      if (state.services[name] && !canTransition(state.services[name]!.state, "running"))
        store.move(state, "deploying", "deloc watch", name);
      store.move(
        state,
        "running",
        input.rebuild ? "rebuilt by deloc watch" : "recreated by deloc watch",
        name,
      );
      const rec = state.services[name];
      if (rec) rec.hash = s.hash;
      store.write(state);
    }
    return result;
  } catch (e) {
    // What ran before is back (rolled back): the service's state stays as it was; the log says why.
    store.append({
      time: new Date().toISOString(),
      stack: plan.stack,
      from: state.state,
      to: state.state,
      reason: `deloc watch could not redeploy ${name}: ${(e as Error).message.split("\n")[0]}`,
      command: store.command,
    });
    throw e;
  }
}
