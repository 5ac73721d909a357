import { NotDeployedError, UsageError } from "../../core/index.js";
import { maskSecrets, readSecrets } from "../../engine/secrets.js";
import type { CommandRun } from "../command.js";
import { openSession } from "../engine-session.js";
import { onKubernetes } from "../target.js";

export const logs: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesLogs(ctx, args, opts);
  const session = await openSession(ctx, opts, "logs", { lock: false });
  const { adapter, project } = session;
  const service = args[0];
  const names = project.stack.services.map((s) => s.name);
  const observed = await adapter.observe(project.stack.name);
  const containers = observed.containers.filter((c) => c.service === service);
  if (containers.length === 0) {
    if (!observed.containers.some((c) => c.service === service) && !names.includes(service ?? ""))
      throw new UsageError(
        `No service "${service}" in stack ${project.stack.name}.`,
        `Deployed: ${[...new Set(observed.containers.map((c) => c.service))].join(", ") || "nothing"}`,
      );
    throw new NotDeployedError(`${service} has no container on the engine.`, "`deloc up` deploys it.");
  }
  let tail: number | undefined;
  if (opts.tail !== undefined) {
    tail = Number(opts.tail);
    if (!Number.isInteger(tail) || tail < 0)
      throw new UsageError(`--tail: "${opts.tail}" is not a line count.`, "Use e.g. --tail 100.");
  }
  // Secrets never reach the terminal through a service's own log lines.
  const secrets = readSecrets(project.stack.dir);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  try {
    await Promise.all(
      containers.map(async (c) => {
        const prefix = containers.length > 1 ? `${c.name} | ` : "";
        for await (const line of adapter.logs(c.id, {
          follow: opts.follow === true,
          ...(tail !== undefined ? { tail } : {}),
          signal: controller.signal,
        }))
          ctx.out(prefix + maskSecrets(line, secrets));
      }),
    );
  } finally {
    process.removeListener("SIGINT", stop);
  }
  return 0;
};
