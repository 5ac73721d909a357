/**
 * Stopping and removing a stack, from the engine's labels alone: these work when `.deloc/` is
 * gone or corrupt, and when the stack file changed since the deploy.
 */
import type { Adapter } from "../adapters/adapter.js";
import { networkName, type ObservedStack } from "../core/index.js";

export interface TeardownResult {
  containers: string[];
  volumes: string[];
  networks: string[];
}

/** Stops every container of the stack (dependents first would need the plan; stop order is by replica). */
export async function stopStack(
  adapter: Adapter,
  observed: ObservedStack,
  services?: readonly string[],
): Promise<string[]> {
  const targets = observed.containers.filter(
    (c) => (c.state === "running" || c.state === "restarting") && (!services || services.includes(c.service)),
  );
  await Promise.all(targets.map((c) => adapter.stopContainer(c.id)));
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
