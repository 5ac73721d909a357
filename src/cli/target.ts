import { UsageError } from "../core/index.js";
import type { CommandContext } from "./context.js";
import { loadProject } from "./project.js";

/**
 * Whether a command runs on Kubernetes: `--target kubernetes`, `DELOC_TARGET`, or the stack file's
 * `spec.target` (none with `--stack`). A file that does not load answers "no": the Docker path reports its errors.
 */
export function onKubernetes(ctx: CommandContext, opts: Record<string, unknown>): boolean {
  if (typeof opts.target === "string") return opts.target === "kubernetes";
  // `--stack NAME` reads no stack file: the environment says where.
  if (opts.stack !== undefined) return ctx.env.DELOC_TARGET === "kubernetes";
  try {
    return loadProject({ ...ctx, err: () => undefined }, opts).stack.target === "kubernetes";
  } catch {
    return false;
  }
}

/** Commands that read a container engine only (`ui`, `metrics`) refuse a Kubernetes stack clearly. */
export function dockerOnly(ctx: CommandContext, opts: Record<string, unknown>, command: string): void {
  if (onKubernetes(ctx, opts))
    throw new UsageError(
      `deloc ${command} works on a container engine (Docker, Podman); this stack's target is kubernetes.`,
      "On the cluster: `deloc status --target kubernetes`, or your cluster's own dashboard and Prometheus.",
    );
}
