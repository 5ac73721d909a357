/**
 * Execute: carries out reconciled operations. Images first (nothing is touched when one is
 * missing), then every service through the one walker as soon as its dependencies meet their
 * condition, within the strategy's cap. A failure stops the deploy and rolls back what this run
 * did — new containers removed, replaced ones put back — so what ran before is left as it was.
 */
import type { Adapter } from "../adapters/adapter.js";
import {
  asideName,
  type ContainerRequest,
  containerName,
  DeployFailedError,
  EngineUnreachableError,
  InterruptedError,
  networkName,
  type Operation,
  type Plan,
  type PlannedService,
  type ServiceFailure,
  volumeNames,
} from "../core/index.js";
import { type Clock, systemClock } from "./clock.js";
import { type DeployEvent, emitter } from "./events.js";
import { ensureImages, firstLine } from "./images.js";
import { LEFTOVER, reconcileContainers, reconcileResources } from "./reconcile.js";
import { maskSecrets, resolveEnv, resolveSecrets } from "./secrets.js";
import { rollBack, type Undo } from "./undo.js";
import { deadlineMs, waitUntilReady } from "./wait.js";
import { serviceSteps, strategyLimit, walk } from "./walker.js";
import { EventWatch } from "./watch.js";

export type { DeployEvent, ProgressStatus } from "./events.js";

export interface DeployInput {
  plan: Plan;
  adapter: Adapter;
  secrets: Readonly<Record<string, string>>;
  replicas?: Record<string, number>;
  build?: boolean;
  rollback: boolean;
  /** Override of every service's readiness deadline. */
  waitTimeoutMs?: number;
  deployedBy: string;
  runId: string;
  onEvent?: (e: DeployEvent) => void;
  clock?: Clock;
  signal?: AbortSignal;
  /** Only these services are deployed; the others are left as they run (`deloc watch`). @default all */
  only?: readonly string[];
}

export interface DeployResult {
  operations: Operation[];
  /** Services with a container started, recreated or resumed by this run. */
  changed: string[];
  removed: string[];
  /** When each service became ready, ms since the deploy began. */
  readyAtMs: Record<string, number>;
  durationMs: number;
}

export async function deploy(input: DeployInput): Promise<DeployResult> {
  const { plan, adapter } = input;
  const clock = input.clock ?? systemClock;
  const t0 = clock.now();
  const emit = emitter(input.onEvent, () => clock.now(), t0);
  const mask = (t: string) => maskSecrets(t, input.secrets);
  const undo: Undo[] = [];
  const images = [...new Set(plan.services.map((s) => s.image))];

  let observed = await adapter.observe(plan.stack, images);
  const resourceOps = reconcileResources(plan, observed, { build: input.build ?? false });
  await ensureImages(plan, adapter, resourceOps, emit);
  if (input.signal?.aborted) throw new InterruptedError(signalOf(input.signal), []);
  if (resourceOps.some((o) => o.kind === "build-image" || o.kind === "pull-image"))
    observed = {
      ...observed,
      images: Object.fromEntries(
        await Promise.all(images.map(async (i) => [i, (await adapter.imageId(i)) ?? ""] as const)),
      ),
    };

  for (const op of resourceOps) {
    if (op.kind === "create-network") {
      await adapter.ensureNetwork(plan.stack, op.name);
      undo.push({ kind: "network", name: op.name });
    } else if (op.kind === "create-volume") {
      await adapter.ensureVolume(plan.stack, op.name);
      undo.push({ kind: "volume", name: op.name });
    }
  }

  const mine = (service: string) => !input.only || input.only.includes(service);
  const containerOps = reconcileContainers(
    plan,
    observed,
    input.replicas ? { replicas: input.replicas } : {},
  ).filter((o) => !("service" in o) || mine(o.service));
  const operations = [...resourceOps, ...containerOps];
  const changed = new Set<string>();
  const readyAtMs: Record<string, number> = {};
  const failures: ServiceFailure[] = [];
  const lost: { engine: EngineUnreachableError | null } = { engine: null };
  const volumes = volumeNames(plan.stack, plan.volumes);
  const precreated = new Map<string, string>();
  const watch = EventWatch.follow(adapter, plan.stack);
  const { healthStartInterval } = await adapter.capabilities();

  const request = (s: PlannedService, replica: number): ContainerRequest => ({
    stack: plan.stack,
    service: s,
    replica,
    env: resolveEnv(s.env, input.secrets),
    network: networkName(plan.stack),
    volumeNames: volumes,
    publishPorts: replica === 1,
    deployedBy: input.deployedBy,
  });

  const createOnly = async (s: PlannedService, replica: number): Promise<string> => {
    const id = await adapter.createContainer(request(s, replica));
    undo.push({ kind: "created", service: s.name, id });
    changed.add(s.name);
    return id;
  };

  const opsOf = (s: PlannedService) => containerOps.filter((o) => "service" in o && o.service === s.name);

  const applyReplica = async (op: Operation, s: PlannedService): Promise<{ id: string; kept: boolean }> => {
    switch (op.kind) {
      case "keep":
        return { id: op.containerId, kept: true };
      case "resume":
        emit(s.name, "starting", `resuming replica ${op.replica}`);
        await adapter.startContainer(op.containerId);
        undo.push({ kind: "resumed", service: s.name, id: op.containerId });
        changed.add(s.name);
        return { id: op.containerId, kept: false };
      case "start": {
        emit(s.name, "starting", op.replica > 1 ? `replica ${op.replica}` : undefined);
        const id = precreated.get(`${s.name}#${op.replica}`) ?? (await createOnly(s, op.replica));
        await adapter.startContainer(id);
        return { id, kept: false };
      }
      case "recreate": {
        emit(s.name, "starting", `recreating replica ${op.replica}: ${op.reason}`);
        const name = containerName(plan.stack, s.name, op.replica);
        await adapter.stopContainer(op.containerId);
        await adapter.renameContainer(op.containerId, asideName(name, input.runId));
        const entry: Undo = {
          kind: "replaced",
          service: s.name,
          newId: null,
          oldId: op.containerId,
          oldName: name,
        };
        undo.push(entry);
        const id = await adapter.createContainer(request(s, op.replica));
        entry.newId = id;
        changed.add(s.name);
        await adapter.startContainer(id);
        return { id, kept: false };
      }
      default:
        throw new Error(`unexpected operation ${op.kind}`);
    }
  };

  const outcomes = await walk({
    steps: serviceSteps(plan.services.filter((s) => mine(s.name))),
    direction: "forward",
    limit: strategyLimit(plan.strategy, plan.maxParallel),
    ...(input.signal ? { signal: input.signal } : {}),
    // New containers are created while their dependencies come up, so only the start waits.
    prepare: async ({ service: s }) => {
      if (!s.dependsOn.length) return;
      emit(s.name, "waiting", s.dependsOn.map((d) => `${d.service} ${d.condition}`).join(", "));
      for (const op of opsOf(s))
        if (op.kind === "start") precreated.set(`${s.name}#${op.replica}`, await createOnly(s, op.replica));
    },
    run: async ({ service: s }, started, signal) => {
      const mine = opsOf(s);
      for (const o of mine)
        if (o.kind === "remove" && o.reason === LEFTOVER) await adapter.removeContainer(o.containerId);
      const ids: { id: string; kept: boolean }[] = [];
      for (const op of mine.filter((o) => o.kind !== "remove")) {
        if (signal.aborted) throw new Skipped();
        ids.push(await applyReplica(op, s));
      }
      started();
      const kept = ids.every((i) => i.kept);
      emit(
        s.name,
        "checking",
        kept ? "already running" : s.healthCheck ? "health check" : s.oneShot ? "running to completion" : "",
      );
      const results = await Promise.all(
        ids.map(({ id, kept }) =>
          waitUntilReady({
            adapter,
            containerId: id,
            service: s,
            clock,
            deadlineMs: deadlineMs(s, input.waitTimeoutMs),
            signal,
            resolve: (t) => resolveSecrets(t, input.secrets),
            mask,
            watch,
            engineStartInterval: healthStartInterval,
            justStarted: !kept,
          }),
        ),
      );
      const failed = results.find((r) => r !== null);
      if (failed) throw signal.aborted && failures.length ? new Skipped() : new ServiceFailed(failed);
      readyAtMs[s.name] = Math.round(clock.now() - t0);
      emit(s.name, kept ? "kept" : "ready");
    },
    onSettled: ({ service: s }, outcome) => {
      if (outcome.state === "skipped") emit(s.name, "skipped", "a service it needs failed");
      if (outcome.state !== "failed") return;
      const e = outcome.error;
      if (e instanceof Skipped) emit(s.name, "skipped", "a service it needs failed");
      else if (e instanceof ServiceFailed) {
        failures.push(e.failure);
        emit(s.name, "failed", e.failure.message);
      } else if (e instanceof EngineUnreachableError) {
        lost.engine ??= e;
        emit(s.name, "failed", "the engine stopped answering");
      } else {
        failures.push({ service: s.name, reason: "create-failed", message: firstLine(e), logTail: [] });
        emit(s.name, "failed", firstLine(e));
      }
    },
  });
  watch.close();
  const undoAll = async () => {
    const back = await rollBack(adapter, undo);
    for (const s of back) emit(s, "rolled back");
    return back;
  };

  // Stopped by the user: undo this run, whatever else happened.
  if (input.signal?.aborted) {
    const rolledBack = input.rollback ? await undoAll() : [];
    throw new InterruptedError(signalOf(input.signal), rolledBack);
  }
  // The engine went away: nothing can be undone now; the next `up` converges from what is left.
  if (lost.engine) {
    if (input.rollback) await undoAll();
    throw new EngineUnreachableError(
      lost.engine.message.split("\n")[0]!,
      [],
      "Start the engine again, then run `deloc up`: it takes what this run left half-done and converges. Your volumes are untouched.",
    );
  }
  if (failures.length || [...outcomes.values()].some((o) => o.state !== "done")) {
    const rolledBack = input.rollback ? await undoAll() : [];
    throw new DeployFailedError(
      failures,
      rolledBack,
      input.rollback
        ? "What this run started was removed and what ran before is back as it was. Fix the cause above, then `deloc up` again (`deloc logs <service>` shows more)."
        : "Nothing was rolled back (--no-rollback): the failed containers are left for you to inspect with `deloc logs` and `deloc status`.",
    );
  }

  // Success: what was kept aside, and what the plan no longer wants, goes.
  const removed: string[] = [];
  for (const u of undo) if (u.kind === "replaced") await adapter.removeContainer(u.oldId);
  for (const op of containerOps)
    if (op.kind === "remove" && op.reason !== LEFTOVER) {
      await adapter.removeContainer(op.containerId);
      removed.push(`${op.service}#${op.replica}`);
      emit(op.service, "removed", op.reason);
    }
  return {
    operations,
    changed: [...changed].sort(),
    removed,
    readyAtMs,
    durationMs: Math.round(clock.now() - t0),
  };
}

/** Not started, or stopped waiting, because another service failed first. */
class Skipped extends Error {}

/** A service that did not become ready: its failure, as the wait reported it. */
class ServiceFailed extends Error {
  constructor(readonly failure: ServiceFailure) {
    super(failure.message);
  }
}

function signalOf(signal: AbortSignal): "SIGINT" | "SIGTERM" {
  return signal.reason === "SIGTERM" ? "SIGTERM" : "SIGINT";
}
