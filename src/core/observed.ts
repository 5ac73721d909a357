/**
 * What runs on an engine for one stack, as the engine reports it (read back from labels). The
 * adapter produces it in one observation; the engine reconciles the Plan against it.
 */

export type ContainerState = "created" | "running" | "restarting" | "paused" | "exited" | "dead";
export type HealthState = "starting" | "healthy" | "unhealthy" | "none";

export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  /** 1-based replica number. */
  replica: number;
  /** The `dev.deloc.hash` label: the service configuration the container was made from. */
  hash: string;
  image: string;
  /** The id of the image the container runs, to notice a rebuilt image under the same tag. */
  imageId: string;
  state: ContainerState;
  health: HealthState;
  exitCode: number | null;
  oomKilled: boolean;
  restartCount: number;
  /** ISO time; null when never started. */
  startedAt: string | null;
  memoryLimitBytes: number;
  /** CPU limit in thousandths of a CPU; 0 when unlimited. */
  cpuMillis: number;
  /** Host ports the container publishes. */
  hostPorts: number[];
}

export interface ObservedStack {
  stack: string;
  /** Sorted by service, then replica. */
  containers: ObservedContainer[];
  /** Named volumes carrying the stack's label (engine names). */
  volumes: string[];
  networks: string[];
  /** Image tag → image id, for the images the plan uses that exist on the engine. */
  images: Record<string, string>;
}

/** What an engine can do, so the engine and commands adapt instead of failing. */
export interface EngineCapabilities {
  /** Health checks accept a start interval (Docker API ≥ 1.44). */
  healthStartInterval: boolean;
  /** Images can be built from a context. */
  build: boolean;
  /** Named volumes can be archived and restored. */
  volumeBackup: boolean;
}

export interface EngineInfo {
  name: string;
  version: string;
  apiVersion: string;
  memoryBytes: number;
  cpus: number;
  /** How the engine was found: `DOCKER_HOST`, the context's socket, … */
  endpoint: string;
  /** Why each earlier discovery strategy was skipped. */
  skipped: string[];
}

export interface ContainerStats {
  memoryBytes: number;
  memoryLimitBytes: number;
  /** The most the container has used since it started, page cache included; null when unknown. */
  peakMemoryBytes: number | null;
  cpuPercent: number;
  /** CPU time the container has used since it started, in seconds; absent when the engine does not say. */
  cpuSeconds?: number;
}

/** A change the engine reports of one of the stack's containers, the moment it happens. */
export interface ContainerEvent {
  /** Container id. */
  id: string;
  service: string;
  action: "start" | "die" | "oom" | "health_status";
  /** `die`: the exit code. */
  exitCode?: number;
  /** `health_status`: the new health. */
  health?: HealthState;
}
