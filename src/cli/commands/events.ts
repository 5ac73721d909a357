import pc from "picocolors";
import { UsageError } from "../../core/index.js";
import { StateStore } from "../../engine/state.js";
import type { CommandRun } from "../command.js";
import { loadProject } from "../project.js";
import { renderTable } from "../render/table.js";

export const events: CommandRun = async (ctx, _args, opts) => {
  const { stack } = loadProject(ctx, opts);
  let all = new StateStore(stack.dir, stack.name, "events").events();
  if (opts.service) all = all.filter((e) => e.service === opts.service);
  if (opts.last !== undefined) {
    const n = Number(opts.last);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--last: "${opts.last}" is not a count.`, "Use e.g. --last 20.");
    all = all.slice(-n);
  }
  if (opts.json) ctx.out(JSON.stringify(all, null, 2));
  else if (all.length === 0)
    ctx.out(`No events yet for ${stack.name}: \`deloc up\` records them in .deloc/events.ndjson.`);
  else
    ctx.out(
      renderTable(
        ["time", "service", "from", "to", "command", "reason"],
        all.map((e) => [
          e.time.replace("T", " ").slice(0, 19),
          e.service ?? "(stack)",
          e.from,
          e.to,
          e.command,
          e.reason.slice(0, 70),
        ]),
        ctx.color ? { bold: pc.bold } : {},
      ),
    );
  return 0;
};
