import pc from "picocolors";
import { plan as makePlan, planToJson } from "../../planner/index.js";
import { computeBudget, detectHost } from "../../resources/index.js";
import type { CommandRun } from "../command-table.js";
import { probeTakenPorts } from "../probe-ports.js";
import { loadProject } from "../project.js";
import { formatPlan } from "../render/plan-table.js";

export const planCommand: CommandRun = async (ctx, _args, opts) => {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  const budget = computeBudget(detectHost({ dataDir: stack.dir }), capacity);

  // Plan, look at which planned host ports are taken on this machine, and plan again around them.
  let taken = new Set<number>();
  let plan = makePlan(stack, catalog, budget, { takenPorts: taken });
  for (let round = 0; round < 5; round++) {
    const wanted = plan.services.flatMap((s) => s.ports.map((p) => ({ port: p.host, hostIp: p.hostIp })));
    const busy = await probeTakenPorts(wanted.filter((p) => !taken.has(p.port)));
    if (busy.size === 0) break;
    taken = new Set([...taken, ...busy]);
    plan = makePlan(stack, catalog, budget, { takenPorts: taken });
  }

  if (opts.json) ctx.out(JSON.stringify(planToJson(plan), null, 2));
  else ctx.out(formatPlan(plan, ctx.color ? { bold: pc.bold } : {}));
  return 0;
};
