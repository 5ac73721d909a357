/**
 * The adapter interface, in DELoc's words. The engine talks to Docker, Podman or the dry-run twin
 * only through this; no engine library's types appear outside an adapter's own folder.
 */
import type { Readable, Writable } from "node:stream";
import type {
  ClusterCapacity,
  ContainerEvent,
  ContainerRequest,
  ContainerStats,
  EngineCapabilities,
  EngineInfo,
  MemoryCommitment,
  ObservedContainer,
  ObservedStack,
  Plan,
} from "../core/index.js";

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr together, as a user would see them. */
  output: string;
}

/** A command run in a container with the user's terminal or streams attached (`deloc exec`). */
export interface AttachedExecOptions {
  /** A terminal: raw bytes both ways, stdout and stderr as one; resizable. */
  tty: boolean;
  /** Fed to the command until it ends; none: the command's stdin is closed. */
  stdin?: Readable;
  stdout: Writable;
  /** Ignored with a TTY (the terminal merges the streams). */
  stderr: Writable;
  /** The terminal's size at the start. */
  size?: TerminalSize;
  /** `uid[:gid]` or a user name; the container's own user when absent. */
  user?: string;
}

export interface TerminalSize {
  rows: number;
  columns: number;
}

export interface AttachedExec {
  /** Tells the command's terminal its new size (the user's window changed). */
  resize(size: TerminalSize): Promise<void>;
  /** The command's exit code, once it has ended and its output has been written. */
  readonly exitCode: Promise<number>;
}

export interface LogOptions {
  tail?: number;
  follow?: boolean;
  /** Stops a follow. */
  signal?: AbortSignal;
}

/** Progress of a long operation (a pull, a build), one line at a time. */
export type ProgressSink = (line: string) => void;

export interface Adapter {
  readonly name: string;
  info(): Promise<EngineInfo>;
  capabilities(): Promise<EngineCapabilities>;
  /** One snapshot of everything labelled with the stack; `images` lists the tags asked about. */
  observe(stack: string, images?: readonly string[]): Promise<ObservedStack>;
  /**
   * The memory limits of the running containers that are not `excludeStack`'s: other stacks'
   * (`stack` set) and any other container's. Containers without a limit are left out: the budget
   * counts what is promised, not what is used.
   */
  memoryCommitments(excludeStack: string): Promise<MemoryCommitment[]>;

  ensureNetwork(stack: string, name: string): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  ensureVolume(stack: string, name: string): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /**
   * The disk each named volume uses, in bytes, as the engine counts it (`docker system df -v`);
   * null when the engine has not computed it or does not say.
   */
  volumeSizes(names: readonly string[]): Promise<Record<string, number | null>>;
  /** Image id when present, else null. */
  imageId(image: string): Promise<string | null>;
  pullImage(image: string, progress: ProgressSink): Promise<void>;
  buildImage(
    image: string,
    build: { context: string; dockerfile?: string; target?: string; args: Record<string, string> },
    labels: Record<string, string>,
    progress: ProgressSink,
  ): Promise<void>;

  /** Removes the images built for the stack (labelled with it); returns their tags. */
  removeStackImages(stack: string): Promise<string[]>;

  /** Create a container (not started); returns its id. */
  createContainer(req: ContainerRequest): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  inspectContainer(id: string): Promise<ObservedContainer | null>;

  /** Runs argv in a running container (no shell); `stdin` is fed when given. */
  exec(
    id: string,
    argv: readonly string[],
    opts?: { stdin?: Readable; stdout?: Writable; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Runs argv in a running container with streams (or a terminal) attached, as `docker exec -it`. */
  execAttached(id: string, argv: readonly string[], io: AttachedExecOptions): Promise<AttachedExec>;
  /** Unpacks a tar into a folder of a container (created when missing), as `docker cp`. */
  copyInto(id: string, dir: string, tar: Readable): Promise<void>;
  /** The environment a container was created with (secrets resolved); empty when it is gone. */
  containerEnv(id: string): Promise<Record<string, string>>;
  /** The container's own health-check result, as the engine last recorded it. */
  lastHealthOutput(id: string): Promise<string | null>;
  logs(id: string, opts: LogOptions): AsyncIterable<string>;
  /**
   * The engine's events for the stack's containers (start, die, oom, health_status) from now on,
   * as they happen, until `signal` aborts. An engine that reports none yields nothing: the engine
   * then sees what happened by polling alone.
   */
  events(stack: string, signal: AbortSignal): AsyncIterable<ContainerEvent>;
  stats(id: string): Promise<ContainerStats>;

  /**
   * Writes a tar of a named volume's contents to `out`, through a helper container made from
   * `image` that never starts. Stop writers first for a consistent copy.
   */
  archiveVolume(volume: string, image: string, out: Writable): Promise<void>;
  /** Replaces a named volume's contents with the tar read from `tar` (made by `archiveVolume`). */
  restoreVolume(volume: string, tar: Readable): Promise<void>;
}

export type AdapterName = "docker" | "dry-run";

/** A service's workload on a cluster, in DELoc's words: what the engine waits on and `status` shows. */
export interface WorkloadStatus {
  service: string;
  kind: "Deployment" | "StatefulSet" | "Job";
  /** ready: its pods are Ready (a Job: completed); failed: it will not get better without a change. */
  state: "ready" | "starting" | "failed";
  /** Why it is not ready yet, or why it failed. */
  detail: string;
  /** Pods running (Ready or not): what a dependency on `started` waits for. */
  running: number;
  ready: number;
  desired: number;
  restarts: number;
  /** A container of it was killed for memory. */
  oomKilled: boolean;
  pods: string[];
  /** Each pod as the engine judges it: a service without a check must stay up a moment. */
  replicas: PodStatus[];
}

export interface PodStatus {
  pod: string;
  ready: boolean;
  /** Restarts of its service's container(s). */
  restarts: number;
  /** A container of it was killed for memory (now or last time). */
  oomKilled: boolean;
  /** When its service's container started running this time, by the node's clock (whole seconds). */
  startedAtMs?: number;
}

/**
 * A cluster target (Kubernetes). It works on whole workloads rather than containers: it applies the
 * plan's objects and reports each service's readiness; the engine decides the order, waits, records
 * the lifecycle and fails the deploy, as it does for a container engine.
 */
export interface ClusterAdapter {
  readonly name: "kubernetes";
  /** The API server's address, its version and the stack's namespace. */
  readonly endpoint: string;
  readonly version: string;
  readonly namespace: string;
  /** What the cluster offers the stack: its nodes' allocatable memory and CPU, what other pods request. */
  capacity(stack: string): Promise<ClusterCapacity>;
  /** Applies every object of the plan (as a Helm release or server-side); returns what it did, in a line. */
  apply(plan: Plan, secrets: Readonly<Record<string, string>>): Promise<string>;
  /** After a deploy that succeeded: removes what was kept for a rollback (Jobs of an earlier spec); returns what went. */
  settle(plan: Plan): Promise<string[]>;
  workloads(stack: string): Promise<WorkloadStatus[]>;
  /** The last lines of a service's pod (one not Ready, if any), for a failure report. */
  logTail(stack: string, service: string, lines: number): Promise<string[]>;
  scale(stack: string, service: string, replicas: number): Promise<void>;
  /** Replaces the service's pods with new ones, as `kubectl rollout restart` does. */
  restart(stack: string, service: string): Promise<void>;
  /** The stack's PersistentVolumeClaims (its data) and the storage each requests, in bytes. */
  claims(stack: string): Promise<{ name: string; requestBytes: number | null }[]>;
  /** Runs argv in a running pod of the service (a Ready one first), through the API server's exec. */
  exec(
    stack: string,
    service: string,
    argv: readonly string[],
    io?: { stdout?: Writable; stdin?: Readable; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Writes a tar of the contents of the service's claim for `volume` to `out` (stop its pods first). */
  archiveVolume(stack: string, service: string, volume: string, out: Writable): Promise<void>;
  /** Replaces the contents of the service's claim for `volume` with the tar read from `tar`. */
  restoreVolume(stack: string, service: string, volume: string, tar: Readable): Promise<void>;
  /** Removes the stack's objects, and its claims (their data) with `volumes`; returns what went. */
  remove(stack: string, opts: { volumes: boolean }): Promise<string[]>;
  /** The cluster's recent warnings about a service's pods and workload (`Readiness probe failed: …`), oldest first. */
  events(stack: string, service: string, limit: number): Promise<string[]>;
  /** What of the stack runs now, taken before an apply so that a failed deploy can go back to it. */
  checkpoint(stack: string): Promise<ClusterCheckpoint>;
  /**
   * Puts the stack back as the checkpoint found it (`helm rollback` for a release; otherwise the
   * objects re-applied and the newer ones pruned; nothing of it: everything removed but the
   * claims); returns what it did, a line each.
   */
  rollback(stack: string, to: ClusterCheckpoint): Promise<string[]>;
}

/** Opaque to the engine: the adapter's record of what ran before an apply. */
export interface ClusterCheckpoint {
  /** `helm revision 3`, `12 objects`, `nothing`. */
  readonly description: string;
}
