/**
 * Functional probes: each proves, with a real client from the host, that a service does its job
 * (a row written and read back, a key set and got), not only that it answers a health check.
 */
import type { PlannedService, ProbeStatus } from "../core/index.js";

/** What a command run inside a service's container ended with. */
export interface ExecOutcome {
  exitCode: number;
  output: string;
}

/** Runs argv inside the service's running container(s); the CLI wires it to the adapter's exec. */
export type ExecInService = (service: PlannedService, argv: readonly string[]) => Promise<ExecOutcome>;

export interface ProbeTarget {
  service: PlannedService;
  /** The service's environment with secrets resolved: credentials for the client. */
  env: Readonly<Record<string, string>>;
  /** Host and published port of a named port (or the first one). */
  address(portName?: string): { host: string; port: number };
  /** Where to reach a container port of the service from here (its published port, or a forward). */
  addressOf(containerPort: number): { host: string; port: number };
  /**
   * Where to reach an address a service hands its clients (Kafka's advertised listener), when it
   * is not reachable as it is from here (a cluster's pods behind port-forwards); as given else.
   */
  route(host: string, port: number): { host: string; port: number };
  signal: AbortSignal;
  /**
   * Runs a one-off container of `image` (with `env` added to the image's own) on the stack's
   * network to completion: a client inside the stack.
   */
  runInStack?: (
    image: string,
    argv: string[],
    memoryBytes: number,
    env?: Readonly<Record<string, string>>,
  ) => Promise<ExecOutcome>;
  /** Runs argv inside this service's own container: what a declared command probe needs. */
  exec?: (argv: readonly string[]) => Promise<ExecOutcome>;
}

export interface Probe {
  /** What the probe does, in a few words: "create a table, insert, select". */
  what: string;
  /** Returns what it saw; throws with what went wrong. */
  run(t: ProbeTarget): Promise<string>;
  /** Where to look when it fails. */
  hint: string;
  /**
   * A resource the check needs to itself, e.g. "spark": the cluster's executors, which a second
   * application would wait for. Checks naming the same one run one after another.
   */
  exclusive?: string;
  /** Its deadline, when PROBE_TIMEOUT_MS is too short (a first run that downloads connectors). */
  timeoutMs?: number;
}

/**
 * A cross-service flow: data moved through several services of the stack, the way a pipeline
 * would, checked at its far end. It runs when the stack has a service of each template it needs.
 */
export interface Flow {
  /** Shown where a probe shows its service: "postgres → airflow → minio". */
  name: string;
  what: string;
  /** The catalog templates of the services it runs through. */
  needs: readonly string[];
  /** Returns what it saw; throws with what went wrong. `targets` is keyed by template. */
  run(targets: Readonly<Record<string, ProbeTarget>>): Promise<string>;
  hint: string;
  /** As a probe's: a resource it needs to itself. */
  exclusive?: string;
  /** As a probe's: its deadline when PROBE_TIMEOUT_MS is too short. */
  timeoutMs?: number;
}

export interface ProbeResult {
  /** "service" for a service's probe, "flow" for a cross-service flow. */
  kind: "service" | "flow";
  /** The service probed, or the flow's name. */
  service: string;
  template: string | null;
  /** null when no probe of its own ran: proved by another service's probe, or not verified. */
  what: string | null;
  /**
   * "passed" (its probe, or the probe that proves it, passed), "failed", or "not-verified": no
   * probe checked it, which is never a pass.
   */
  status: ProbeStatus;
  /** `status === "passed"`. */
  ok: boolean;
  ms: number;
  detail: string;
  hint?: string;
}

/** Throws, naming the service and the variables, unless the stack gave it every one of `names`. */
export function requireEnv(t: ProbeTarget, names: readonly string[], wiredTo: string): void {
  const missing = names.filter((n) => !t.env[n]);
  if (missing.length)
    throw new Error(`${t.service.name} has no ${missing.join(", ")}: it is not wired to ${wiredTo}`);
}
