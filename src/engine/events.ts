/**
 * What the engine tells its caller while it works: typed progress events per service. The engine
 * never prints; `cli/` renders these (a live view on a terminal, plain lines otherwise).
 */

export type ProgressStatus =
  | "waiting"
  | "pulling"
  | "building"
  | "starting"
  | "checking"
  | "ready"
  | "kept"
  | "failed"
  | "skipped"
  | "rolled back"
  | "stopping"
  | "stopped"
  | "removed";

export interface DeployEvent {
  service: string;
  status: ProgressStatus;
  detail?: string;
  /** Milliseconds since the operation began. */
  atMs: number;
}

export type Emit = (service: string, status: ProgressStatus, detail?: string) => void;

/** An `Emit` that stamps each event with the time since `t0` and passes it on. */
export function emitter(
  onEvent: ((e: DeployEvent) => void) | undefined,
  now: () => number,
  t0 = now(),
): Emit {
  return (service, status, detail) =>
    onEvent?.({ service, status, atMs: Math.round(now() - t0), ...(detail ? { detail } : {}) });
}
