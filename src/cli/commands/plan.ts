import pc from "picocolors";
import type { Plan, Stack } from "../../core/index.js";
import { StateStore } from "../../engine/state.js";
import { planToJson } from "../../planner/index.js";
import { computeBudget, detectHost } from "../../resources/index.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { planAroundTakenPorts } from "../probe-ports.js";
import { loadProject } from "../project.js";
import { formatPlan } from "../render/plan-table.js";

/** The stack file's Plan on this machine, as `up` would make it (sizing flags included). */
export async function planHere(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): Promise<{ stack: Stack; plan: Plan }> {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  const budget = computeBudget(detectHost({ dataDir: stack.dir }), capacity);
  // A deployed stack holds its own ports; they are the stack's, not taken.
  const own = new Set(new StateStore(stack.dir, stack.name, "plan").read()?.hostPorts ?? []);
  return { stack, plan: await planAroundTakenPorts(stack, catalog, budget, own) };
}

export const planCommand: CommandRun = async (ctx, _args, opts) => {
  const { plan } = await planHere(ctx, opts);
  if (opts.json) ctx.out(JSON.stringify(planToJson(plan), null, 2));
  else ctx.out(formatPlan(plan, ctx.color ? { bold: pc.bold } : {}));
  return 0;
};
