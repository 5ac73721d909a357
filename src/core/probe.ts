/**
 * Probes a stack file or a catalog template declares for a service, so that `deloc verify` can
 * check a custom service instead of passing it unchecked.
 */

/** A port a probe names: the port's `name`, or its container port number. Omitted: the first published port. */
export type ProbePortRef = string | number;

/** A probe as declared: an HTTP GET or a TCP connect from the host, or a command in the container. */
export type DeclaredProbe =
  | { kind: "http"; port?: ProbePortRef; path: string; status: number }
  | { kind: "tcp"; port?: ProbePortRef }
  | { kind: "command"; argv: string[] };

/** Defaults of a declared HTTP probe. */
export const HTTP_PROBE_DEFAULTS = { path: "/", status: 200 } as const;

/** The published port a planned probe targets: its container port identifies it among the service's ports. */
export interface ProbePort {
  container: number;
  name?: string;
}

/** A declared probe on the Plan, its port resolved against the service's published ports. */
export type PlannedProbe =
  | { kind: "http"; port: ProbePort; path: string; status: number }
  | { kind: "tcp"; port: ProbePort }
  | { kind: "command"; argv: string[] };

/** What a `verify` report says of a service or flow. */
export type ProbeStatus = "passed" | "failed" | "not-verified";

/** The TCP port a probe names: by name, else by container port (a number, or its digits). */
export function findProbePort<P extends { name?: string; container: number; protocol: "tcp" | "udp" }>(
  ports: readonly P[],
  ref: ProbePortRef,
): P | undefined {
  const tcp = ports.filter((p) => p.protocol === "tcp");
  return tcp.find((p) => p.name === String(ref)) ?? tcp.find((p) => String(p.container) === String(ref));
}
