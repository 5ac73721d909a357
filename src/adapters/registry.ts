/**
 * Adapters by name, each imported only when asked for (dockerode loads only for the commands that
 * talk to an engine), and engine discovery for the Docker-compatible ones.
 */
import { type Target, UsageError } from "../core/index.js";
import type { Adapter } from "./adapter.js";
import type { DryRunOptions } from "./dry-run/dry-run-adapter.js";

export interface OpenInput {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  uid: number;
}

/** The adapter for a target; throws EngineUnreachableError, listing what it tried, when none answers. */
export async function openAdapter(target: Target, input: OpenInput): Promise<Adapter> {
  switch (target) {
    case "docker": {
      const { connectDocker, DockerAdapter } = await import("./docker/docker-adapter.js");
      return new DockerAdapter(await connectDocker(input));
    }
    case "podman": {
      const { connectPodman, PodmanAdapter } = await import("./podman/podman-adapter.js");
      return new PodmanAdapter(await connectPodman(input));
    }
    case "kubernetes":
      throw new UsageError(
        "The kubernetes target cannot deploy yet.",
        "Set `spec.target: docker` (or pass `--target docker`); Kubernetes export and deploy come with `deloc export`.",
      );
  }
}

export async function openDryRun(opts: DryRunOptions): Promise<Adapter> {
  const { DryRunAdapter } = await import("./dry-run/dry-run-adapter.js");
  return new DryRunAdapter(opts);
}
