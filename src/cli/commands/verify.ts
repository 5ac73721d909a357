import pc from "picocolors";
import { runOneOff } from "../../engine/one-off.js";
import { maskSecrets, readSecrets, resolveEnv } from "../../engine/secrets.js";
import { verify } from "../../verify/run.js";
import type { CommandRun } from "../command-table.js";
import { openSession, planForEngine, serviceIn } from "../engine-session.js";
import { renderTable } from "../render/table.js";

export const verifyCommand: CommandRun = async (ctx, args, opts) => {
  const session = await openSession(ctx, opts, "verify", { lock: false });
  const { adapter, project } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const names = args.length ? args.map((a) => serviceIn(plan, a)) : plan.services.map((s) => s.name);
  const secrets = readSecrets(project.stack.dir);
  const results = (
    await verify(
      plan.services.filter((s) => names.includes(s.name) && !s.oneShot),
      (s) => resolveEnv(s.env, secrets),
      (image, argv, memoryBytes) =>
        runOneOff(adapter, plan.stack, {
          image,
          argv,
          memoryBytes,
          timeoutMs: 110_000,
          deployedBy: ctx.version,
        }),
    )
  ).map((r) => ({ ...r, detail: maskSecrets(r.detail, secrets) }));
  const failed = results.filter((r) => !r.ok);
  if (opts.json)
    ctx.out(JSON.stringify({ stack: plan.stack, ok: failed.length === 0, probes: results }, null, 2));
  else {
    ctx.out(
      renderTable(
        ["service", "result", "probe", "took", "detail"],
        results.map((r) => [
          r.service,
          r.what === null ? "-" : r.ok ? "pass" : "FAIL",
          r.what ?? "",
          r.what === null ? "" : `${r.ms} ms`,
          r.detail,
        ]),
        ctx.color ? { bold: pc.bold } : {},
      ),
    );
    for (const r of failed) ctx.err(`${r.service}: ${r.hint}`);
  }
  return failed.length ? 1 : 0;
};
