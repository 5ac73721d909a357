/**
 * Operations: what the engine asks an adapter to do, in DELoc's words. Reconcile produces them
 * (pure); execute walks them. Each names the service it serves so progress and rollback can.
 */
import type { PlannedService } from "./plan.js";

export type Operation =
  | { kind: "create-network"; name: string }
  | { kind: "create-volume"; name: string }
  | { kind: "build-image"; service: string; image: string }
  | { kind: "pull-image"; service: string; image: string }
  /** Create and start replica `replica` of a service. */
  | { kind: "start"; service: string; replica: number; reason: string }
  /** Stop and remove a container the plan no longer wants. */
  | { kind: "remove"; service: string; replica: number; containerId: string; reason: string }
  /** Replace a container whose configuration changed; the old one is kept aside until the new one is up. */
  | { kind: "recreate"; service: string; replica: number; containerId: string; reason: string }
  /** Start a container that exists with the right configuration but is stopped. */
  | { kind: "resume"; service: string; replica: number; containerId: string }
  | { kind: "keep"; service: string; replica: number; containerId: string };

/** Everything an adapter needs to create one container, secrets already resolved. */
export interface ContainerRequest {
  stack: string;
  service: PlannedService;
  replica: number;
  /** `{{secret.X}}` replaced by values; only the adapter sees it. */
  env: Record<string, string>;
  network: string;
  /** Engine volume name for each of the plan's volume names. */
  volumeNames: Record<string, string>;
  /** Host ports are published only by replica 1 of a scaled service. */
  publishPorts: boolean;
  deployedBy: string;
}

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case "create-network":
      return `create network ${op.name}`;
    case "create-volume":
      return `create volume ${op.name}`;
    case "build-image":
      return `build ${op.image} for ${op.service}`;
    case "pull-image":
      return `pull ${op.image} for ${op.service}`;
    case "start":
      return `start ${op.service}#${op.replica} (${op.reason})`;
    case "remove":
      return `remove ${op.service}#${op.replica} (${op.reason})`;
    case "recreate":
      return `recreate ${op.service}#${op.replica} (${op.reason})`;
    case "resume":
      return `resume ${op.service}#${op.replica}`;
    case "keep":
      return `keep ${op.service}#${op.replica}`;
  }
}
