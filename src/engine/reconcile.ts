/**
 * Reconcile: the Plan and one observation of the engine → the operations that make the engine
 * match the plan. Pure; golden-tested. It decides, execute only carries out.
 */
import {
  containerName,
  networkName,
  type ObservedContainer,
  type ObservedStack,
  type Operation,
  type Plan,
  type PlannedService,
  volumeName,
} from "../core/index.js";

/** The reason on removals of containers an interrupted deploy kept aside. */
export const LEFTOVER = "left over from an interrupted run";

export interface ReconcileOptions {
  /** Replica counts that win over the plan's (set by `deloc scale`). */
  replicas?: Record<string, number>;
  /** Build images of services with a build context even when the image exists. */
  build?: boolean;
}

/**
 * Everything at once, for the tests and their golden file. A deploy (and `--dry-run`) runs the two halves apart: images first,
 * then containers against the image ids the builds produced, so an unchanged rebuild recreates nothing.
 */
export function reconcile(plan: Plan, observed: ObservedStack, opts: ReconcileOptions): Operation[] {
  return [...reconcileResources(plan, observed, opts), ...reconcileContainers(plan, observed, opts)];
}

/** The network, the volumes and the images the plan needs and the engine lacks. */
export function reconcileResources(
  plan: Plan,
  observed: ObservedStack,
  opts: Pick<ReconcileOptions, "build">,
): Operation[] {
  const ops: Operation[] = [];
  const network = networkName(plan.stack);
  if (!observed.networks.includes(network)) ops.push({ kind: "create-network", name: network });
  for (const v of plan.volumes) {
    const name = volumeName(plan.stack, v);
    if (!observed.volumes.includes(name)) ops.push({ kind: "create-volume", name });
  }

  const imageOps = new Map<string, Operation>();
  for (const s of plan.services) {
    if (imageOps.has(s.image)) continue;
    if (s.build && (opts.build || !observed.images[s.image]))
      imageOps.set(s.image, { kind: "build-image", service: s.name, image: s.image });
    else if (!s.build && !observed.images[s.image])
      imageOps.set(s.image, { kind: "pull-image", service: s.name, image: s.image });
  }
  ops.push(...imageOps.values());
  return ops;
}

/** Per replica: start, keep, resume or recreate; and what the plan no longer wants, removed. */
export function reconcileContainers(
  plan: Plan,
  observed: ObservedStack,
  opts: ReconcileOptions,
): Operation[] {
  const ops: Operation[] = [];
  const planned = new Set(plan.services.map((s) => s.name));
  for (const s of plan.services) {
    const want = opts.replicas?.[s.name] ?? s.replicas;
    const mine = observed.containers.filter((c) => c.service === s.name);
    for (let replica = 1; replica <= want; replica++) {
      const found = mine.filter((c) => c.replica === replica);
      const canonical = found.find((c) => c.name === containerName(plan.stack, s.name, replica));
      // Leftovers of an interrupted deploy (a container kept aside) go; the canonical one decides.
      for (const extra of found)
        if (extra !== canonical)
          ops.push({ kind: "remove", service: s.name, replica, containerId: extra.id, reason: LEFTOVER });
      ops.push(replicaOp(s, replica, canonical, observed));
    }
    for (const c of mine.filter((c) => c.replica > want))
      ops.push({
        kind: "remove",
        service: s.name,
        replica: c.replica,
        containerId: c.id,
        reason: `scaled to ${want}`,
      });
  }
  for (const c of observed.containers.filter((c) => !planned.has(c.service)))
    ops.push({
      kind: "remove",
      service: c.service,
      replica: c.replica,
      containerId: c.id,
      reason: "no longer in the stack",
    });
  return ops;
}

function replicaOp(
  s: PlannedService,
  replica: number,
  c: ObservedContainer | undefined,
  observed: ObservedStack,
): Operation {
  if (!c) return { kind: "start", service: s.name, replica, reason: "new" };
  const recreate = (reason: string): Operation => ({
    kind: "recreate",
    service: s.name,
    replica,
    containerId: c.id,
    reason,
  });
  if (c.hash !== s.hash) return recreate("configuration changed");
  const current = observed.images[s.image];
  if (current && c.imageId && current !== c.imageId) return recreate("image changed");
  if (s.oneShot) {
    if (c.state === "exited" && c.exitCode === 0)
      return { kind: "keep", service: s.name, replica, containerId: c.id };
    if (c.state === "exited" || c.state === "dead") return recreate(`last run exited with ${c.exitCode}`);
    return { kind: "keep", service: s.name, replica, containerId: c.id };
  }
  if (c.state === "running" || c.state === "restarting")
    return { kind: "keep", service: s.name, replica, containerId: c.id };
  if (c.state === "dead") return recreate("container is dead");
  return { kind: "resume", service: s.name, replica, containerId: c.id };
}

/** True when applying the operations would change nothing. */
export function isNoop(ops: readonly Operation[]): boolean {
  return ops.every((o) => o.kind === "keep");
}
