import pc from "picocolors";
import type { Plan, Stack } from "../../core/index.js";
import { StateStore } from "../../engine/state.js";
import { plan as makePlan, planToJson } from "../../planner/index.js";
import { portableBudget } from "../../resources/index.js";
import { budgetHere } from "../budget.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { planAroundTakenPorts } from "../probe-ports.js";
import { loadProject } from "../project.js";
import { formatPlan } from "../render/plan-table.js";

/**
 * The stack file's Plan on this machine, as `up` would make it (sizing flags included): the budget
 * of the engine when one answers, net of what else runs on it, else of this machine; on the
 * kubernetes target, of the cluster's nodes.
 */
export async function planHere(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): Promise<{ stack: Stack; plan: Plan }> {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  if (stack.target === "kubernetes") return (await import("../kubernetes.js")).planOnClusterHere(ctx, opts);
  const budget = await budgetHere(ctx, { stack, capacity });
  // A deployed stack holds its own ports; they are the stack's, not taken.
  const own = new Set(new StateStore(stack.dir, stack.name, "plan").read()?.hostPorts ?? []);
  return { stack, plan: await planAroundTakenPorts(stack, catalog, budget, own) };
}

/**
 * The Plan an export writes: a function of the stack file, the profile and explicit flags only.
 * The profile's sizes (or `--memory`/`--cpus` when given), never this machine's memory, CPUs or
 * engine, and the ports the file asks for, never moved around what listens here: port moves are
 * an `up` concern.
 */
export function planPortable(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): { stack: Stack; plan: Plan } {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  return { stack, plan: makePlan(stack, catalog, portableBudget(capacity)) };
}

export const planCommand: CommandRun = async (ctx, _args, opts) => {
  const { plan } = await planHere(ctx, opts);
  if (opts.json) ctx.out(JSON.stringify(planToJson(plan), null, 2));
  else ctx.out(formatPlan(plan, ctx.color ? { bold: pc.bold } : {}));
  return 0;
};
