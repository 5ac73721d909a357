/**
 * The Podman adapter: the Docker adapter over Podman's Docker-compatible API (`podman system
 * service`), found by Podman's own discovery (never a Docker socket), with what Podman does
 * differently handled here.
 */

import type { ObservedContainer } from "../../core/index.js";
import { connectFirst, DockerAdapter, type DockerConnection, isPodman } from "../docker/docker-adapter.js";
import type { EngineReads } from "../docker/engine-reads.js";
import { podmanCandidates, ROOTFUL_SOCKET } from "./discover.js";

interface VersionBody {
  Version?: string;
  ApiVersion?: string;
  Components?: { Name: string; Version?: string }[] | null;
}

const START_HINT = `Start Podman's API service: as root \`podman system service --time=0 unix://${ROOTFUL_SOCKET} &\`, rootless \`systemctl --user start podman.socket\` (or \`podman system service --time=0 &\`); or point CONTAINER_HOST at one. For Docker, set \`spec.target: docker\` (or pass \`--target docker\`).`;

/** Connects to Podman's service; an EngineUnreachableError listing what was tried when none answers. */
export function connectPodman(input: {
  env: Readonly<Record<string, string | undefined>>;
  uid: number;
}): Promise<DockerConnection> {
  return connectFirst(podmanCandidates(input), input.env, {
    message: "No Podman service answered (target: podman). Tried, in order:",
    hint: START_HINT,
    accept: notPodman,
  });
}

/** Why an engine that answered is not Podman (Docker on the socket asked), or null when it is. */
async function notPodman(reads: EngineReads): Promise<string | null> {
  const v = await reads.get<VersionBody>("/version");
  if (isPodman(v)) return null;
  return `answers as Docker ${v.Version ?? "?"} (API ${v.ApiVersion ?? "?"}), not Podman: refused`;
}

export class PodmanAdapter extends DockerAdapter {
  override readonly name = "podman";
  /**
   * Podman's compat events report a container's exit as `die`, but its filter matches the name
   * Podman keeps internally, `died` (libpod/events): filtering on `die` drops every exit.
   */
  protected override readonly eventFilter = ["start", "died", "oom", "health_status"];

  /** Podman reports a container without a health check as health "" (Docker: no Health at all). */
  override async inspectContainer(id: string): Promise<ObservedContainer | null> {
    const c = await super.inspectContainer(id);
    return c && (c.health as string) === "" ? { ...c, health: "none" } : c;
  }

  /**
   * A container its restart policy is restarting refuses removal for a moment ("could not be
   * stopped: container state improper"); Docker's forced removal does not. Tried again briefly.
   */
  override async removeContainer(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.removeContainer(id);
      } catch (e) {
        if (attempt >= 10 || !/could not be stopped|state improper/.test(String((e as Error).message)))
          throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
