/** The real Docker engine for integration tests: found the way `deloc` finds it, never faked. */
import os from "node:os";
import type { Adapter } from "../../src/adapters/adapter.js";
import { openAdapter } from "../../src/adapters/registry.js";
import type { PlannedService } from "../../src/core/index.js";

export const BASE_IMAGE = "deloc/debian:trixie";

export function dockerAdapter(): Promise<Adapter> {
  return openAdapter("docker", { env: process.env, home: os.homedir(), uid: process.getuid?.() ?? 0 });
}

/** A planned service by hand, for adapter-level tests. */
export function service(name: string, over: Partial<PlannedService> = {}): PlannedService {
  return {
    name,
    image: BASE_IMAGE,
    command: ["sleep", "infinity"],
    env: {},
    ports: [],
    volumes: [],
    dependsOn: [],
    phase: 1,
    replicas: 1,
    scalable: true,
    stateful: false,
    oneShot: false,
    restart: "no",
    memoryBytes: 64 * 1024 * 1024,
    memoryMinBytes: 64 * 1024 * 1024,
    memoryPreferredBytes: 64 * 1024 * 1024,
    cpuMillis: 250,
    jvmHeapBytes: null,
    endpoints: [],
    secrets: [],
    hash: `hash-of-${name}`,
    ...over,
  };
}
