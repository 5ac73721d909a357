/**
 * Phase 4: short forms → the one canonical form of `core/stack.ts`. Runs on schema-valid data
 * only, so it does not re-check what the schema phase checked.
 */
import path from "node:path";
import {
  Cpu,
  type DeclaredProbe,
  type DependencyCondition,
  Duration,
  type HealthCheckSpec,
  HTTP_PROBE_DEFAULTS,
  type PortSpec,
  type ServiceSpec,
  Size,
  type VolumeSpec,
  type WatchRule,
} from "../../core/index.js";
import { PORT_RE, type ServiceEntry } from "./schema.js";

export interface NormalizeContext {
  /** Folder of the stack file: relative paths resolve against it. */
  dir: string;
  home: string;
}

export function normalizeService(
  name: string,
  entry: ServiceEntry | null,
  ctx: NormalizeContext,
): ServiceSpec {
  const e = entry ?? {};
  const spec: ServiceSpec = {
    name,
    env: normalizeEnv(e.env),
    ports: (e.ports ?? []).map(normalizePort),
    volumes: (e.volumes ?? []).map((v) => normalizeVolume(v, ctx)),
    dependsOn: normalizeDependsOn(e.dependsOn),
    resources: {
      ...(e.resources?.memory !== undefined
        ? { memoryBytes: Size.parse(e.resources.memory as string | number)!.floorMib().bytes }
        : {}),
      ...(e.resources?.cpu !== undefined
        ? { cpuMillis: Cpu.parse(e.resources.cpu as string | number)!.millis }
        : {}),
    },
  };
  if (e.template !== undefined) spec.template = e.template;
  if (e.variant !== undefined) spec.variant = e.variant;
  if (e.image !== undefined) spec.image = e.image;
  if (e.build !== undefined) spec.build = normalizeBuild(e.build, ctx);
  if (e.command !== undefined) spec.command = normalizeArgv(e.command);
  if (e.entrypoint !== undefined) spec.entrypoint = normalizeArgv(e.entrypoint);
  if (e.healthCheck !== undefined) spec.healthCheck = normalizeHealthCheck(e.healthCheck);
  if (e.replicas !== undefined) spec.replicas = e.replicas;
  if (e.restart !== undefined) spec.restart = e.restart;
  if (e.oneShot !== undefined) spec.oneShot = e.oneShot;
  if (e.verify !== undefined) spec.verify = normalizeVerify(e.verify);
  const restart = restartWith(e.dependsOn);
  if (restart.length) spec.restartWith = restart;
  if (e.watch !== undefined) spec.watch = normalizeWatch(e.watch, ctx);
  return spec;
}

type VerifyEntry = NonNullable<ServiceEntry["verify"]>;

/** `verify:` → the one probe it declares, with the HTTP defaults filled in (the schema allows only one kind). */
export function normalizeVerify(v: VerifyEntry): DeclaredProbe {
  if (v.http) {
    const probe: DeclaredProbe = {
      kind: "http",
      path: v.http.path ?? HTTP_PROBE_DEFAULTS.path,
      status: v.http.status ?? HTTP_PROBE_DEFAULTS.status,
    };
    if (v.http.port !== undefined) probe.port = v.http.port;
    return probe;
  }
  if (v.tcp) return v.tcp.port === undefined ? { kind: "tcp" } : { kind: "tcp", port: v.tcp.port };
  return { kind: "command", argv: normalizeArgv(v.command) };
}

/** A string command runs through `sh -c`; a list is argv as is. */
export function normalizeArgv(v: unknown): string[] {
  return typeof v === "string" ? ["sh", "-c", v] : (v as string[]).slice();
}

export function normalizeEnv(env: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env ?? {}).sort()) out[key] = String((env as Record<string, unknown>)[key]);
  return out;
}

export function normalizePort(v: unknown): PortSpec {
  if (typeof v === "number") return { container: v, host: v, protocol: "tcp" };
  if (typeof v === "string") {
    const m = PORT_RE.exec(v)!;
    const container = Number(m[3]);
    const port: PortSpec = {
      container,
      host: m[2] ? Number(m[2]) : container,
      protocol: (m[4] as "udp") ?? "tcp",
    };
    if (m[1]) port.hostIp = m[1].replace(/^\[|\]$/g, "");
    return port;
  }
  const o = v as {
    name?: string;
    container: number;
    host?: number;
    hostIp?: string;
    protocol?: "tcp" | "udp";
  };
  const port: PortSpec = { container: o.container, protocol: o.protocol ?? "tcp" };
  if (o.host !== undefined) port.host = o.host;
  if (o.hostIp !== undefined) port.hostIp = o.hostIp;
  if (o.name !== undefined) port.name = o.name;
  return port;
}

export function normalizeVolume(v: unknown, ctx: NormalizeContext): VolumeSpec {
  if (typeof v === "string") {
    const [source, target, mode] = v.split(":") as [string, string, string | undefined];
    const bind = isHostPath(source);
    return {
      type: bind ? "bind" : "volume",
      source: bind ? resolveHostPath(source, ctx) : source,
      target,
      readOnly: mode === "ro",
    };
  }
  const o = v as { type?: VolumeSpec["type"]; source?: string; target: string; readOnly?: boolean };
  const type = o.type ?? (o.source && isHostPath(o.source) ? "bind" : "volume");
  return {
    type,
    source: type === "bind" ? resolveHostPath(o.source!, ctx) : (o.source ?? ""),
    target: o.target,
    readOnly: o.readOnly ?? false,
  };
}

const isHostPath = (s: string) => s.startsWith(".") || s.startsWith("/") || s.startsWith("~");

function resolveHostPath(source: string, ctx: NormalizeContext): string {
  if (source === "~" || source.startsWith("~/")) return path.join(ctx.home, source.slice(1));
  return path.resolve(ctx.dir, source);
}

function normalizeBuild(v: unknown, ctx: NormalizeContext): ServiceSpec["build"] {
  if (typeof v === "string") return { context: path.resolve(ctx.dir, v), args: {} };
  const o = v as { context: string; dockerfile?: string; target?: string; args?: Record<string, unknown> };
  return {
    context: path.resolve(ctx.dir, o.context),
    ...(o.dockerfile ? { dockerfile: o.dockerfile } : {}),
    ...(o.target ? { target: o.target } : {}),
    args: normalizeEnv(o.args),
  };
}

function normalizeDependsOn(v: unknown): Record<string, DependencyCondition> {
  const out: Record<string, DependencyCondition> = {};
  if (Array.isArray(v)) for (const name of [...v].sort()) out[name as string] = "healthy";
  else if (v && typeof v === "object")
    for (const name of Object.keys(v).sort()) {
      const d = (v as Record<string, DependencyCondition | { condition?: DependencyCondition }>)[name]!;
      out[name] = typeof d === "string" ? d : (d.condition ?? "healthy");
    }
  return out;
}

/** The dependencies of the long form with `restart: true`, sorted. */
function restartWith(v: unknown): string[] {
  if (!v || typeof v !== "object" || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>)
    .filter(([, d]) => typeof d === "object" && d !== null && (d as { restart?: boolean }).restart === true)
    .map(([name]) => name)
    .sort();
}

function normalizeWatch(rules: NonNullable<ServiceEntry["watch"]>, ctx: NormalizeContext): WatchRule[] {
  return rules.map((r) => ({
    path: resolveHostPath(r.path, ctx),
    action: r.action,
    ...(r.target ? { target: r.target } : {}),
    ignore: r.ignore ?? [],
  }));
}

type HealthCheckEntry = Omit<NonNullable<ServiceEntry["healthCheck"]>, "disable"> & { disable?: boolean };

/** Health-check short forms (durations, a shell string) → the fields of `HealthCheckSpec` given. */
export function normalizeHealthCheck(v: HealthCheckEntry | null): Partial<HealthCheckSpec> | null {
  if (v === null || v.disable) return null;
  const ms = (x: unknown) => Duration.parse(x as string | number)!.ms;
  const out: Partial<HealthCheckSpec> = {};
  if (v.command !== undefined) out.command = normalizeArgv(v.command);
  if (v.interval !== undefined) out.intervalMs = ms(v.interval);
  if (v.timeout !== undefined) out.timeoutMs = ms(v.timeout);
  if (v.retries !== undefined) out.retries = v.retries;
  if (v.startPeriod !== undefined) out.startPeriodMs = ms(v.startPeriod);
  if (v.startInterval !== undefined) out.startIntervalMs = ms(v.startInterval);
  return out;
}
