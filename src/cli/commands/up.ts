import { randomBytes } from "node:crypto";
import pc from "picocolors";
import { describeOperation } from "../../core/index.js";
import { deploy } from "../../engine/deploy.js";
import { upStack } from "../../engine/lifecycle.js";
import type { CommandRun } from "../command.js";
import {
  openSession,
  planForEngine,
  scaleOverrides,
  sizingFlags,
  stackSecrets,
  waitTimeoutOf,
} from "../engine-session.js";
import { formatEndpoints } from "../render/endpoints.js";
import { progressView } from "../render/progress.js";
import { onKubernetes } from "../target.js";

export const up: CommandRun = async (ctx, _args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesUp(ctx, opts);
  const dryRun = opts.dryRun === true;
  const session = await openSession(ctx, opts, "up", { lock: !dryRun });
  const { store } = session;
  try {
    let adapter = session.adapter;
    const info = await adapter.info();
    const observed = await adapter.observe(session.project.stack.name);
    const plan = await planForEngine(session, info, observed);
    const waitTimeoutMs = waitTimeoutOf(opts);
    const replicas = scaleOverrides(store, plan);

    if (dryRun) {
      // The twin starts from what the engine runs, so the operations listed are the real ones.
      const { openDryRun } = await import("../../adapters/registry.js");
      const images = await adapter.observe(plan.stack, [...new Set(plan.services.map((s) => s.image))]);
      adapter = await openDryRun({ seed: images, memoryBytes: info.memoryBytes, cpus: info.cpus });
      const secrets = Object.fromEntries(plan.secrets.map((s) => [s.name, "dry-run"]));
      const result = await deploy({
        plan,
        adapter,
        secrets,
        replicas,
        rollback: true,
        deployedBy: ctx.version,
        runId: "dryrun",
        build: opts.build === true,
      });
      const ops = result.operations.map(describeOperation);
      if (opts.json) ctx.out(JSON.stringify({ dryRun: true, operations: ops }, null, 2));
      else
        ctx.out(
          [`Dry run on ${info.endpoint}: nothing was changed. Operations:`, ...ops.map((o) => `  ${o}`)].join(
            "\n",
          ),
        );
      return 0;
    }

    const secrets = await stackSecrets(ctx, session, plan, observed);
    ctx.err(
      `Deploying ${plan.stack} on ${info.name} ${info.version} (${info.endpoint}), strategy ${plan.strategy}`,
    );
    for (const note of plan.notes) ctx.err(`note: ${note}`);

    const view = await progressView(
      ctx,
      plan.services.map((s) => s.name),
    );
    // Ctrl-C or SIGTERM: stop starting things, undo this run, exit 130 / 143. A second one exits at once.
    const interrupt = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupt.signal.aborted) process.exit(signal === "SIGTERM" ? 143 : 130);
      ctx.err(`\n${signal}: stopping, and undoing what this run started…`);
      interrupt.abort(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const result = await upStack({
        plan,
        adapter,
        store,
        endpoint: info.endpoint,
        flags: sizingFlags(opts),
        secrets,
        replicas,
        build: opts.build === true,
        rollback: opts.rollback !== false,
        deployedBy: ctx.version,
        runId: randomBytes(3).toString("hex"),
        signal: interrupt.signal,
        ...(waitTimeoutMs !== undefined ? { waitTimeoutMs } : {}),
        onEvent: view.onEvent,
      });
      view.stop();
      const summary = result.changed.length
        ? `${plan.stack} is up in ${(result.durationMs / 1000).toFixed(1)} s (changed: ${result.changed.join(", ")}${result.removed.length ? `; removed: ${result.removed.join(", ")}` : ""}).`
        : `${plan.stack} is up to date: nothing to change (${(result.durationMs / 1000).toFixed(1)} s).`;
      if (opts.json)
        ctx.out(
          JSON.stringify(
            {
              stack: plan.stack,
              changed: result.changed,
              removed: result.removed,
              durationMs: result.durationMs,
              readyAtMs: result.readyAtMs,
              operations: result.operations.map(describeOperation),
            },
            null,
            2,
          ),
        );
      else {
        ctx.err(summary);
        ctx.out(
          formatEndpoints(plan, secrets, {
            showSecrets: opts.showSecrets === true,
            ...(ctx.color ? { bold: pc.bold } : {}),
          }),
        );
      }
      if (opts.supervise === true) {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        store.unlock();
        const { superviseUntilSignal } = await import("../supervise.js");
        return await superviseUntilSignal(ctx, { adapter, store, plan, secrets });
      }
      return 0;
    } finally {
      view.stop();
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
  } finally {
    store.unlock();
  }
};
