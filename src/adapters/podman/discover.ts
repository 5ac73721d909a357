/**
 * Finding Podman's own API service, by the places Podman's clients look: CONTAINER_HOST, then the
 * user's socket (rootless, `$XDG_RUNTIME_DIR/podman/podman.sock`) and the system's (rootful,
 * `/run/podman/podman.sock`), root's first. Never a Docker socket: DOCKER_HOST and Docker's
 * contexts are Docker's, and an endpoint that answers as Docker is refused (podman-adapter.ts).
 */
import fs from "node:fs";
import path from "node:path";
import type { Candidate } from "../docker/discover.js";

export const ROOTFUL_SOCKET = "/run/podman/podman.sock";

export interface PodmanDiscoveryInput {
  env: Readonly<Record<string, string | undefined>>;
  uid: number;
  exists?: (file: string) => boolean;
}

/** The candidates in order, with those that cannot apply already marked. Pure given its input. */
export function podmanCandidates(input: PodmanDiscoveryInput): Candidate[] {
  const exists = input.exists ?? ((f) => fs.existsSync(f));
  const socket = (strategy: string, file: string): Candidate =>
    exists(file)
      ? { strategy, endpoint: `unix://${file}` }
      : { strategy, endpoint: `unix://${file}`, skip: "no socket there" };
  const rootless = path.join(input.env.XDG_RUNTIME_DIR ?? `/run/user/${input.uid}`, "podman", "podman.sock");
  const sockets = [
    socket("rootful podman socket", ROOTFUL_SOCKET),
    socket("rootless podman socket", rootless),
  ];
  if (input.uid !== 0) sockets.reverse();

  const host = input.env.CONTAINER_HOST;
  if (host) {
    // As with the podman CLI, an explicit CONTAINER_HOST is the service: never fall through.
    const explicit: Candidate = host.startsWith("ssh://")
      ? {
          strategy: "CONTAINER_HOST",
          endpoint: host,
          skip: "ssh:// is not supported: forward the socket (`ssh -L /tmp/podman.sock:/run/podman/podman.sock host`) and set CONTAINER_HOST=unix:///tmp/podman.sock",
        }
      : /^(unix|tcp):\/\//.test(host)
        ? { strategy: "CONTAINER_HOST", endpoint: host }
        : { strategy: "CONTAINER_HOST", endpoint: host, skip: "not a unix:// or tcp:// address" };
    return [explicit, ...sockets.map((s) => ({ ...s, skip: "CONTAINER_HOST is set" }))];
  }
  return [{ strategy: "CONTAINER_HOST", endpoint: "", skip: "not set" }, ...sockets];
}
