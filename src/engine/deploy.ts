/**
 * Execute: carries out reconciled operations. Images first (nothing is touched when one is
 * missing), then every service as soon as its dependencies meet their condition, with the
 * strategy's concurrency. A failure stops the deploy and rolls back what this run did — new
 * containers removed, replaced ones put back — so what ran before is left as it was.
 */
import type { Adapter } from "../adapters/adapter.js";
import {
  asideName,
  type ContainerRequest,
  containerName,
  DelocError,
  DeployFailedError,
  EngineUnreachableError,
  ImageUnavailableError,
  InterruptedError,
  LABEL_STACK,
  type MissingImage,
  networkName,
  type Operation,
  type Plan,
  type PlannedService,
  type ServiceFailure,
  volumeNames,
} from "../core/index.js";
import { type Clock, systemClock } from "./clock.js";
import { LEFTOVER, reconcileContainers, reconcileResources } from "./reconcile.js";
import { maskSecrets, resolveEnv, resolveSecrets } from "./secrets.js";
import { deadlineMs, waitUntilReady } from "./wait.js";

export type ProgressStatus =
  | "waiting"
  | "pulling"
  | "building"
  | "starting"
  | "checking"
  | "ready"
  | "kept"
  | "failed"
  | "skipped"
  | "rolled back"
  | "removed";

export interface DeployEvent {
  service: string;
  status: ProgressStatus;
  detail?: string;
  /** Milliseconds since the deploy began. */
  atMs: number;
}

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

/** What this run did, in order, so a failure can undo exactly that. */
type Undo =
  | { kind: "network"; name: string }
  | { kind: "volume"; name: string }
  | { kind: "created"; service: string; id: string }
  | { kind: "replaced"; service: string; newId: string | null; oldId: string; oldName: string }
  | { kind: "resumed"; service: string; id: string };

export async function deploy(input: DeployInput): Promise<DeployResult> {
  const { plan, adapter } = input;
  const clock = input.clock ?? systemClock;
  const t0 = clock.now();
  const emit = (service: string, status: ProgressStatus, detail?: string) =>
    input.onEvent?.({ service, status, atMs: Math.round(clock.now() - t0), ...(detail ? { detail } : {}) });
  const mask = (t: string) => maskSecrets(t, input.secrets);
  const undo: Undo[] = [];
  const images = [...new Set(plan.services.map((s) => s.image))];

  let observed = await adapter.observe(plan.stack, images);
  const resourceOps = reconcileResources(plan, observed, { build: input.build ?? false });
  const byName = new Map(plan.services.map((s) => [s.name, s]));

  // Images first: a missing image fails the deploy before anything else changes. Pulls are all
  // tried, so one error names every image that is missing.
  const missing: MissingImage[] = [];
  for (const op of resourceOps) {
    if (op.kind !== "pull-image" && op.kind !== "build-image") continue;
    const s = byName.get(op.service)!;
    if (op.kind === "build-image") {
      emit(s.name, "building", op.image);
      try {
        await adapter.buildImage(op.image, s.build!, { [LABEL_STACK]: plan.stack }, (l) =>
          emit(s.name, "building", l),
        );
      } catch (e) {
        // DELoc's own errors (BuildKit unavailable, the engine gone) keep their code and fix.
        if (e instanceof DelocError) throw e;
        throw new DeployFailedError(
          [
            {
              service: s.name,
              reason: "build-failed",
              message: `could not build ${op.image} from ${s.build!.context}`,
              logTail: String((e as Error).message ?? e)
                .split("\n")
                .slice(-15),
            },
          ],
          [],
          "Fix the Dockerfile (the build output is above) and run `deloc up` again.",
        );
      }
    } else {
      emit(s.name, "pulling", op.image);
      try {
        await adapter.pullImage(op.image, (l) => emit(s.name, "pulling", l));
      } catch (e) {
        missing.push({ image: op.image, service: s.name, reason: firstLine(e) });
        emit(s.name, "failed", `image ${op.image} unavailable`);
      }
    }
  }
  if (missing.length) throw new ImageUnavailableError(missing);
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

  const containerOps = reconcileContainers(
    plan,
    observed,
    input.replicas ? { replicas: input.replicas } : {},
  );
  const operations = [...resourceOps, ...containerOps];
  const changed = new Set<string>();
  const readyAtMs: Record<string, number> = {};
  const failures: ServiceFailure[] = [];
  const lost: { engine: EngineUnreachableError | null } = { engine: null };
  const abort = new AbortController();
  input.signal?.addEventListener("abort", () => abort.abort(), { once: true });
  const limit =
    plan.strategy === "sequential"
      ? 1
      : plan.strategy === "hybrid"
        ? plan.maxParallel
        : Number.POSITIVE_INFINITY;
  const slots = new Semaphore(limit);
  const volumes = volumeNames(plan.stack, plan.volumes);

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

  const started = new Map<string, Deferred>();
  const ready = new Map<string, Deferred>();
  for (const s of plan.services) {
    started.set(s.name, new Deferred());
    ready.set(s.name, new Deferred());
  }

  const runService = async (s: PlannedService): Promise<void> => {
    const mine = containerOps.filter((o) => "service" in o && o.service === s.name);
    const ops = mine.filter((o) => o.kind !== "remove");
    const leftovers = mine.filter((o) => o.kind === "remove" && o.reason === LEFTOVER);
    if (s.dependsOn.length) {
      emit(s.name, "waiting", s.dependsOn.map((d) => `${d.service} ${d.condition}`).join(", "));
      // New containers are created while their dependencies come up, so only the start waits.
      for (const op of ops)
        if (op.kind === "start") precreated.set(`${s.name}#${op.replica}`, await createOnly(s, op.replica));
    }
    for (const d of s.dependsOn) await (d.condition === "started" ? started : ready).get(d.service)!.promise;
    if (abort.signal.aborted) throw new Skipped();
    await slots.acquire();
    try {
      for (const o of leftovers) if (o.kind === "remove") await adapter.removeContainer(o.containerId);
      const ids: { id: string; kept: boolean }[] = [];
      for (const op of ops) {
        if (abort.signal.aborted) throw new Skipped();
        ids.push(await applyReplica(op, s));
      }
      started.get(s.name)!.resolve();
      if (ids.every((i) => i.kept)) emit(s.name, "checking", "already running");
      else
        emit(s.name, "checking", s.healthCheck ? "health check" : s.oneShot ? "running to completion" : "");
      const results = await Promise.all(
        ids.map(({ id }) =>
          waitUntilReady({
            adapter,
            containerId: id,
            service: s,
            clock,
            deadlineMs: deadlineMs(s, input.waitTimeoutMs),
            signal: abort.signal,
            resolve: (t) => resolveSecrets(t, input.secrets),
            mask,
          }),
        ),
      );
      const failed = results.find((r) => r !== null);
      if (failed) {
        if (abort.signal.aborted && failures.length) throw new Skipped();
        failures.push(failed);
        emit(s.name, "failed", failed.message);
        abort.abort();
        throw failed;
      }
      readyAtMs[s.name] = Math.round(clock.now() - t0);
      emit(s.name, ids.every((i) => i.kept) ? "kept" : "ready");
      ready.get(s.name)!.resolve();
    } finally {
      slots.release();
    }
  };

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

  const precreated = new Map<string, string>();
  const createOnly = async (s: PlannedService, replica: number): Promise<string> => {
    const id = await adapter.createContainer(request(s, replica));
    undo.push({ kind: "created", service: s.name, id });
    changed.add(s.name);
    return id;
  };

  await Promise.allSettled(
    plan.services.map((s) =>
      runService(s).catch((e: unknown) => {
        started.get(s.name)!.reject(e);
        ready.get(s.name)!.reject(e);
        if (e instanceof Skipped) emit(s.name, "skipped", "a service it needs failed");
        else if (e instanceof EngineUnreachableError) {
          lost.engine ??= e;
          emit(s.name, "failed", "the engine stopped answering");
          abort.abort();
        } else if (!failures.some((f) => f === e)) {
          failures.push({ service: s.name, reason: "create-failed", message: firstLine(e), logTail: [] });
          emit(s.name, "failed", firstLine(e));
          abort.abort();
        }
        throw e;
      }),
    ),
  );

  // Stopped by the user: undo this run, whatever else happened.
  if (input.signal?.aborted) {
    const rolledBack = input.rollback ? await rollBack(adapter, undo, emit) : [];
    throw new InterruptedError(signalOf(input.signal), rolledBack);
  }
  // The engine went away: nothing can be undone now; the next `up` converges from what is left.
  if (lost.engine) {
    if (input.rollback) await rollBack(adapter, undo, emit);
    throw new EngineUnreachableError(
      lost.engine.message.split("\n")[0]!,
      [],
      "Start the engine again, then run `deloc up`: it takes what this run left half-done and converges. Your volumes are untouched.",
    );
  }
  if (failures.length) {
    const rolledBack = input.rollback ? await rollBack(adapter, undo, emit) : [];
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

async function rollBack(
  adapter: Adapter,
  undo: readonly Undo[],
  emit: (service: string, status: ProgressStatus, detail?: string) => void,
): Promise<string[]> {
  const touched = new Set<string>();
  for (const u of [...undo].reverse()) {
    try {
      switch (u.kind) {
        case "created":
          await adapter.removeContainer(u.id);
          touched.add(u.service);
          break;
        case "replaced":
          if (u.newId) await adapter.removeContainer(u.newId);
          await adapter.renameContainer(u.oldId, u.oldName);
          await adapter.startContainer(u.oldId);
          touched.add(u.service);
          break;
        case "resumed":
          await adapter.stopContainer(u.id);
          touched.add(u.service);
          break;
        case "volume":
          await adapter.removeVolume(u.name);
          break;
        case "network":
          await adapter.removeNetwork(u.name);
          break;
      }
    } catch {
      // keep undoing the rest; `deloc status` shows anything left
    }
  }
  for (const s of touched) emit(s, "rolled back");
  return [...touched].sort();
}

class Skipped extends Error {}

class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => undefined);
  }
}

class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.queue.push(r));
    this.active++;
  }
  release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

function signalOf(signal: AbortSignal): "SIGINT" | "SIGTERM" {
  return signal.reason === "SIGTERM" ? "SIGTERM" : "SIGINT";
}
