/**
 * The Plan: plain, serialisable data that every target projects — the Docker engine, the compose
 * file, the Helm chart and `deloc plan`. Produced only by the planner. Units are in field names.
 */
import type { PlannedProbe } from "./probe.js";
import type {
  BuildSpec,
  DependencyCondition,
  HealthCheckSpec,
  Profile,
  RestartPolicy,
  Strategy,
  Target,
  VolumeSpec,
} from "./stack.js";

/** Where a figure of the host came from, so `deloc resources` can say it. */
export type ResourceSource =
  | "cgroup v2"
  | "cgroup v1"
  | "/proc/meminfo"
  | "cpu count"
  | "statfs"
  | "docker engine"
  | "--memory"
  | "--cpus"
  | "DELOC_MEMORY"
  | "DELOC_CPUS"
  | "profile"
  | "kubernetes nodes";

/** Memory a running container outside the stack is limited to: another stack's, or a loose one's. */
export interface MemoryCommitment {
  /** The container's name. */
  name: string;
  /** The DELoc stack it belongs to (its `dev.deloc.stack` label); absent for other containers. */
  stack?: string;
  memoryBytes: number;
}

/**
 * What a Kubernetes cluster offers a stack: its schedulable nodes' allocatable memory and CPU (what
 * the kubelet lets pods have), and what the pods of everything else on it ask the scheduler for.
 */
export interface ClusterCapacity {
  nodes: { name: string; memoryBytes: number; cpuMillis: number }[];
  /** Each other pod's requests (`namespace/pod`), its stack when DELoc made it; pods that ask nothing are left out. */
  requests: (MemoryCommitment & { cpuMillis: number })[];
}

/** What the planner may hand out: host capacity less the OS reserve and the safety margin. */
export interface Budget {
  /** Memory of the machine (or of its cgroup / engine VM), bytes. */
  hostMemoryBytes: number;
  /** Kept for the OS and desktop: `osReserveRatio` of the host memory. */
  reserveBytes: number;
  /** Kept back from what is left, so services never fill memory to the last byte. */
  marginBytes: number;
  /** What services may use: host - reserve - margin. */
  memoryBytes: number;
  cpus: number;
  memorySource: ResourceSource;
  cpuSource: ResourceSource;
  /**
   * Whose memory the budget is cut from: this machine's (`host`), the container engine's own when
   * it is smaller (`engine`), `--memory`/`DELOC_MEMORY` (`flags`), or none at all (`profile`:
   * exports, sized by the profile alone), or a Kubernetes cluster's nodes (`cluster`: their
   * allocatable memory and CPU). @default "host"
   */
  capacity?: "host" | "engine" | "flags" | "profile" | "cluster";
  /** Why the engine's figures were not used (no engine answered), when that is so. */
  capacityNote?: string;
  /** Memory limits of the other stacks' and containers' running containers; already taken out of `memoryBytes`. @default 0 */
  committedBytes?: number;
  /** What `committedBytes` is made of, largest first. @default [] */
  commitments?: MemoryCommitment[];
  /**
   * On a cluster: the node with the most allocatable memory. No pod can be given more than it, so
   * no service's memory may exceed it (the budget sums every node's).
   */
  largestNode?: { name: string; memoryBytes: number };
}

export interface PlannedPort {
  name?: string;
  container: number;
  host: number;
  hostIp: string;
  protocol: "tcp" | "udp";
  /** Set when the wanted host port was taken and the planner moved it. */
  movedFrom?: number;
  movedBecause?: string;
}

export interface PlannedDependency {
  service: string;
  condition: DependencyCondition;
}

export interface PlannedEndpoint {
  name: string;
  /** May contain `{{secret.NAME}}` tokens; renderers mask them unless asked not to. */
  url: string;
  description?: string;
}

/** How a generated secret looks: a password, a Fernet key (Airflow) or a URL-safe token. */
export type SecretKind = "password" | "fernet" | "token";

export interface PlannedSecret {
  name: string;
  kind: SecretKind;
}

/** The numeric user an image's process runs as. */
export interface ImageUser {
  uid: number;
  gid: number;
}

export interface PlannedService {
  name: string;
  template?: string;
  variant?: string;
  image: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  /** Sorted by key. Values may contain `{{secret.NAME}}` tokens resolved only at deploy time. */
  env: Record<string, string>;
  ports: PlannedPort[];
  volumes: VolumeSpec[];
  healthCheck?: HealthCheckSpec;
  dependsOn: PlannedDependency[];
  /** 1-based: phase 1 starts first; `plan.phases[phase - 1]` lists this service. */
  phase: number;
  replicas: number;
  scalable: boolean;
  stateful: boolean;
  oneShot: boolean;
  restart: RestartPolicy;
  /** The user the image runs as, when the catalog knows it (Kubernetes exports run it non-root). */
  user?: ImageUser;
  /** Capabilities the image's entrypoint needs beyond the step-down set (catalog images only). */
  capabilities?: string[];
  /** Memory limit per replica. */
  memoryBytes: number;
  memoryMinBytes: number;
  memoryPreferredBytes: number;
  cpuMillis: number;
  /** JVM heap per replica, derived from the memory limit; null when not a JVM service. */
  jvmHeapBytes: number | null;
  jvmHeapEnv?: string;
  /**
   * How the planner derived the heap from the memory limit (the catalog's rule), so a projection
   * whose user may change the limit (the Helm chart's values) can derive it again. Absent when the
   * stack file sets the heap itself.
   */
  jvmHeapRule?: { ratio: number; format: string };
  endpoints: PlannedEndpoint[];
  /** A consistent logical backup (e.g. pg_dumpall): `dump` prints to stdout, `restore` reads stdin. */
  backup?: { dump: string[]; restore: string[] };
  /** Secrets (names) this service's env refers to. */
  secrets: string[];
  /** The probe the stack file or template declares for `deloc verify`; undefined when neither does. */
  verify?: PlannedProbe;
  /** Hash of the runtime-relevant configuration; a change means the container must be recreated. */
  hash: string;
}

export interface Plan {
  stack: string;
  profile: Profile;
  target: Target;
  strategy: Strategy;
  maxParallel: number;
  budget: Budget;
  /** Services in start order: independent services share a phase. */
  phases: string[][];
  /** Sorted by name. */
  services: PlannedService[];
  /** Named volumes the stack owns, sorted. */
  volumes: string[];
  /** Every secret the stack needs, sorted by name. Values are generated per stack at deploy time. */
  secrets: PlannedSecret[];
  /** Things the user should know: shrunk services, moved ports. */
  notes: string[];
  totalMemoryBytes: number;
}
