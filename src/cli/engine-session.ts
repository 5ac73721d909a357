/**
 * What the commands that talk to an engine share: the project, the adapter (found by discovery),
 * the stack's state folder with its lock, and a plan sized to the engine and around taken ports.
 */
import type { Adapter } from "../adapters/adapter.js";
import { isStackName, STACK_NAME_RULE } from "../config/index.js";
import {
  Duration,
  type EngineInfo,
  type MemoryCommitment,
  NotScalableError,
  type ObservedStack,
  type Plan,
  type PlannedService,
  type Target,
  UsageError,
} from "../core/index.js";
import { ensureSecrets, readSecrets, secretsOnEngine } from "../engine/secrets.js";
import { StateStore } from "../engine/state.js";
import { budgetOnEngine, openEngine } from "./budget.js";
import type { CommandContext } from "./context.js";
import { planAroundTakenPorts } from "./probe-ports.js";
import { loadProject, type Project } from "./project.js";

export interface EngineSession {
  project: Project;
  adapter: Adapter;
  store: StateStore;
  /** The command's test seams (`detectHost`), for the budget. @default the real machine */
  ctx?: Pick<CommandContext, "detectHost">;
}

export async function openSession(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  command: string,
  { lock }: { lock: boolean },
): Promise<EngineSession> {
  let project = loadProject(ctx, opts);
  const store = new StateStore(project.stack.dir, project.stack.name, command);
  // Day-2 commands act on what is deployed: the sizing flags of the last `up` apply unless given again.
  const deployed = command === "up" ? undefined : store.read()?.flags;
  if (deployed && Object.keys(deployed).some((k) => opts[k] === undefined))
    project = loadProject(ctx, { ...deployed, ...definedOnly(opts) });
  const adapter = await lockAndOpen(ctx, store, project.stack.target, lock);
  return { project, adapter, store, ctx };
}

/** Takes the stack's lock (when asked) and finds the engine; a lock is never left behind on failure. */
async function lockAndOpen(
  ctx: CommandContext,
  store: StateStore,
  target: Target,
  lock: boolean,
): Promise<Adapter> {
  if (lock) store.lock();
  try {
    return await openEngine(ctx, target);
  } catch (e) {
    store.unlock();
    throw e;
  }
}

/**
 * The plan for this engine, from the budget `plan` shows (`budgetHere`): the engine's memory and
 * CPUs when smaller than the host's, less what other stacks and containers on it are limited to;
 * ports the stack holds kept.
 */
export async function planForEngine(
  session: EngineSession,
  info: EngineInfo,
  observed: ObservedStack,
  /** What other stacks and containers hold, when asked already (alongside the observation). */
  commitments?: MemoryCommitment[],
): Promise<Plan> {
  const { stack, catalog, capacity } = session.project;
  const budget = await budgetOnEngine(
    session.ctx ?? {},
    { stack, capacity },
    { adapter: session.adapter, info, ...(commitments ? { commitments } : {}) },
  );
  const own = new Set(observed.containers.flatMap((c) => c.hostPorts));
  return planAroundTakenPorts(stack, catalog, budget, own);
}

/**
 * The stack's secrets for a deploy. Any that `.deloc/secrets.env` lacks (the folder deleted, a
 * `git clean -x`) are read back from the stack's containers before new ones are made: a database
 * keeps the password its data was created with.
 */
export async function stackSecrets(
  ctx: CommandContext,
  session: EngineSession,
  plan: Plan,
  observed: ObservedStack,
): Promise<Record<string, string>> {
  const dir = session.project.stack.dir;
  const saved = readSecrets(dir);
  const missing = plan.secrets.map((s) => s.name).filter((name) => saved[name] === undefined);
  const found =
    missing.length && observed.containers.length
      ? await secretsOnEngine(session.adapter, plan, observed, missing)
      : {};
  const names = Object.keys(found).sort();
  if (names.length)
    ctx.err(`note: .deloc/secrets.env lacked ${names.join(", ")}; recovered from the stack's containers`);
  return ensureSecrets(dir, plan.secrets, found);
}

/** A service named on the command line must be in the plan. */
export function serviceIn(plan: Plan, name: string | undefined): string {
  if (!name)
    throw new UsageError("Name a service.", `Services: ${plan.services.map((s) => s.name).join(", ")}`);
  if (!plan.services.some((s) => s.name === name))
    throw new UsageError(
      `No service "${name}" in stack ${plan.stack}.`,
      `Services: ${plan.services.map((s) => s.name).join(", ")}`,
    );
  return name;
}

/** `deloc scale SERVICE N` on any target: a service of the plan that can scale, and a count from 0 to 64. */
export function scaleRequest(
  plan: Plan,
  args: readonly string[],
): { service: PlannedService; replicas: number } {
  const name = serviceIn(plan, args[0]);
  const service = plan.services.find((p) => p.name === name)!;
  const replicas = Number(args[1]);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 64)
    throw new NotScalableError(
      `"${args[1] ?? ""}" is not a replica count.`,
      `Give a number from 0 to 64: \`deloc scale ${name} 3\`.`,
    );
  if (!service.scalable && replicas !== 1)
    throw new NotScalableError(
      `${name} cannot be scaled: it keeps state or a fixed identity.`,
      "Services that scale: " +
        (plan.services
          .filter((p) => p.scalable)
          .map((p) => p.name)
          .join(", ") || "none in this stack"),
    );
  return { service, replicas };
}

/** `--wait-timeout` in milliseconds, on any target; undefined when not given. */
export function waitTimeoutOf(opts: Record<string, unknown>): number | undefined {
  if (opts.waitTimeout === undefined) return undefined;
  const text = String(opts.waitTimeout);
  const d = Duration.parse(text);
  if (!d) throw new UsageError(`--wait-timeout: "${text}" is not a duration.`, "Use e.g. 90s or 5m.");
  return d.ms;
}

/** Replica counts `deloc scale` set, while the file's own count is what it was then. */
export function scaleOverrides(store: StateStore, plan: Plan): Record<string, number> {
  const saved = store.read()?.scale ?? {};
  const out: Record<string, number> = {};
  for (const s of plan.services) {
    const o = saved[s.name];
    if (o && o.fileReplicas === s.replicas) out[s.name] = o.replicas;
  }
  return out;
}

/**
 * For commands that must work from the engine's labels alone (`status`, `down`, `cleanup`):
 * `--stack NAME` needs no stack file; otherwise the file names the stack.
 */
export async function openByName(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  command: string,
  { lock }: { lock: boolean },
): Promise<{
  stack: string;
  dir: string;
  adapter: Adapter;
  store: StateStore;
  session: EngineSession | null;
}> {
  if (typeof opts.stack !== "string") {
    const session = await openSession(ctx, opts, command, { lock });
    const { name, dir } = session.project.stack;
    return { stack: name, dir, adapter: session.adapter, store: session.store, session };
  }
  stackNameOf(opts.stack);
  const store = new StateStore(ctx.cwd, opts.stack, command);
  // No stack file to name the target: `--target podman` or DELOC_TARGET say Podman, else Docker.
  const podman = opts.target === "podman" || (opts.target === undefined && ctx.env.DELOC_TARGET === "podman");
  const adapter = await lockAndOpen(ctx, store, podman ? "podman" : "docker", lock);
  return { stack: opts.stack, dir: ctx.cwd, adapter, store, session: null };
}

/** `--stack NAME`, checked: a stack's name (as its labels carry it). */
export function stackNameOf(name: string): string {
  if (!isStackName(name)) throw new UsageError(`--stack: "${name}" is not a stack name.`, STACK_NAME_RULE);
  return name;
}

/** The sizing flags `up` was given, saved so later commands plan what was deployed. */
export function sizingFlags(opts: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SIZING_FLAGS) if (typeof opts[k] === "string") out[k] = opts[k];
  return out;
}

const SIZING_FLAGS = ["profile", "memory", "cpus", "strategy"] as const;

function definedOnly(opts: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
}
