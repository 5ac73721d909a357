import fs from "node:fs";
import path from "node:path";
import { formatBytes } from "../../core/index.js";
import { type BackupTarget, backupService, backupTarget, restoreService } from "../../engine/backup.js";
import { volumesAtRisk } from "../../engine/lifecycle.js";
import { readSecrets } from "../../engine/secrets.js";
import type { CommandRun } from "../command.js";
import { confirmDestruction, type DataItem, EXIT_DECLINED } from "../confirm.js";
import { type EngineSession, openSession, planForEngine, serviceIn } from "../engine-session.js";
import { onKubernetes } from "../target.js";

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
  if (onKubernetes(ctx, opts))
    return (await import("../kubernetes.js")).onClusterService(ctx, opts, "backup", args[0], (t) =>
      backupTo(ctx, opts, t),
    );
  const session = await openSession(ctx, opts, "backup", { lock: true });
  try {
    return await backupTo(ctx, opts, await target(session, args[0]));
  } finally {
    session.store.unlock();
  }
};

async function backupTo(
  ctx: Parameters<CommandRun>[0],
  opts: Record<string, unknown>,
  t: BackupTarget,
): Promise<number> {
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
}

export const restore: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts))
    return (await import("../kubernetes.js")).onClusterService(ctx, opts, "restore", args[0], (t) =>
      // On a cluster: the claims of the service's volumes (their sizes are not read here).
      restoreFrom(ctx, args, opts, t, async () =>
        [...new Set(t.service.volumes.filter((v) => v.type === "volume").map((v) => v.source))].map((v) => ({
          name: v,
          bytes: null,
          services: [t.service.name],
        })),
      ),
    );
  const session = await openSession(ctx, opts, "restore", { lock: true });
  try {
    const t = await target(session, args[0]);
    return await restoreFrom(ctx, args, opts, t, t.atRisk);
  } finally {
    session.store.unlock();
  }
};

/**
 * Restores `t` from the file `args[1]`, asking first (the service's data is overwritten): `atRisk`
 * lists what it holds. A file that is not there fails the restore before anything is asked.
 */
async function restoreFrom(
  ctx: Parameters<CommandRun>[0],
  args: string[],
  opts: Record<string, unknown>,
  t: BackupTarget,
  atRisk: () => Promise<readonly DataItem[]>,
): Promise<number> {
  const file = path.resolve(ctx.cwd, args[1] ?? "");
  const name = t.service.name;
  const ok =
    !fs.existsSync(file) ||
    (await confirmDestruction(ctx, opts, {
      command: `deloc restore ${name} ${args[1] ?? ""}`,
      verb: "overwrite",
      noun: "volume",
      where: `of ${name} with the backup ${path.relative(ctx.cwd, file) || file}`,
      items: await atRisk(),
      alternative: "the data stays as it is",
      backups: [name],
    }));
  if (!ok) return EXIT_DECLINED;
  const m = await restoreService(t, file);
  ctx.err(
    `Restored ${t.service.name} from ${file} (${m.kind === "dump" ? "dump" : `volumes ${m.volumes.join(", ")}`}, taken ${m.createdAt}).`,
  );
  return 0;
}
