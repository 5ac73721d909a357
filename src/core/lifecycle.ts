/**
 * The lifecycle of a stack and of each service, as a transition table. Every change of state goes
 * through `transition`, so a move the table does not allow is a bug caught where it happens.
 */
import { InternalError } from "./errors.js";

export const LIFECYCLE_STATES = [
  "stopped",
  "deploying",
  "running",
  "unhealthy",
  "failed",
  "scaling",
  "cleanup",
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  // stopped -> running: a service found running that the saved state did not know (state lost).
  stopped: ["deploying", "running", "scaling", "cleanup"],
  deploying: ["running", "unhealthy", "failed", "stopped"],
  running: ["deploying", "unhealthy", "scaling", "stopped", "cleanup", "failed"],
  unhealthy: ["running", "deploying", "failed", "stopped", "cleanup", "scaling"],
  failed: ["deploying", "stopped", "scaling", "cleanup"],
  scaling: ["running", "failed", "unhealthy"],
  cleanup: ["stopped"],
};

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** A move the table does not allow: a bug in DELoc. */
export class TransitionError extends InternalError {
  constructor(
    readonly from: LifecycleState,
    readonly to: LifecycleState,
  ) {
    super(`lifecycle: ${from} -> ${to} is not a transition`);
  }
}

export function transition(from: LifecycleState, to: LifecycleState): LifecycleState {
  if (!canTransition(from, to)) throw new TransitionError(from, to);
  return to;
}

/** One line of `.deloc/events.ndjson`: a change of state, of the stack or of one service. */
export interface LifecycleEvent {
  time: string;
  stack: string;
  /** Absent for the stack as a whole. */
  service?: string;
  from: LifecycleState;
  to: LifecycleState;
  reason: string;
  command: string;
}
