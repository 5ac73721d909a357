/** `deloc metrics`: the running stack's metrics in Prometheus' text format (or as JSON). */
import { formatMetrics } from "../../engine/metrics.js";
import type { CommandRun } from "../command.js";
import { openByName, planForEngine } from "../engine-session.js";
import { lookAtStack, metricsOf } from "../stack-view.js";
import { dockerOnly } from "../target.js";

export const metrics: CommandRun = async (ctx, _args, opts) => {
  dockerOnly(ctx, opts, "metrics");
  const { stack, adapter, store, session } = await openByName(ctx, opts, "metrics", { lock: false });
  const observed = await adapter.observe(stack);
  const plan = session
    ? await planForEngine(session, await adapter.info(), observed).catch(() => null)
    : null;
  const families = metricsOf(await lookAtStack(adapter, stack, plan, store, observed));
  if (opts.json) ctx.out(JSON.stringify({ stack, metrics: families }, null, 2));
  else ctx.out(formatMetrics(families).trimEnd());
  return 0;
};
