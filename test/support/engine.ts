/** The real Docker engine for integration tests: found the way `deloc` finds it, never faked. */
import os from "node:os";
import type { Adapter } from "../../src/adapters/adapter.js";
import { openAdapter } from "../../src/adapters/registry.js";
import type { PlannedService } from "../../src/core/index.js";
import { plainService } from "../../src/engine/one-off.js";

export const BASE_IMAGE = "deloc/debian:trixie";

export function dockerAdapter(): Promise<Adapter> {
  return openAdapter("docker", { env: process.env, home: os.homedir(), uid: process.getuid?.() ?? 0 });
}

/** A planned service by hand, for adapter-level tests: sleeps on the base image unless told otherwise. */
export function service(name: string, over: Partial<PlannedService> = {}): PlannedService {
  return plainService(name, BASE_IMAGE, {
    command: ["sleep", "infinity"],
    scalable: true,
    hash: `hash-of-${name}`,
    ...over,
  });
}
