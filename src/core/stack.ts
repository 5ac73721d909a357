/**
 * The validated, normalised stack: what `config` produces from `deloc.yaml` and the planner reads.
 * Every short form of the file (`"3000:3000"`, `"cache:/root/.cache"`, `dependsOn: [a]`) has been
 * turned into the one canonical form here. Units are explicit in field names.
 */
import type { DeclaredProbe } from "./probe.js";

export const PROFILES = ["minimal", "development", "production"] as const;
export type Profile = (typeof PROFILES)[number];

export const TARGETS = ["docker", "podman", "kubernetes"] as const;
export type Target = (typeof TARGETS)[number];

export const STRATEGIES = ["parallel", "sequential", "hybrid"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const CONDITIONS = ["healthy", "started", "completed"] as const;
/** When a dependent may start: the dependency is healthy, has started, or ran to completion (exit 0). */
export type DependencyCondition = (typeof CONDITIONS)[number];

export const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export interface PortSpec {
  /** A name that endpoints and env templates refer to (`{{port.broker}}`). */
  name?: string;
  container: number;
  /** Host port; undefined when the port is not published. */
  host?: number;
  /** Host address to bind; undefined means the stack's bind address (127.0.0.1 by default). */
  hostIp?: string;
  protocol: "tcp" | "udp";
}

export interface VolumeSpec {
  /** `volume`: a named volume owned by the stack; `bind`: a host path; `tmpfs`: memory-backed. */
  type: "volume" | "bind" | "tmpfs";
  /** Volume name, or an absolute host path for binds (resolved against the stack file's folder). */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HealthCheckSpec {
  /** argv run inside the container; exit 0 means healthy. */
  command: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  /** Probe interval during the start period, so readiness is seen fast (Docker's `StartInterval`). */
  startIntervalMs: number;
}

export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  dockerfile?: string;
  target?: string;
  args: Record<string, string>;
}

export interface ServiceOverrides {
  /** Fixed memory per replica in bytes; when set, the planner does not shrink it. */
  memoryBytes?: number;
  cpuMillis?: number;
}

export interface ServiceSpec {
  name: string;
  /**
   * The catalog template this service is made from; undefined for a custom service (or a service
   * named as a catalog one: that one's template). `none`: custom, even under a catalog name.
   */
  template?: string;
  /** A named variant of the template, e.g. kafka's `zookeeper`. */
  variant?: string;
  image?: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: PortSpec[];
  volumes: VolumeSpec[];
  dependsOn: Record<string, DependencyCondition>;
  /** What the file sets of the health check (merged over the template's); `null` turns it off. */
  healthCheck?: Partial<HealthCheckSpec> | null;
  resources: ServiceOverrides;
  replicas?: number;
  restart?: RestartPolicy;
  /** Custom services only: the service runs once and must exit 0 (migrations, seeders). */
  oneShot?: boolean;
  /** How `deloc verify` checks the service; replaces the template's (or built-in) probe. */
  verify?: DeclaredProbe;
  /** Dependencies whose recreation by `deloc watch` restarts this service (`dependsOn` with `restart: true`). */
  restartWith?: string[];
  /** What `deloc watch` does when files change; absent: rebuild on changes to the build context. */
  watch?: WatchRule[];
}

/** A rule of `deloc watch`, as Compose's `develop.watch`. */
export interface WatchRule {
  /** Absolute path of the file or folder watched. */
  path: string;
  action: "sync" | "rebuild" | "restart" | "sync+restart";
  /** Where `sync` copies to in the container. */
  target?: string;
  /** `.dockerignore` patterns, relative to `path`. */
  ignore: string[];
}

export interface Stack {
  apiVersion: "deloc.dev/v1";
  name: string;
  profile: Profile;
  target: Target;
  strategy: Strategy;
  /** Concurrency cap of the `hybrid` strategy. */
  maxParallel: number;
  /** Address host ports bind to unless a port says otherwise. */
  bindAddress: string;
  /** Folders of extra catalog templates, absolute. */
  catalogPaths: string[];
  /** npm packages loaded as plugins (`spec.plugins`), as named. @default [] */
  plugins?: string[];
  /** Sorted by name. */
  services: ServiceSpec[];
  /**
   * Entries the file turns off with `enabled: false`, sorted: left out of `services`, and a group's
   * component named here is left out of the group too. @default []
   */
  disabled?: string[];
  /** Absolute path of the stack file and its folder (relative paths resolve against it). */
  file: string;
  dir: string;
}

/** Health-check timings used where neither the file nor the template says otherwise. */
export const HEALTH_CHECK_DEFAULTS: Readonly<Omit<HealthCheckSpec, "command">> = {
  intervalMs: 5_000,
  timeoutMs: 3_000,
  retries: 30,
  startPeriodMs: 0,
  // Probe fast while starting so readiness is seen within a quarter second.
  startIntervalMs: 250,
};

/** `template: none` in a stack file: a custom service, even when its name is a catalog one. */
export const NO_TEMPLATE = "none";

/** The catalog name a service's template is looked up by: its `template`, else its own name. */
export function templateKey(s: { name: string; template?: string | undefined }): string | undefined {
  return s.template === NO_TEMPLATE ? undefined : (s.template ?? s.name);
}
