/**
 * A planned service replica → the Engine API's container-create body. Pure, so the mapping of
 * limits, health check, ports, mounts and labels is tested without an engine.
 */
import type Docker from "dockerode";
import {
  type ContainerRequest,
  containerName,
  containerSecurity,
  LABEL_HASH,
  LABEL_ONE_SHOT,
  LABEL_REPLICA,
  LABEL_SERVICE,
  LABEL_STACK,
  LABEL_VERSION,
  type RestartPolicy,
} from "../../core/index.js";

/** How many times Docker restarts an `on-failure` service before giving up: the circuit breaker. */
export const RESTART_LIMIT = 5;

const NS_PER_MS = 1_000_000;

export function containerConfig(
  req: ContainerRequest,
  opts: { healthStartInterval: boolean },
): Docker.ContainerCreateOptions {
  const s = req.service;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of s.ports) {
    const key = `${p.container}/${p.protocol}`;
    exposed[key] = {};
    if (req.publishPorts)
      bindings[key] = [...(bindings[key] ?? []), { HostIp: p.hostIp, HostPort: String(p.host) }];
  }
  const mounts: Docker.MountSettings[] = s.volumes.map((v) => {
    if (v.type === "volume")
      return {
        Type: "volume",
        Source: req.volumeNames[v.source] ?? v.source,
        Target: v.target,
        ReadOnly: v.readOnly,
      };
    if (v.type === "bind") return { Type: "bind", Source: v.source, Target: v.target, ReadOnly: v.readOnly };
    return { Type: "tmpfs", Target: v.target, ReadOnly: v.readOnly } as Docker.MountSettings;
  });
  const hc = s.healthCheck;
  const security = containerSecurity(s);
  const config: Docker.ContainerCreateOptions = {
    name: containerName(req.stack, s.name, req.replica),
    Image: s.image,
    Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL_STACK]: req.stack,
      [LABEL_SERVICE]: s.name,
      [LABEL_HASH]: s.hash,
      [LABEL_REPLICA]: String(req.replica),
      [LABEL_VERSION]: req.deployedBy,
      ...(s.oneShot ? { [LABEL_ONE_SHOT]: "true" } : {}),
    },
    ExposedPorts: exposed,
    HostConfig: {
      Memory: s.memoryBytes,
      // No swap beyond the limit: a service over its size is killed and reported, not slowed down.
      MemorySwap: s.memoryBytes,
      NanoCpus: s.cpuMillis * 1_000_000,
      PortBindings: bindings,
      Mounts: mounts,
      RestartPolicy: restartPolicy(s.restart),
      NetworkMode: req.network,
      Init: false,
      // Never privileged; no process may gain privileges it did not start with (setuid binaries),
      // which every image here allows: entrypoints that start as root only ever drop them.
      Privileged: false,
      SecurityOpt: ["no-new-privileges:true"],
      CapDrop: security.capDrop,
      CapAdd: security.capAdd,
    },
    NetworkingConfig: { EndpointsConfig: { [req.network]: { Aliases: [s.name] } } },
  };
  if (s.command) config.Cmd = s.command;
  if (s.entrypoint) config.Entrypoint = s.entrypoint;
  if (hc)
    config.Healthcheck = {
      Test: ["CMD", ...hc.command],
      Interval: hc.intervalMs * NS_PER_MS,
      Timeout: hc.timeoutMs * NS_PER_MS,
      Retries: hc.retries,
      StartPeriod: hc.startPeriodMs * NS_PER_MS,
      ...(opts.healthStartInterval ? { StartInterval: hc.startIntervalMs * NS_PER_MS } : {}),
    };
  return config;
}

function restartPolicy(p: RestartPolicy): Docker.HostRestartPolicy {
  if (p === "on-failure") return { Name: "on-failure", MaximumRetryCount: RESTART_LIMIT };
  return { Name: p === "no" ? "" : p };
}
