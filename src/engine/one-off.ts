/**
 * A one-off container on the stack's network, run to completion: a client inside the stack (the
 * driver of a Spark job, say). Labelled with the stack, so `cleanup` finds one a crash left.
 */
import { randomBytes } from "node:crypto";
import type { Adapter } from "../adapters/adapter.js";
import { networkName, type PlannedService } from "../core/index.js";
import { type Clock, systemClock } from "./clock.js";

export interface OneOffResult {
  exitCode: number;
  output: string;
}

/** The longest a one-off may run when nothing stops it sooner. */
export const ONE_OFF_MAX_MS = 15 * 60_000;

export async function runOneOff(
  adapter: Adapter,
  stack: string,
  spec: {
    image: string;
    argv: string[];
    env?: Readonly<Record<string, string>>;
    memoryBytes: number;
    /** Stops it early (it is then removed); otherwise it may run ONE_OFF_MAX_MS at most. */
    signal?: AbortSignal;
    timeoutMs?: number;
    deployedBy: string;
  },
  clock: Clock = systemClock,
): Promise<OneOffResult> {
  const name = `one-off-${randomBytes(3).toString("hex")}`;
  const service = plainService(name, spec.image, {
    command: spec.argv,
    oneShot: true,
    memoryBytes: spec.memoryBytes,
    memoryMinBytes: spec.memoryBytes,
    memoryPreferredBytes: spec.memoryBytes,
    cpuMillis: 1000,
  });
  const id = await adapter.createContainer({
    stack,
    service,
    replica: 1,
    env: { ...spec.env },
    network: networkName(stack),
    volumeNames: {},
    publishPorts: false,
    deployedBy: spec.deployedBy,
  });
  try {
    await adapter.startContainer(id);
    const t0 = clock.now();
    let c = await adapter.inspectContainer(id);
    const limit = spec.timeoutMs ?? ONE_OFF_MAX_MS;
    while (c && c.state !== "exited" && c.state !== "dead") {
      if (spec.signal?.aborted) return { exitCode: -1, output: "stopped: its deadline passed" };
      if (clock.now() - t0 > limit) return { exitCode: -1, output: `still running after ${limit / 1000} s` };
      await clock.sleep(250);
      c = await adapter.inspectContainer(id);
    }
    const lines: string[] = [];
    for await (const line of adapter.logs(id, {})) lines.push(line);
    return { exitCode: c?.exitCode ?? -1, output: lines.join("\n") };
  } finally {
    await adapter.removeContainer(id);
  }
}

/** A service outside any plan (a one-off client, a test's): no ports, volumes, health check or dependencies. */
export function plainService(
  name: string,
  image: string,
  over: Partial<PlannedService> = {},
): PlannedService {
  const mib64 = 64 * 1024 * 1024;
  return {
    name,
    image,
    env: {},
    ports: [],
    volumes: [],
    dependsOn: [],
    phase: 1,
    replicas: 1,
    scalable: false,
    stateful: false,
    oneShot: false,
    restart: "no",
    memoryBytes: mib64,
    memoryMinBytes: mib64,
    memoryPreferredBytes: mib64,
    cpuMillis: 250,
    jvmHeapBytes: null,
    endpoints: [],
    secrets: [],
    hash: name,
    ...over,
  };
}
