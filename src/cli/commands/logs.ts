import { NotDeployedError, UsageError } from "../../core/index.js";
import { readSecrets } from "../../engine/secrets.js";
import type { CommandRun } from "../command.js";
import { openSession } from "../engine-session.js";
import { logOptions, streamLogs } from "../log-stream.js";
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
  const how = logOptions(opts);
  await streamLogs(
    ctx,
    containers.map((c) => ({ name: c.name, lines: (signal) => adapter.logs(c.id, { ...how, signal }) })),
    readSecrets(project.stack.dir),
  );
  return 0;
};
