/**
 * The probe `deloc verify` runs for a planned service: the one its stack-file entry declares, else
 * its template's, with the port it names resolved among the ports the service publishes.
 */

import type { ServiceTemplate } from "../catalog/index.js";
import {
  type DeclaredProbe,
  type Diagnostic,
  findProbePort,
  type PlannedPort,
  type PlannedProbe,
  type Stack,
} from "../core/index.js";
import { stackEntry } from "./entries.js";

/** Which declared probe applies to a service; a group's entry declares none for its components. */
export function declaredProbe(
  stack: Stack,
  name: string,
  template: ServiceTemplate | undefined,
): { probe: DeclaredProbe; path: string } | undefined {
  const own = stackEntry(stack, name)?.verify;
  if (own) return { probe: own, path: `spec.services.${name}.verify` };
  if (template?.verify) return { probe: template.verify, path: `${template.source}: verify` };
  return undefined;
}

/**
 * The declared probe on the plan, or a problem when its port is not among the published ones (the
 * stack-file rules report that earlier, with its position; this guards plans made without them).
 */
export function planProbe(
  service: string,
  declared: { probe: DeclaredProbe; path: string },
  ports: readonly PlannedPort[],
): { ok: true; probe: PlannedProbe } | { ok: false; problem: Diagnostic } {
  const { probe, path } = declared;
  if (probe.kind === "command") return { ok: true, probe: { kind: "command", argv: [...probe.argv] } };
  const port =
    probe.port === undefined ? ports.find((p) => p.protocol === "tcp") : findProbePort(ports, probe.port);
  if (!port)
    return {
      ok: false,
      problem: {
        path,
        message:
          probe.port === undefined
            ? `${service} publishes no TCP port for its ${probe.kind} probe`
            : `${service} publishes no TCP port ${JSON.stringify(probe.port)} for its ${probe.kind} probe`,
        suggestion: "name a published port (by name or container port), or use a command probe",
      },
    };
  const target = { container: port.container, ...(port.name ? { name: port.name } : {}) };
  return {
    ok: true,
    probe:
      probe.kind === "http"
        ? { kind: "http", port: target, path: probe.path, status: probe.status }
        : { kind: "tcp", port: target },
  };
}
