import fs from "node:fs";
import path from "node:path";
import { formatBytes } from "../../core/index.js";
import { type BackupTarget, backupService, backupTarget, restoreService } from "../../engine/backup.js";
import { readSecrets } from "../../engine/secrets.js";
import type { CommandRun } from "../command.js";
import { type EngineSession, openSession, planForEngine, serviceIn } from "../engine-session.js";
import { onKubernetes } from "../target.js";

async function target(session: EngineSession, name: string | undefined): Promise<BackupTarget> {
  const { adapter, project, store } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const service = plan.services.find((s) => s.name === serviceIn(plan, name))!;
  return backupTarget(adapter, plan, observed, service, readSecrets(project.stack.dir), store);
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
      restoreFrom(ctx, args, t),
    );
  const session = await openSession(ctx, opts, "restore", { lock: true });
  try {
    return await restoreFrom(ctx, args, await target(session, args[0]));
  } finally {
    session.store.unlock();
  }
};

async function restoreFrom(ctx: Parameters<CommandRun>[0], args: string[], t: BackupTarget): Promise<number> {
  const file = path.resolve(ctx.cwd, args[1] ?? "");
  const m = await restoreService(t, file);
  ctx.err(
    `Restored ${t.service.name} from ${file} (${m.kind === "dump" ? "dump" : `volumes ${m.volumes.join(", ")}`}, taken ${m.createdAt}).`,
  );
  return 0;
}
