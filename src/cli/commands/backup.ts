import fs from "node:fs";
import path from "node:path";
import { formatBytes } from "../../core/index.js";
import { type BackupTarget, backupService, backupTarget, restoreService } from "../../engine/backup.js";
import { volumesAtRisk } from "../../engine/lifecycle.js";
import { readSecrets } from "../../engine/secrets.js";
import type { CommandRun } from "../command.js";
import { confirmDestruction, EXIT_DECLINED } from "../confirm.js";
import { type EngineSession, openSession, planForEngine, serviceIn } from "../engine-session.js";

async function target(
  session: EngineSession,
  name: string | undefined,
): Promise<BackupTarget & { atRisk: () => ReturnType<typeof volumesAtRisk> }> {
  const { adapter, project, store } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const service = plan.services.find((s) => s.name === serviceIn(plan, name))!;
  return {
    ...backupTarget(adapter, plan, observed, service, readSecrets(project.stack.dir), store),
    atRisk: () => volumesAtRisk(adapter, observed, { plan, services: [service.name] }),
  };
}

export const backup: CommandRun = async (ctx, args, opts) => {
  const session = await openSession(ctx, opts, "backup", { lock: true });
  try {
    const t = await target(session, args[0]);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const file = path.resolve(
      ctx.cwd,
      typeof opts.output === "string" ? opts.output : `${t.stack}-${t.service.name}-${stamp}.tar.gz`,
    );
    const m = await backupService(t, file);
    const size = fs.statSync(file).size;
    if (opts.json) ctx.out(JSON.stringify({ file, bytes: size, ...m }, null, 2));
    else
      ctx.err(
        `Backed up ${t.service.name} (${m.kind === "dump" ? "consistent dump" : `volumes ${m.volumes.join(", ")}`}) to ${file} (${formatBytes(size)}).`,
      );
    return 0;
  } finally {
    session.store.unlock();
  }
};

export const restore: CommandRun = async (ctx, args, opts) => {
  const session = await openSession(ctx, opts, "restore", { lock: true });
  try {
    const t = await target(session, args[0]);
    const file = path.resolve(ctx.cwd, args[1] ?? "");
    const name = t.service.name;
    // A file that is not there fails the restore below, before anything is asked or touched.
    const ok =
      !fs.existsSync(file) ||
      (await confirmDestruction(ctx, opts, {
        command: `deloc restore ${name} ${args[1] ?? ""}`,
        verb: "overwrite",
        noun: "volume",
        where: `of ${name} with the backup ${path.relative(ctx.cwd, file) || file}`,
        items: await t.atRisk(),
        alternative: "the data stays as it is",
        backups: [name],
      }));
    if (!ok) return EXIT_DECLINED;
    const m = await restoreService(t, file);
    ctx.err(
      `Restored ${t.service.name} from ${file} (${m.kind === "dump" ? "dump" : `volumes ${m.volumes.join(", ")}`}, taken ${m.createdAt}).`,
    );
    return 0;
  } finally {
    session.store.unlock();
  }
};
