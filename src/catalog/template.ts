/**
 * A service template as the planner uses it: one catalog service, with group defaults already
 * merged in. Text fields may hold `{{…}}` placeholders that the planner resolves:
 * `{{service}}`, `{{stack}}`, `{{port.NAME}}` (host port), `{{containerPort.NAME}}`,
 * `{{env.KEY}}`, and `{{secret.NAME}}` (kept as a token until deploy time).
 */
import type {
  DependencyCondition,
  HealthCheckSpec,
  PortSpec,
  Profile,
  RestartPolicy,
  VolumeSpec,
} from "../core/index.js";

export type { SecretKind } from "../core/index.js";

import type { DeclaredProbe, ImageUser, SecretKind } from "../core/index.js";

export interface BackupCommands {
  dump: string[];
  restore: string[];
}

export interface ProfileResources {
  memoryMinBytes: number;
  memoryPreferredBytes: number;
  cpuMillis: number;
}

export interface JvmSettings {
  /** Heap = container memory limit × ratio, rounded down to MiB. */
  heapRatio: number;
  /** The env var that carries the heap setting. */
  env: string;
  /** Its value, with `{{heap}}` (e.g. `768m`) or `{{heapMib}}` (e.g. `768`). */
  format: string;
}

export interface EndpointTemplate {
  name: string;
  url: string;
  description?: string;
}

export interface TemplateVariant {
  description: string;
  image?: string;
  command?: string[];
  env: Record<string, string>;
  unsetEnv: string[];
  dependsOn: Record<string, DependencyCondition>;
  requires: string[];
  /** Replaces the template's health check (another image has other tools). */
  healthCheck?: HealthCheckSpec;
  /** Replace the template's shortcuts of the same names. */
  shortcuts?: Record<string, Shortcut>;
}

/** A command of the image run as `deloc NAME [args…]`: argv in the service's container, args appended. */
export interface Shortcut {
  description: string;
  command: string[];
}

export interface ServiceTemplate {
  name: string;
  description: string;
  category: string;
  /** The upstream image users pull; pinned. */
  image: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  /** Every port has a name so endpoints and env can refer to it. */
  ports: (PortSpec & { name: string })[];
  volumes: VolumeSpec[];
  healthCheck?: HealthCheckSpec;
  dependsOn: Record<string, DependencyCondition>;
  /** Catalog services added to the stack when this one is used (e.g. spark-worker → spark-master). */
  requires: string[];
  endpoints: EndpointTemplate[];
  resources: Record<Profile, ProfileResources>;
  jvm?: JvmSettings;
  /** argv that dump the service's data consistently to stdout, and restore it from stdin. */
  backup?: BackupCommands;
  scalable: boolean;
  stateful: boolean;
  oneShot: boolean;
  restart: RestartPolicy;
  /** The user the image's process runs as. */
  user?: ImageUser;
  /**
   * The Python minor version the image runs (PySpark), and the templates whose Python must be the
   * same (a driver's executors); a difference is a note of the plan.
   */
  python?: { version: string; matches: string[] };
  /** Capabilities its entrypoint needs beyond the step-down set. */
  capabilities?: string[];
  /**
   * Env added when the stack also has a service named as the key (a catalog service under its own
   * name): how this one reaches it, e.g. Spark's S3A settings for `minio`.
   */
  connections: Record<string, { env: Record<string, string> }>;
  /** Secrets this template's env or endpoints use, by name. */
  secrets: Record<string, SecretKind>;
  variants: Record<string, TemplateVariant>;
  /** The group this service belongs to (e.g. `airflow`), if any. */
  group?: string;
  /** Where the template was read from. */
  source: string;
  /** Upstream documentation of the image. */
  docs?: string;
  /** The probe `deloc verify` runs when DELoc has none of its own for this service. */
  verify?: DeclaredProbe;
  /** `deloc NAME` commands of the image (`deloc psql`), by name. */
  shortcuts: Record<string, Shortcut>;
}

export interface Recipe {
  name: string;
  description: string;
  services: string[];
}

export interface Catalog {
  /** Sorted by name. */
  templates: ReadonlyMap<string, ServiceTemplate>;
  /** Group name → component service names, sorted. */
  groups: ReadonlyMap<string, readonly string[]>;
  recipes: ReadonlyMap<string, Recipe>;
}
