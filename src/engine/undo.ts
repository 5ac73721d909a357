/**
 * Rollback: what a deploy did, in order, so a failure undoes exactly that — containers it created
 * removed, containers it replaced put back under their names and started, containers it resumed
 * stopped, networks and volumes it made removed. What ran before is left as it was.
 */
import type { Adapter } from "../adapters/adapter.js";

export type Undo =
  | { kind: "network"; name: string }
  | { kind: "volume"; name: string }
  | { kind: "created"; service: string; id: string }
  | { kind: "replaced"; service: string; newId: string | null; oldId: string; oldName: string }
  | { kind: "resumed"; service: string; id: string };

/** Undoes `undo` last first; returns the services it put back. Keeps going past a step that fails. */
export async function rollBack(adapter: Adapter, undo: readonly Undo[]): Promise<string[]> {
  const touched = new Set<string>();
  for (const u of [...undo].reverse()) {
    try {
      switch (u.kind) {
        case "created":
          await adapter.removeContainer(u.id);
          touched.add(u.service);
          break;
        case "replaced":
          if (u.newId) await adapter.removeContainer(u.newId);
          await adapter.renameContainer(u.oldId, u.oldName);
          await adapter.startContainer(u.oldId);
          touched.add(u.service);
          break;
        case "resumed":
          await adapter.stopContainer(u.id);
          touched.add(u.service);
          break;
        case "volume":
          await adapter.removeVolume(u.name);
          break;
        case "network":
          await adapter.removeNetwork(u.name);
          break;
      }
    } catch {
      // keep undoing the rest; `deloc status` shows anything left
    }
  }
  return [...touched].sort();
}
