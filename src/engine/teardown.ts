/**
 * Stopping and removing a stack, from the engine's labels alone: these work when `.deloc/` is
 * gone or corrupt, and when the stack file changed since the deploy.
 */
import type { Adapter } from "../adapters/adapter.js";
import { networkName, type ObservedStack, type Plan } from "../core/index.js";
import { type DeployEvent, emitter } from "./events.js";
import { walk } from "./walker.js";

export interface TeardownResult {
  containers: string[];
  volumes: string[];
  networks: string[];
}

/**
 * Stops the stack's running containers, dependents before what they need when the plan is known
 * (the one walker, backward); all at once from the labels alone otherwise.
 */
export async function stopStack(
  adapter: Adapter,
  observed: ObservedStack,
  opts: { services?: readonly string[]; plan?: Plan; onEvent?: (e: DeployEvent) => void } = {},
): Promise<string[]> {
  const targets = observed.containers.filter(
    (c) =>
      (c.state === "running" || c.state === "restarting") &&
      (!opts.services || opts.services.includes(c.service)),
  );
  const services = [...new Set(targets.map((c) => c.service))];
  const known = new Map(opts.plan?.services.map((s) => [s.name, s]) ?? []);
  const emit = emitter(opts.onEvent, () => performance.now());
  await walk({
    steps: services.map((name) => ({
      name,
      after: (known.get(name)?.dependsOn ?? []).map((d) => ({ name: d.service, gate: "done" as const })),
    })),
    direction: "backward",
    limit: Number.POSITIVE_INFINITY,
    run: async ({ name }) => {
      emit(name, "stopping");
      await Promise.all(targets.filter((c) => c.service === name).map((c) => adapter.stopContainer(c.id)));
      emit(name, "stopped");
    },
  }).then((outcomes) => {
    for (const o of outcomes.values()) if (o.state === "failed") throw o.error;
  });
  return targets.map((c) => c.name);
}

/** Removes containers and the network; volumes only when asked (`down --volumes`, `cleanup`). */
export async function removeStack(
  adapter: Adapter,
  observed: ObservedStack,
  opts: { volumes: boolean },
): Promise<TeardownResult> {
  await Promise.all(observed.containers.map((c) => adapter.removeContainer(c.id)));
  const networks = [...new Set([...observed.networks, networkName(observed.stack)])];
  for (const n of networks) await adapter.removeNetwork(n);
  if (opts.volumes) for (const v of observed.volumes) await adapter.removeVolume(v);
  return {
    containers: observed.containers.map((c) => c.name),
    volumes: opts.volumes ? observed.volumes : [],
    networks: observed.networks,
  };
}
