/** stop, down, cleanup, restart and scale: the day-2 commands that change what runs. */
import fs from "node:fs";
import path from "node:path";
import {
  DeployFailedError,
  formatBytes,
  InsufficientMemoryError,
  NotDeployedError,
} from "../../core/index.js";
import { deploy } from "../../engine/deploy.js";
import { readSecrets } from "../../engine/secrets.js";
import { STATE_DIR } from "../../engine/state.js";
import { removeStack, stopStack } from "../../engine/teardown.js";
import { startAndWait } from "../../engine/wait.js";
import type { CommandRun } from "../command-table.js";
import {
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

export const stop: CommandRun = async (ctx, args, opts) => {
  const { stack, adapter, store } = await openByName(ctx, opts, "stop", { lock: true });
  try {
    const observed = await adapter.observe(stack);
    const stopped = await stopStack(adapter, observed, args.length ? args : undefined);
    const state = store.read() ?? store.fresh();
    for (const s of new Set(
      observed.containers.filter((c) => !args.length || args.includes(c.service)).map((c) => c.service),
    ))
      if (state.services[s]) store.move(state, "stopped", "deloc stop", s);
    if (!args.length && state.state !== "stopped") store.move(state, "stopped", "deloc stop");
    store.write(state);
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
  const { stack, adapter, store } = await openByName(ctx, opts, "down", { lock: true });
  try {
    const observed = await adapter.observe(stack);
    await stopStack(adapter, observed);
    const removed = await removeStack(adapter, observed, { volumes: opts.volumes === true });
    const state = store.read() ?? store.fresh();
    for (const s of Object.keys(state.services)) store.move(state, "stopped", "deloc down", s);
    if (state.state !== "stopped")
      store.move(state, "stopped", opts.volumes ? "deloc down --volumes" : "deloc down");
    state.services = {};
    store.write(state);
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
  const { stack, dir, adapter, store } = await openByName(ctx, opts, "cleanup", { lock: true });
  try {
    const observed = await adapter.observe(stack);
    await stopStack(adapter, observed);
    const removed = await removeStack(adapter, observed, { volumes: true });
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
  const session = await openSession(ctx, opts, "restart", { lock: true });
  const { adapter, project, store } = session;
  try {
    const observed = await adapter.observe(project.stack.name);
    const plan = await planForEngine(session, await adapter.info(), observed);
    const names = args.length ? args.map((a) => serviceIn(plan, a)) : plan.services.map((s) => s.name);
    const secrets = readSecrets(project.stack.dir);
    // In start order, so a service comes back after what it needs.
    const order = plan.phases.flat().filter((s) => names.includes(s));
    for (const name of order) {
      const s = plan.services.find((p) => p.name === name)!;
      const containers = observed.containers.filter((c) => c.service === name);
      if (containers.length === 0)
        throw new NotDeployedError(`${name} has no container on the engine.`, "`deloc up` deploys it.");
      for (const c of containers) await adapter.stopContainer(c.id);
      const failures = await startAndWait(
        adapter,
        s,
        containers.map((c) => c.id),
        secrets,
      );
      if (failures.length) throw new DeployFailedError(failures, [], `\`deloc logs ${name}\` shows more.`);
      ctx.err(`${name}: restarted and ${s.healthCheck ? "healthy" : "running"}`);
    }
    const state = store.read() ?? store.fresh();
    store.append({
      time: new Date().toISOString(),
      stack: plan.stack,
      from: state.state,
      to: state.state,
      reason: `restarted ${order.join(", ")}`,
      command: "restart",
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
    const name = s.name;
    const replicas = { ...scaleOverrides(store, plan), [name]: n };
    const total = plan.services.reduce((sum, p) => sum + p.memoryBytes * (replicas[p.name] ?? p.replicas), 0);
    if (total > plan.budget.memoryBytes) {
      const shortfall = total - plan.budget.memoryBytes;
      throw new InsufficientMemoryError(
        `${n} replicas of ${name} need ${formatBytes(total)} for the stack; the budget is ${formatBytes(plan.budget.memoryBytes)} (${formatBytes(shortfall)} short).`,
        `Scale to fewer replicas, or stop a service you do not need.`,
        {
          budgetBytes: plan.budget.memoryBytes,
          neededBytes: total,
          shortfallBytes: shortfall,
          profile: plan.profile,
          needs: [{ service: name, replicas: n, minimumBytes: s.memoryBytes * n }],
        },
      );
    }
    const state = store.read() ?? store.fresh();
    store.move(state, "scaling", `${name} to ${n}`);
    store.write(state);
    const view = await progressView(ctx, [name]);
    try {
      const result = await deploy({
        plan,
        adapter,
        secrets: await stackSecrets(ctx, session, plan, observed),
        replicas,
        rollback: true,
        deployedBy: ctx.version,
        runId: `scale${Date.now().toString(36)}`,
        onEvent: (e) => (e.service === name ? view.onEvent(e) : undefined),
      });
      view.stop();
      state.scale[name] = { replicas: n, fileReplicas: s.replicas };
      store.move(state, "running", `${name} scaled to ${n}`);
      store.write(state);
      ctx.err(
        `${name}: ${n} replicas${result.removed.length ? ` (removed ${result.removed.join(", ")})` : ""}.`,
      );
      return 0;
    } catch (e) {
      view.stop();
      // A failed scale is rolled back: the replicas that ran before still run.
      const rolledBack = e instanceof DeployFailedError && e.rolledBack.length > 0;
      store.move(
        state,
        rolledBack ? "running" : "failed",
        `scaling ${name} to ${n} failed${rolledBack ? "; rolled back" : ""}`,
      );
      store.write(state);
      throw e;
    }
  } finally {
    store.unlock();
  }
};
