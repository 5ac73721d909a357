/** stop, down, cleanup, restart and scale: the day-2 commands that change what runs. */
import fs from "node:fs";
import path from "node:path";
import type { Adapter } from "../../adapters/adapter.js";
import type { ObservedStack, Plan } from "../../core/index.js";
import {
  downStack,
  restartServices,
  scaleService,
  stopServices,
  volumesAtRisk,
} from "../../engine/lifecycle.js";
import { readSecrets } from "../../engine/secrets.js";
import { STATE_DIR } from "../../engine/state.js";
import type { CommandRun } from "../command.js";
import { confirmDestruction, EXIT_DECLINED } from "../confirm.js";
import type { CommandContext } from "../context.js";
import {
  type EngineSession,
  openByName,
  openSession,
  planForEngine,
  scaleOverrides,
  scaleRequest,
  serviceIn,
  stackSecrets,
} from "../engine-session.js";
import { progressView } from "../render/progress.js";
import { onKubernetes } from "../target.js";

/** The plan of the stack file, for stop order; none (labels alone) when there is no file or it does not plan. */
async function planIfAny(session: EngineSession | null, observed: Parameters<typeof planForEngine>[2]) {
  if (!session) return undefined;
  return planForEngine(session, await session.adapter.info(), observed).catch(
    (): Plan | undefined => undefined,
  );
}

/**
 * Asks before `command` deletes the stack's volumes (see confirm.ts); false when the user said no.
 * `deloc backup` is offered for the services whose data they are (it needs the stack file).
 */
async function confirmVolumes(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  command: string,
  input: {
    stack: string;
    adapter: Adapter;
    observed: ObservedStack;
    plan: Plan | undefined;
    withFile: boolean;
  },
): Promise<boolean> {
  const at = await volumesAtRisk(input.adapter, input.observed, input.plan ? { plan: input.plan } : {});
  const stackFlag = typeof opts.stack === "string" ? ` --stack ${opts.stack}` : "";
  return confirmDestruction(ctx, opts, {
    command: `deloc ${command}${stackFlag}`,
    verb: "delete",
    noun: "volume",
    where: `of stack ${input.stack}`,
    items: at,
    alternative: `\`deloc down${stackFlag}\` removes the containers and keeps the volumes`,
    backups: input.withFile ? [...new Set(at.flatMap((v) => v.services))].sort() : [],
  });
}

export const stop: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesStop(ctx, args, opts);
  const { stack, adapter, store, session } = await openByName(ctx, opts, "stop", { lock: true });
  try {
    const observed = await adapter.observe(stack);
    const plan = await planIfAny(session, observed);
    const stopped = await stopServices({
      adapter,
      store,
      observed,
      ...(args.length ? { services: args } : {}),
      ...(plan ? { plan } : {}),
    });
    ctx.err(
      stopped.length
        ? `Stopped ${stopped.join(", ")}. \`deloc up\` starts them again.`
        : `Nothing of ${stack} was running.`,
    );
    return 0;
  } finally {
    store.unlock();
  }
};

export const down: CommandRun = async (ctx, _args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesDown(ctx, opts);
  const { stack, adapter, store, session } = await openByName(ctx, opts, "down", { lock: true });
  try {
    const observed = await adapter.observe(stack);
    const plan = await planIfAny(session, observed);
    const asked = { stack, adapter, observed, plan, withFile: session !== null };
    if (opts.volumes && !(await confirmVolumes(ctx, opts, "down --volumes", asked))) return EXIT_DECLINED;
    const removed = await downStack({
      adapter,
      store,
      observed,
      volumes: opts.volumes === true,
      ...(plan ? { plan } : {}),
    });
    const kept = opts.volumes
      ? ""
      : observed.volumes.length
        ? ` Kept volumes ${observed.volumes.join(", ")} (\`deloc down --volumes\` removes them).`
        : "";
    ctx.err(
      `Removed ${removed.containers.length} containers${removed.volumes.length ? `, ${removed.volumes.length} volumes` : ""} and the network of ${stack}.${kept}`,
    );
    return 0;
  } finally {
    store.unlock();
  }
};

export const cleanup: CommandRun = async (ctx, _args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesCleanup(ctx, opts);
  const { stack, dir, adapter, store, session } = await openByName(ctx, opts, "cleanup", { lock: true });
  try {
    const observed = await adapter.observe(stack);
    const plan = await planIfAny(session, observed);
    const asked = { stack, adapter, observed, plan, withFile: session !== null };
    if (!(await confirmVolumes(ctx, opts, "cleanup", asked))) return EXIT_DECLINED;
    const removed = await downStack({ adapter, store, observed, volumes: true, ...(plan ? { plan } : {}) });
    const images = await adapter.removeStackImages(stack);
    store.unlock();
    fs.rmSync(path.join(dir, STATE_DIR), { recursive: true, force: true });
    const parts = [
      `${removed.containers.length} containers`,
      `${removed.volumes.length} volumes`,
      `${removed.networks.length} networks`,
      `${images.length} built images`,
    ];
    ctx.err(`Cleaned up ${stack}: removed ${parts.join(", ")}, and ${STATE_DIR}/.`);
    return 0;
  } finally {
    store.unlock();
  }
};

export const restart: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesRestart(ctx, args, opts);
  const session = await openSession(ctx, opts, "restart", { lock: true });
  const { adapter, project, store } = session;
  try {
    const observed = await adapter.observe(project.stack.name);
    const plan = await planForEngine(session, await adapter.info(), observed);
    const names = args.length ? args.map((a) => serviceIn(plan, a)) : plan.services.map((s) => s.name);
    await restartServices({
      adapter,
      store,
      plan,
      observed,
      secrets: readSecrets(project.stack.dir),
      services: names,
      onEvent: (e) => {
        if (e.status === "ready") {
          const s = plan.services.find((p) => p.name === e.service);
          ctx.err(`${e.service}: restarted and ${s?.healthCheck ? "healthy" : "running"}`);
        }
      },
    });
    return 0;
  } finally {
    store.unlock();
  }
};

export const scale: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesScale(ctx, args, opts);
  const session = await openSession(ctx, opts, "scale", { lock: true });
  const { adapter, project, store } = session;
  try {
    const info = await adapter.info();
    const observed = await adapter.observe(project.stack.name);
    const plan = await planForEngine(session, info, observed);
    const { service: s, replicas: n } = scaleRequest(plan, args);
    const view = await progressView(ctx, [s.name]);
    try {
      const result = await scaleService({
        plan,
        adapter,
        store,
        service: s.name,
        count: n,
        replicas: scaleOverrides(store, plan),
        secrets: await stackSecrets(ctx, session, plan, observed),
        deployedBy: ctx.version,
        runId: `scale${Date.now().toString(36)}`,
        onEvent: (e) => (e.service === s.name ? view.onEvent(e) : undefined),
      });
      view.stop();
      ctx.err(
        `${s.name}: ${n} replicas${result.removed.length ? ` (removed ${result.removed.join(", ")})` : ""}.`,
      );
      return 0;
    } finally {
      view.stop();
    }
  } finally {
    store.unlock();
  }
};
