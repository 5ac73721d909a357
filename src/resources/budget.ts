import type { Budget } from "../core/index.js";
import type { HostFacts } from "./detect.js";

/** Share of the host memory kept for the OS, the desktop and the engine itself. */
export const OS_RESERVE_RATIO = 0.2;
/** Share of what is left kept back, so services never fill memory to the last byte. */
export const SAFETY_MARGIN_RATIO = 0.1;

export interface CapacityOverrideInput {
  memory?: { bytes: number; source: Budget["memorySource"] };
  cpus?: { count: number; source: Budget["cpuSource"] };
}

/**
 * What services may use: host memory less the OS reserve, less the safety margin. `--memory` and
 * `--cpus` replace the detected capacity (plan as if the machine were that size).
 */
export function computeBudget(facts: HostFacts, override: CapacityOverrideInput = {}): Budget {
  const host = override.memory?.bytes ?? facts.memoryBytes.value;
  const reserve = Math.floor(host * OS_RESERVE_RATIO);
  const margin = Math.floor((host - reserve) * SAFETY_MARGIN_RATIO);
  return {
    hostMemoryBytes: host,
    reserveBytes: reserve,
    marginBytes: margin,
    memoryBytes: host - reserve - margin,
    cpus: override.cpus?.count ?? facts.cpus.value,
    memorySource: override.memory?.source ?? facts.memoryBytes.source,
    cpuSource: override.cpus?.source ?? facts.cpus.source,
  };
}

/**
 * The engine's own memory and CPUs win when they are smaller than the host's: Docker Desktop,
 * Colima and Podman machines run containers in a VM of their own size.
 */
export function capToEngine(facts: HostFacts, engine: { memoryBytes: number; cpus: number }): HostFacts {
  const out = { ...facts };
  if (engine.memoryBytes > 0 && engine.memoryBytes < facts.memoryBytes.value)
    out.memoryBytes = {
      value: engine.memoryBytes,
      source: "docker engine",
      detail: "the engine's /info MemTotal",
    };
  if (engine.cpus > 0 && engine.cpus < facts.cpus.value)
    out.cpus = { value: engine.cpus, source: "docker engine", detail: "the engine's /info NCPU" };
  return out;
}
