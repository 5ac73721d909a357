/**
 * The rights a service's container runs with, the same on every target that runs containers from
 * the Plan (the Docker adapter, the Compose export): never privileged, no new privileges, and only
 * the Linux capabilities it needs.
 */
import type { PlannedService } from "./plan.js";

/**
 * What an entrypoint that starts as root needs to own its data folder and step down to the image's
 * user (`chown`, `chmod`, `gosu`), and to pass signals on to it. The service itself, once it runs
 * as that user, has no capability at all.
 */
export const STEP_DOWN_CAPABILITIES = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
];

/** Docker's default capabilities that no data service uses: raw sockets, device nodes, the audit log, chroot, file capabilities. */
export const UNUSED_CAPABILITIES = ["AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP", "SYS_CHROOT"];

export interface ContainerSecurity {
  capDrop: string[];
  capAdd: string[];
}

/**
 * A service whose image user the catalog knows drops every capability but the step-down set and
 * what its template says its entrypoint needs besides (Redis' `setpriv --bounding-set` needs
 * SETPCAP); any other (your own images, which may bind port 80 or need more) drops only the
 * unused ones.
 */
export function containerSecurity(s: Pick<PlannedService, "user" | "capabilities">): ContainerSecurity {
  return s.user
    ? { capDrop: ["ALL"], capAdd: [...new Set([...STEP_DOWN_CAPABILITIES, ...(s.capabilities ?? [])])] }
    : { capDrop: [...UNUSED_CAPABILITIES], capAdd: [] };
}
