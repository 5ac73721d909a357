/**
 * Finding the Docker engine, by ordered strategies: DOCKER_HOST, the current Docker context's
 * endpoint, the rootful socket, the rootless socket. The first that answers a ping wins; every other
 * is reported with why it was skipped. Podman's own sockets are `target: podman`'s
 * (../podman/discover.ts): with Docker stopped, `target: docker` must not reach another engine,
 * whose containers are not the stack's.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export type DockerStrategy = "DOCKER_HOST" | "docker context" | "rootful socket" | "rootless socket";

export interface Candidate {
  /** The strategy, for messages: Docker's here, Podman's in ../podman/discover.ts. */
  strategy: string;
  /** `unix:///path` or `tcp://host:port`. */
  endpoint: string;
  /** Set when the candidate cannot be used without trying it (no socket file, no context). */
  skip?: string;
}

export interface DiscoveryInput {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  uid: number;
  exists?: (file: string) => boolean;
  readFile?: (file: string) => string | null;
}

/** The candidates in order, with those that cannot apply already marked. Pure given its input. */
export function engineCandidates(input: DiscoveryInput): Candidate[] {
  const exists = input.exists ?? ((f) => fs.existsSync(f));
  const read =
    input.readFile ??
    ((f) => {
      try {
        return fs.readFileSync(f, "utf8");
      } catch {
        return null;
      }
    });
  const out: Candidate[] = [];
  const socket = (strategy: DockerStrategy, file: string): Candidate =>
    exists(file)
      ? { strategy, endpoint: `unix://${file}` }
      : { strategy, endpoint: `unix://${file}`, skip: "no socket there" };

  const dockerHost = input.env.DOCKER_HOST;
  if (dockerHost) {
    // As with the docker CLI, an explicit DOCKER_HOST is the engine: never fall through to another.
    return [
      { strategy: "DOCKER_HOST", endpoint: dockerHost },
      ...(["docker context", "rootful socket", "rootless socket"] as const).map((strategy) => ({
        strategy,
        endpoint: "",
        skip: "DOCKER_HOST is set",
      })),
    ];
  }
  out.push({ strategy: "DOCKER_HOST", endpoint: "", skip: "not set" });

  const context = currentContext(input, read);
  if (!context.name) out.push({ strategy: "docker context", endpoint: "", skip: context.why });
  else if (!context.endpoint)
    out.push({ strategy: "docker context", endpoint: "", skip: `context ${context.name}: ${context.why}` });
  else out.push({ strategy: "docker context", endpoint: context.endpoint });

  out.push(socket("rootful socket", "/var/run/docker.sock"));
  const runtimeDir = input.env.XDG_RUNTIME_DIR ?? `/run/user/${input.uid}`;
  out.push(socket("rootless socket", path.join(runtimeDir, "docker.sock")));
  return out;
}

function currentContext(
  input: DiscoveryInput,
  read: (f: string) => string | null,
): { name?: string; endpoint?: string; why: string } {
  const configDir = input.env.DOCKER_CONFIG ?? path.join(input.home, ".docker");
  let name = input.env.DOCKER_CONTEXT;
  if (!name) {
    const config = read(path.join(configDir, "config.json"));
    if (config === null) return { why: `no ${path.join(configDir, "config.json")}` };
    try {
      name = (JSON.parse(config) as { currentContext?: string }).currentContext;
    } catch {
      return { why: `${path.join(configDir, "config.json")} is not JSON` };
    }
  }
  if (!name || name === "default") return { why: "the default context (the sockets below)" };
  const id = createHash("sha256").update(name).digest("hex");
  const meta = read(path.join(configDir, "contexts", "meta", id, "meta.json"));
  if (meta === null) return { name, why: "no metadata file" };
  try {
    const host = (JSON.parse(meta) as { Endpoints?: { docker?: { Host?: string } } }).Endpoints?.docker?.Host;
    return host ? { name, endpoint: host, why: "" } : { name, why: "no docker endpoint" };
  } catch {
    return { name, why: "metadata is not JSON" };
  }
}
