import pc from "picocolors";
import { StateStore } from "../../engine/state.js";
import { planToJson } from "../../planner/index.js";
import { computeBudget, detectHost } from "../../resources/index.js";
import type { CommandRun } from "../command-table.js";
import { planAroundTakenPorts } from "../probe-ports.js";
import { loadProject } from "../project.js";
import { formatPlan } from "../render/plan-table.js";

export const planCommand: CommandRun = async (ctx, _args, opts) => {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  const budget = computeBudget(detectHost({ dataDir: stack.dir }), capacity);
  // A deployed stack holds its own ports; `plan` shows them as the stack's, not as taken.
  const own = new Set(new StateStore(stack.dir, stack.name, "plan").read()?.hostPorts ?? []);
  const plan = await planAroundTakenPorts(stack, catalog, budget, own);

  if (opts.json) ctx.out(JSON.stringify(planToJson(plan), null, 2));
  else ctx.out(formatPlan(plan, ctx.color ? { bold: pc.bold } : {}));
  return 0;
};
