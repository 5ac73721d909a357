import fs from "node:fs";
import path from "node:path";
import { DeployFailedError, formatBytes } from "../../core/index.js";
import { type BackupTarget, backupService, restoreService } from "../../engine/backup.js";
import { readSecrets } from "../../engine/secrets.js";
import { startAndWait } from "../../engine/wait.js";
import type { CommandRun } from "../command.js";
import { type EngineSession, openSession, planForEngine, serviceIn } from "../engine-session.js";

async function target(session: EngineSession, name: string | undefined): Promise<BackupTarget> {
  const { adapter, project } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const service = plan.services.find((s) => s.name === serviceIn(plan, name))!;
  const secrets = readSecrets(project.stack.dir);
  return {
    adapter,
    stack: plan.stack,
    service,
    containers: observed.containers.filter((c) => c.service === service.name),
    startAgain: async (ids) => {
      const failures = await startAndWait(adapter, service, ids, secrets);
      if (failures.length)
        throw new DeployFailedError(failures, [], `\`deloc logs ${service.name}\` shows more.`);
    },
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
    const m = await restoreService(t, file);
    session.store.append({
      time: new Date().toISOString(),
      stack: t.stack,
      service: t.service.name,
      from: "running",
      to: "running",
      reason: `restored from ${path.basename(file)} (${m.createdAt})`,
      command: "restore",
    });
    ctx.err(
      `Restored ${t.service.name} from ${file} (${m.kind === "dump" ? "dump" : `volumes ${m.volumes.join(", ")}`}, taken ${m.createdAt}).`,
    );
    return 0;
  } finally {
    session.store.unlock();
  }
};
