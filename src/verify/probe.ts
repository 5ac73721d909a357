/**
 * Functional probes: each proves, with a real client from the host, that a service does its job
 * (a row written and read back, a key set and got), not only that it answers a health check.
 */
import type { PlannedService } from "../core/index.js";

export interface ProbeTarget {
  service: PlannedService;
  /** The service's environment with secrets resolved: credentials for the client. */
  env: Readonly<Record<string, string>>;
  /** Host and published port of a named port (or the first one). */
  address(portName?: string): { host: string; port: number };
  signal: AbortSignal;
  /** Runs a one-off container of `image` on the stack's network to completion: a client inside the stack. */
  runInStack?: (
    image: string,
    argv: string[],
    memoryBytes: number,
  ) => Promise<{ exitCode: number; output: string }>;
}

export interface Probe {
  /** What the probe does, in a few words: "create a table, insert, select". */
  what: string;
  /** Returns what it saw; throws with what went wrong. */
  run(t: ProbeTarget): Promise<string>;
  /** Where to look when it fails. */
  hint: string;
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
}

export interface ProbeResult {
  /** "service" for a service's probe, "flow" for a cross-service flow. */
  kind: "service" | "flow";
  /** The service probed, or the flow's name. */
  service: string;
  template: string | null;
  /** null when DELoc has no probe for this kind of service (yet). */
  what: string | null;
  ok: boolean;
  ms: number;
  detail: string;
  hint?: string;
}
