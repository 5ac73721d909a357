import net from "node:net";
import type { Catalog } from "../catalog/index.js";
import type { Budget, Plan, Stack } from "../core/index.js";
import { plan as makePlan } from "../planner/index.js";

/**
 * Which of these host ports something on this machine already listens on. Binding is the only
 * reliable test: connecting misses listeners on other addresses. Ports we may not bind
 * (below 1024 without privileges) count as free; the engine will say so if they are not.
 */
export async function probeTakenPorts(
  ports: Iterable<{ port: number; hostIp: string }>,
): Promise<Set<number>> {
  const taken = new Set<number>();
  await Promise.all(
    [...ports].map(
      ({ port, hostIp }) =>
        new Promise<void>((resolve) => {
          const server = net.createServer();
          server.once("error", (e: NodeJS.ErrnoException) => {
            if (e.code === "EADDRINUSE") taken.add(port);
            resolve();
          });
          server.listen({ port, host: hostIp, exclusive: true }, () => server.close(() => resolve()));
        }),
    ),
  );
  return taken;
}

/**
 * Plans, looks at which planned host ports are taken on this machine, and plans again around them.
 * Ports the stack's own containers hold (`own`) are not "taken": they are the stack's already.
 */
export async function planAroundTakenPorts(
  stack: Stack,
  catalog: Catalog,
  budget: Budget,
  own: ReadonlySet<number> = new Set(),
): Promise<Plan> {
  let taken = new Set<number>();
  let plan = makePlan(stack, catalog, budget, { takenPorts: taken });
  for (let round = 0; round < 5; round++) {
    const wanted = plan.services.flatMap((s) => s.ports.map((p) => ({ port: p.host, hostIp: p.hostIp })));
    const busy = await probeTakenPorts(wanted.filter((p) => !taken.has(p.port) && !own.has(p.port)));
    if (busy.size === 0) break;
    taken = new Set([...taken, ...busy]);
    plan = makePlan(stack, catalog, budget, { takenPorts: taken });
  }
  return plan;
}
