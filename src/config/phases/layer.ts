/**
 * Phase 7: layering, lowest first: defaults < stack file < `DELOC_*` environment < flags.
 * Also reads the machine-capacity overrides (`--memory`/`DELOC_MEMORY`, `--cpus`/`DELOC_CPUS`),
 * which are not stack keys: they make the planner plan as if the machine had that capacity.
 */
import path from "node:path";
import {
  Cpu,
  closest,
  type Diagnostic,
  PROFILES,
  type ResourceSource,
  Size,
  STRATEGIES,
  type Stack,
  TARGETS,
} from "../../core/index.js";

/** Flags a command was given that override the stack file. */
export interface LayerFlags {
  profile?: string;
  target?: string;
  strategy?: string;
  memory?: string;
  cpus?: string;
}

/** Capacity the user asked to plan for instead of what the machine has. */
export interface CapacityOverride {
  memory?: { bytes: number; source: ResourceSource };
  cpus?: { count: number; source: ResourceSource };
}

type Env = Readonly<Record<string, string | undefined>>;

export function layer(
  stack: Stack,
  env: Env,
  flags: LayerFlags,
  cwd: string,
): { stack: Stack; capacity: CapacityOverride; errors: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const pick = <T extends string>(
    key: "profile" | "target" | "strategy",
    envName: string,
    allowed: readonly T[],
    current: T,
  ): T => {
    const fromFlag = flags[key];
    const fromEnv = env[envName];
    const [value, where] = fromFlag !== undefined ? [fromFlag, `--${key}`] : [fromEnv, envName];
    if (value === undefined || value === "") return current;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const guess = closest(value, allowed);
    errors.push({
      path: where,
      message: `must be one of ${allowed.join(" | ")} (got "${value}")`,
      ...(guess ? { suggestion: `did you mean "${guess}"?` } : {}),
    });
    return current;
  };
  const layered: Stack = {
    ...stack,
    profile: pick("profile", "DELOC_PROFILE", PROFILES, stack.profile),
    target: pick("target", "DELOC_TARGET", TARGETS, stack.target),
    strategy: pick("strategy", "DELOC_STRATEGY", STRATEGIES, stack.strategy),
    catalogPaths: [...stack.catalogPaths, ...catalogPathsFromEnv(env, cwd)],
  };
  return { stack: layered, capacity: readCapacity(env, flags, errors), errors };
}

/** The template folders of `DELOC_CATALOG_PATH` (separated like PATH), resolved against `cwd`. */
export function catalogPathsFromEnv(env: Env, cwd: string): string[] {
  return (env.DELOC_CATALOG_PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .map((p) => path.resolve(cwd, p));
}

/** Reads `--memory`/`DELOC_MEMORY` and `--cpus`/`DELOC_CPUS`; usable without a stack file. */
export function readCapacity(env: Env, flags: LayerFlags, errors: Diagnostic[]): CapacityOverride {
  const capacity: CapacityOverride = {};
  const memory =
    flags.memory !== undefined
      ? (["--memory", flags.memory] as const)
      : (["DELOC_MEMORY", env.DELOC_MEMORY] as const);
  if (memory[1] !== undefined && memory[1] !== "") {
    const size = Size.parse(memory[1]);
    if (!size || size.bytes === 0)
      errors.push({ path: memory[0], message: `must be a size like "8g" or "16384m" (got "${memory[1]}")` });
    else capacity.memory = { bytes: size.bytes, source: memory[0] };
  }
  const cpus =
    flags.cpus !== undefined ? (["--cpus", flags.cpus] as const) : (["DELOC_CPUS", env.DELOC_CPUS] as const);
  if (cpus[1] !== undefined && cpus[1] !== "") {
    const cpu = Cpu.parse(cpus[1]);
    if (!cpu)
      errors.push({ path: cpus[0], message: `must be a number of CPUs like 4 or 2.5 (got "${cpus[1]}")` });
    else capacity.cpus = { count: cpu.cores, source: cpus[0] };
  }
  return capacity;
}
