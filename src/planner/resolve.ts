/**
 * Stack + catalog → one resolved entry per service: groups expanded into their components,
 * services that a template requires added, template, variant and the file's overrides merged.
 * Placeholders are still unresolved here; ports are still the wanted ones.
 */
import path from "node:path";
import type { BackupCommands, Catalog, JvmSettings, ServiceTemplate } from "../catalog/index.js";
import {
  ConfigError,
  closest,
  type DependencyCondition,
  HEALTH_CHECK_DEFAULTS,
  type HealthCheckSpec,
  type PortSpec,
  type Profile,
  type RestartPolicy,
  type ServiceSpec,
  type Stack,
  sortKeys,
  templateKey,
  UnknownServiceError,
  type VolumeSpec,
} from "../core/index.js";

/** Memory and CPU of a service whose file gives none and which has no template. */
export const CUSTOM_SERVICE_RESOURCES = {
  memoryMinBytes: 128 * 1024 ** 2,
  memoryPreferredBytes: 512 * 1024 ** 2,
  cpuMillis: 1000,
} as const;

export interface ResolvedService {
  name: string;
  template?: ServiceTemplate;
  variant?: string;
  image: string;
  build?: ServiceSpec["build"];
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  /** Env keys the file set itself (the planner never overwrites them). */
  userEnv: ReadonlySet<string>;
  ports: PortSpec[];
  volumes: VolumeSpec[];
  healthCheck?: HealthCheckSpec;
  dependsOn: Record<string, DependencyCondition>;
  replicas: number;
  memoryMinBytes: number;
  memoryPreferredBytes: number;
  /** The file fixed the memory: never shrunk. */
  memoryFixed: boolean;
  cpuMillis: number;
  jvm?: JvmSettings;
  backup?: BackupCommands;
  scalable: boolean;
  stateful: boolean;
  oneShot: boolean;
  restart: RestartPolicy;
  endpoints: { name: string; url: string; description?: string }[];
  /** Why the service is in the plan when the file does not list it. */
  addedBecause?: string;
}

export function resolveServices(
  stack: Stack,
  catalog: Catalog,
): { services: ResolvedService[]; notes: string[] } {
  const notes: string[] = [];
  const specs = new Map<string, ServiceSpec>();
  const offered = [...catalog.templates.keys(), ...catalog.groups.keys()];
  const disabled = new Set(stack.disabled ?? []);

  // Groups expand into components; an entry naming a component directly wins over the group's, and
  // `component: { enabled: false }` leaves it out.
  for (const s of stack.services) {
    const group = catalog.groups.get(templateKey(s) ?? "");
    if (!group) continue;
    for (const component of group) {
      if (disabled.has(component)) continue;
      const groupLevel: ServiceSpec = {
        name: component,
        env: s.env,
        ports: [],
        volumes: s.volumes,
        dependsOn: {},
        resources: {},
      };
      if (s.image) groupLevel.image = s.image;
      specs.set(component, groupLevel);
    }
  }
  for (const s of stack.services)
    if (!catalog.groups.has(templateKey(s) ?? "")) specs.set(s.name, mergeSpec(specs.get(s.name), s));

  const templateOf = (s: ServiceSpec): ServiceTemplate | undefined => {
    const name = templateKey(s);
    if (name === undefined) return undefined;
    const t = catalog.templates.get(name);
    if (!t && (s.template !== undefined || (!s.image && !s.build)))
      throw new UnknownServiceError(name, closest(name, offered));
    return t;
  };

  // Add what templates require or depend on, until nothing more is needed.
  const addedBecause = new Map<string, string>();
  const turnedOff = new Map<string, Set<string>>();
  const queue = [...specs.values()];
  for (let next = 0; next < queue.length; next++) {
    const s = queue[next]!;
    const t = templateOf(s);
    if (!t) continue;
    const variant = s.variant ? t.variants[s.variant] : undefined;
    const needs = new Set([
      ...t.requires,
      ...Object.keys(t.dependsOn),
      ...(variant?.requires ?? []),
      ...Object.keys(variant?.dependsOn ?? {}),
    ]);
    for (const need of [...needs].sort()) {
      if (specs.has(need)) continue;
      if (disabled.has(need)) {
        turnedOff.set(need, (turnedOff.get(need) ?? new Set()).add(s.name));
        continue;
      }
      const added: ServiceSpec = {
        name: need,
        env: {},
        ports: [],
        volumes: [],
        dependsOn: {},
        resources: {},
      };
      specs.set(need, added);
      addedBecause.set(need, s.name);
      queue.push(added);
    }
  }
  for (const [name, by] of [...addedBecause].sort(([a], [b]) => a.localeCompare(b)))
    notes.push(`${name} was added: ${by} needs it`);
  if (turnedOff.size)
    throw new ConfigError(
      stack.file,
      [...turnedOff]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, by]) => ({
          path: `spec.services.${name}`,
          message: `${[...by].sort().join(", ")} ${by.size === 1 ? "needs" : "need"} ${name}, which \`enabled: false\` turns off`,
          suggestion: `drop its \`enabled: false\``,
        })),
    );

  // Peers a template's connections reach: catalog services under their own name (a custom service
  // that only shares the name, `template: none`, is not one).
  const inStack: ReadonlySet<string> = new Set(
    [...specs.values()].filter((s) => templateOf(s)?.name === s.name).map((s) => s.name),
  );
  const services = [...specs.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const r = resolveOne(s, templateOf(s), stack, inStack);
      const by = addedBecause.get(s.name);
      if (by) r.addedBecause = by;
      return r;
    });
  return { services, notes };
}

function mergeSpec(base: ServiceSpec | undefined, s: ServiceSpec): ServiceSpec {
  if (!base) return s;
  return { ...base, ...s, env: { ...base.env, ...s.env }, volumes: [...base.volumes, ...s.volumes] };
}

function resolveOne(
  s: ServiceSpec,
  t: ServiceTemplate | undefined,
  stack: Stack,
  inStack: ReadonlySet<string>,
): ResolvedService {
  const profile: Profile = stack.profile;
  const variant = t && s.variant ? t.variants[s.variant] : undefined;
  const env: Record<string, string> = { ...t?.env };
  for (const key of variant?.unsetEnv ?? []) delete env[key];
  Object.assign(env, variant?.env);
  // How it reaches the other catalog services the stack has (Spark → MinIO's S3, Kafka's brokers);
  // the stack file's own env still wins.
  for (const [peer, c] of Object.entries(t?.connections ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    if (inStack.has(peer)) Object.assign(env, c.env);
  Object.assign(env, s.env);

  const templateResources = t?.resources[profile] ?? CUSTOM_SERVICE_RESOURCES;
  const fixed = s.resources.memoryBytes;
  const oneShot = s.oneShot ?? t?.oneShot ?? false;

  const r: ResolvedService = {
    name: s.name,
    image: s.image ?? variant?.image ?? t?.image ?? defaultImageName(stack.name, s.name),
    env: sortKeys(env),
    userEnv: new Set(Object.keys(s.env)),
    ports: mergePorts(t?.ports ?? [], s.ports),
    volumes: mergeVolumes(
      (t?.volumes ?? []).map((v) => resolveBind(v, stack.dir)),
      s.volumes,
    ),
    dependsOn: sortKeys({ ...t?.dependsOn, ...variant?.dependsOn, ...s.dependsOn }),
    replicas: s.replicas ?? 1,
    memoryMinBytes: fixed ?? templateResources.memoryMinBytes,
    memoryPreferredBytes: fixed ?? templateResources.memoryPreferredBytes,
    memoryFixed: fixed !== undefined,
    cpuMillis: s.resources.cpuMillis ?? templateResources.cpuMillis,
    scalable: t ? t.scalable : true,
    stateful: t?.stateful ?? false,
    oneShot,
    restart: s.restart ?? t?.restart ?? (oneShot ? "no" : "unless-stopped"),
    endpoints: t ? t.endpoints.map((e) => ({ ...e })) : customEndpoints(s.ports),
  };
  if (t) r.template = t;
  if (s.variant) r.variant = s.variant;
  if (s.build) r.build = s.build;
  const command = s.command ?? variant?.command ?? t?.command;
  if (command) r.command = command;
  const entrypoint = s.entrypoint ?? t?.entrypoint;
  if (entrypoint) r.entrypoint = entrypoint;
  if (t?.jvm) r.jvm = t.jvm;
  if (t?.backup) r.backup = t.backup;
  if (s.healthCheck !== null) {
    const merged = {
      ...HEALTH_CHECK_DEFAULTS,
      ...(variant?.healthCheck ?? t?.healthCheck),
      ...s.healthCheck,
    };
    if (merged.command) r.healthCheck = merged as HealthCheckSpec;
  }
  return r;
}

/** A custom service built from a Dockerfile with no `image:` gets a stable local name. */
function defaultImageName(stack: string, service: string): string {
  return `deloc-${stack}-${service}:latest`;
}

/** The file's ports replace the template's port with the same container port, and add the rest. */
function mergePorts(template: readonly PortSpec[], user: readonly PortSpec[]): PortSpec[] {
  const out = template.map((p) => ({ ...p }));
  for (const u of user) {
    const i = out.findIndex((p) => p.container === u.container && p.protocol === u.protocol);
    if (i >= 0) out[i] = { ...out[i], ...u, name: u.name ?? out[i]!.name } as PortSpec;
    else out.push({ ...u });
  }
  return out;
}

/** The file's volumes replace the template's volume mounted at the same target. */
function mergeVolumes(template: readonly VolumeSpec[], user: readonly VolumeSpec[]): VolumeSpec[] {
  const byTarget = new Map(template.map((v) => [v.target, v]));
  for (const u of user) byTarget.set(u.target, u);
  return [...byTarget.values()];
}

function resolveBind(v: VolumeSpec, dir: string): VolumeSpec {
  return v.type === "bind" ? { ...v, source: path.resolve(dir, v.source) } : v;
}

function customEndpoints(ports: readonly PortSpec[]) {
  return ports
    .filter((p) => p.host !== undefined)
    .map((p) => ({
      name: p.name ?? `port-${p.container}`,
      url: `localhost:{{port.${p.name ?? p.container}}}`,
    }));
}
