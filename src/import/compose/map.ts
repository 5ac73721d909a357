/**
 * Compose services → stack-file service entries. Every key of a compose service is either carried
 * (possibly reshaped: `depends_on` conditions, `healthcheck.test` forms, `deploy.resources`) or
 * reported with its line and why it cannot be; nothing is dropped silently. Pure.
 */
import path from "node:path";
import { DNS_LABEL, dnsSafe } from "../../config/index.js";
import { Cpu, Duration, NO_TEMPLATE, Size } from "../../core/index.js";
import { CATALOG_WIRING, imageDefaults, matchCatalog, parseImage } from "./catalog-match.js";
import {
  asMapping,
  ComposeLoadError,
  type ComposeProject,
  type ComposeService,
  isRecord,
  parseEnvFile,
  type Raw,
} from "./project.js";
import { shellWords } from "./shell-words.js";
import type { Where } from "./source.js";

export interface Note {
  where: Where;
  service?: string;
  /** The compose key, dotted. */
  key: string;
  why: string;
}

export interface ImportedService {
  name: string;
  /** What it became, for the comment above it: the catalog service, or "custom". */
  summary: string;
  /** The catalog template it became, if any. */
  template?: string;
  entry: Raw;
  where: Where;
}

export interface MapInput {
  project: ComposeProject;
  /** The folder the stack file is written to: bind mounts and build contexts are made relative to it. */
  outDir: string;
  /** The process environment (values of `environment: [NAME]` without `=`). */
  env: Readonly<Record<string, string | undefined>>;
  read: (file: string) => string | undefined;
  /** Names of the catalog's templates and groups: a custom service so named says `template: none`. */
  offered: ReadonlySet<string>;
  templateEnv: (template: string, variant?: string) => Record<string, string> | undefined;
  /** Services kept custom even when their image is a catalog one. */
  custom: ReadonlySet<string>;
}

export interface MapResult {
  services: ImportedService[];
  notes: Note[];
}

const CONDITIONS: Record<string, string> = {
  service_started: "started",
  service_healthy: "healthy",
  service_completed_successfully: "completed",
};

/** Keys with no stack-file equivalent, and why. */
const NOT_CARRIED: Record<string, string> = {
  container_name:
    "DELoc names containers after the stack and service; other services reach it by its service name",
  hostname: "other services reach it by its service name",
  domainname: "other services reach it by its service name",
  user: "the stack file has no user: the image's own user runs it",
  working_dir: "the stack file has no working directory: the image's runs",
  links: "every service of the stack reaches every other by its service name",
  external_links: "a stack's services reach only each other",
  network_mode: "a stack's services share the stack's one network",
  privileged: "DELoc never runs privileged containers",
  cap_add: "DELoc drops capabilities services do not use; extra ones are not granted",
  cap_drop: "DELoc already drops the capabilities services do not use",
  security_opt: "DELoc sets no-new-privileges itself",
  labels: "DELoc labels containers with the stack, service and config hash",
  logging: "logs stay with the engine's default driver (`deloc logs`)",
  stop_grace_period: "DELoc stops containers with the engine's default timeout",
  stop_signal: "DELoc stops containers with the image's stop signal",
  init: "no init process is added",
  tty: "containers run without a TTY",
  stdin_open: "containers run without stdin",
  extra_hosts: "the stack file has no extra host entries",
  dns: "containers use the engine's DNS",
  dns_search: "containers use the engine's DNS",
  tmpfs: "the stack file has no tmpfs mounts",
  shm_size: "the stack file has no shared-memory size",
  ulimits: "the stack file has no ulimits",
  sysctls: "the stack file has no sysctls",
  devices: "the stack file has no devices",
  platform: "images run for the engine's own platform",
  pull_policy: "DELoc pulls an image only when the engine lacks it (`up --build` rebuilds)",
  secrets: "compose secrets are files; give values through env (DELoc's own secrets are generated per stack)",
  configs: "compose configs are files; mount them with a bind volume",
  ipc: "the stack file has no IPC mode",
  pid: "the stack file has no PID mode",
  volumes_from: "mount the same named volume instead",
  develop: "compose watch rules are not carried",
  mem_reservation: "DELoc reserves memory from its plan",
  memswap_limit: "the stack file has no swap limit",
  oom_kill_disable: "the stack file has no OOM setting",
  cpu_shares: "CPU is limited with resources.cpu",
  cpuset: "CPU is limited with resources.cpu",
  runtime: "containers run with the engine's default runtime",
  isolation: "containers run with the engine's default isolation",
  annotations: "the stack file has no annotations",
  attach: "DELoc does not attach to logs at `up` (`deloc logs -f`)",
  scale: "", // handled
};

export function mapServices(input: MapInput): MapResult {
  const badNames = input.project.services.filter((s) => !DNS_LABEL.test(s.name));
  if (badNames.length)
    throw new ComposeLoadError(
      badNames.map((s) => {
        const w = s.where([]);
        return {
          path: `services.${s.name}`,
          message: `service name ${s.name}: DELoc's service names are lower-case letters, digits and dashes (they name containers and hosts in every target)`,
          position: { file: w.file, line: w.line, column: 1 },
          suggestion: `rename it to ${dnsSafe(s.name)} in the compose file, and where other services name it`,
        };
      }),
    );
  const notes: Note[] = [];
  const names = new Set(input.project.services.map((s) => s.name));
  const inactive = new Map(input.project.inactive.map((s) => [s.name, s.profiles]));
  // A service others wait for with service_completed_successfully runs once.
  const oneShots = new Set<string>();
  for (const s of input.project.services)
    for (const [dep, v] of Object.entries(asMapping(s.data.depends_on, "depends_on")))
      if (isRecord(v) && v.condition === "service_completed_successfully") oneShots.add(dep);
  const services = input.project.services.map((s) =>
    mapService(s, { ...input, names, inactive, oneShot: oneShots.has(s.name), notes }),
  );
  for (const svc of services)
    if (svc.template === "kafka") {
      const compose = input.project.services.find((s) => s.name === svc.name)!;
      rewriteListeners(svc.name, compose, services, input.project.services, notes);
    }
  return { services, notes };
}

interface Ctx extends MapInput {
  names: ReadonlySet<string>;
  inactive: ReadonlyMap<string, string[]>;
  oneShot: boolean;
  notes: Note[];
}

function mapService(svc: ComposeService, ctx: Ctx): ImportedService {
  const d = svc.data;
  const note = (key: string, why: string) =>
    ctx.notes.push({ where: svc.where(keyPath(key)), service: svc.name, key, why });
  const entry: Raw = {};
  const env = environment(svc, ctx, note);
  const image = typeof d.image === "string" ? d.image : undefined;
  const matched =
    image && d.build === undefined && !ctx.custom.has(svc.name) ? matchCatalog(image, d, env) : {};
  if (image && d.build !== undefined && matchCatalog(image, d, env).match)
    note("build", "built from a Dockerfile: a custom service, not the catalog's image");
  if (matched.why) note("image", matched.why);
  const match = matched.match;
  let summary = "a custom service";

  if (match) {
    const defaultTemplate = match.template === svc.name;
    if (!defaultTemplate) entry.template = match.template;
    if (match.variant) entry.variant = match.variant;
    const { tag } = parseImage(image!);
    entry.image = image;
    summary = `the catalog's ${match.template}${match.variant ? ` (variant ${match.variant})` : ""}, image ${tag ?? "latest"}: DELoc sizes it and its health check, verify and backup apply`;
    const templateEnv = ctx.templateEnv(match.template, match.variant) ?? {};
    const wiring = new Set(CATALOG_WIRING[match.template] ?? []);
    const kept: Raw = {};
    // The image's own defaults for what the catalog would otherwise set its way.
    for (const [k, v] of Object.entries(imageDefaults(match.template, env)))
      if (env[k] === undefined && templateEnv[k] !== undefined) kept[k] = v;
    for (const [k, v] of Object.entries(env)) {
      if (wiring.has(k)) {
        if (String(v) !== templateEnv[k])
          note(
            `environment.${k}`,
            `the catalog's ${match.template} sets ${k} itself (its listeners, heap and data folder make sizing, health and verify work)`,
          );
        continue;
      }
      if (templateEnv[k] !== String(v)) kept[k] = v;
    }
    if (Object.keys(kept).length) entry.env = kept;
  } else {
    if (ctx.offered.has(svc.name)) {
      entry.template = NO_TEMPLATE;
      summary = `a custom service (\`template: ${NO_TEMPLATE}\`: ${svc.name} is also the name of a catalog service)`;
    }
    if (image) entry.image = image;
    if (d.build !== undefined) {
      const build = buildOf(svc, ctx, note);
      if (build) entry.build = build;
    }
    if (!image && d.build === undefined) note("image", "the service has neither image nor build");
    if (Object.keys(env).length) entry.env = env;
  }

  for (const key of ["entrypoint", "command"] as const) {
    const v = d[key];
    if (v === undefined || v === null) continue;
    if (
      match &&
      key === "command" &&
      (match.template.startsWith("airflow-") || match.template.startsWith("spark-"))
    ) {
      note(
        key,
        `the catalog's ${match.template} runs the same program, with its own flags (addresses, ports)`,
      );
      continue;
    }
    const argv = argvOf(v);
    if (argv === undefined) note(key, `cannot split ${JSON.stringify(v)} into arguments (an unclosed quote)`);
    else if (argv.length === 0) entry[key] = key === "entrypoint" ? [""] : undefined;
    else entry[key] = argv;
  }
  if (entry.command === undefined) delete entry.command;
  if (Array.isArray(entry.entrypoint) && entry.entrypoint.length === 1 && entry.entrypoint[0] === "") {
    delete entry.entrypoint;
    note("entrypoint", "an empty entrypoint (the image's reset) is not carried: the image's entrypoint runs");
  }

  const replicas = replicasOf(d, note);
  let ports = portsOf(svc, note);
  if (replicas !== undefined && ports.some((p) => !isRecord(p) || p.host !== undefined)) {
    note(
      "ports",
      `${replicas} replicas cannot share a host port: the ports are not published (other services reach them by name)`,
    );
    ports = ports.map((p) => ({ container: isRecord(p) ? p.container : Number(String(p).split(":").pop()) }));
  }
  if (ports.length) entry.ports = ports;
  const volumes = volumesOf(svc, ctx, note);
  if (volumes.length) entry.volumes = volumes;
  const deps = dependsOn(svc, ctx, note);
  if (Object.keys(deps).length) entry.dependsOn = deps;

  if (d.healthcheck !== undefined) {
    if (match) note("healthcheck", `the catalog's ${match.template} health check is used instead`);
    else {
      const hc = healthCheckOf(d.healthcheck, note);
      if (hc !== undefined) entry.healthCheck = hc;
    }
  }

  const resources = resourcesOf(svc, note);
  if (resources) entry.resources = resources;
  if (replicas !== undefined) entry.replicas = replicas;
  const restart = restartOf(d, note);
  if (ctx.oneShot) {
    entry.oneShot = true;
    if (restart && restart !== "no")
      note("restart", "it runs once (others wait for it to complete): no restart");
  } else if (restart) entry.restart = restart;

  if (d.networks !== undefined) networksNote(d.networks, note);
  for (const key of Object.keys(d)) {
    if (HANDLED.has(key)) continue;
    if (key.startsWith("x-")) note(key, "an extension field: Compose ignores it too");
    else if (NOT_CARRIED[key]) note(key, NOT_CARRIED[key]);
    else if (key !== "scale") note(key, "not a key DELoc's stack file has");
  }
  return {
    name: svc.name,
    summary,
    entry,
    where: svc.where([]),
    ...(match ? { template: match.template } : {}),
  };
}

const HANDLED = new Set([
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "expose",
  "volumes",
  "depends_on",
  "healthcheck",
  "deploy",
  "mem_limit",
  "cpus",
  "restart",
  "networks",
  "profiles",
  "extends",
  "scale",
]);

type NoteFn = (key: string, why: string) => void;

function environment(svc: ComposeService, ctx: Ctx, note: NoteFn): Raw {
  const out: Raw = {};
  const files = svc.data.env_file;
  const list = files === undefined || files === null ? [] : Array.isArray(files) ? files : [files];
  for (const [i, f] of list.entries()) {
    const file = typeof f === "string" ? f : isRecord(f) && typeof f.path === "string" ? f.path : undefined;
    const required = !(isRecord(f) && f.required === false);
    if (!file) {
      note(`env_file.${i}`, "an env_file entry without a path");
      continue;
    }
    const abs = path.resolve(svc.dir, file);
    const text = ctx.read(abs);
    if (text === undefined) {
      if (required)
        note(
          `env_file.${i}`,
          `${file} does not exist (Compose would refuse to start); its variables are missing`,
        );
      continue;
    }
    Object.assign(out, parseEnvFile(text));
  }
  for (const [k, v] of Object.entries(asMapping(svc.data.environment, "environment"))) {
    if (v === null || v === undefined) {
      const value = ctx.env[k];
      if (value === undefined)
        note(`environment.${k}`, `${k} takes its value from the shell, where it is not set: left out`);
      else out[k] = value;
    } else out[k] = typeof v === "object" ? JSON.stringify(v) : v;
  }
  return out;
}

function argvOf(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string") return shellWords(v);
  return [String(v)];
}

function buildOf(svc: ComposeService, ctx: Ctx, note: NoteFn): Raw | undefined {
  const b = svc.data.build;
  const rel = (p: string) => relativeTo(ctx.outDir, path.resolve(svc.dir, p));
  if (typeof b === "string") return { context: rel(b) };
  if (!isRecord(b)) {
    note("build", "build must be a folder or a mapping");
    return undefined;
  }
  const context = typeof b.context === "string" ? b.context : ".";
  if (/^[a-z]+:\/\//i.test(context) || context.startsWith("git@")) {
    note("build.context", "a remote build context is not carried: clone it and point build at the folder");
    return undefined;
  }
  const out: Raw = { context: rel(context) };
  if (typeof b.dockerfile === "string") out.dockerfile = b.dockerfile;
  if (typeof b.target === "string") out.target = b.target;
  const args = asMapping(b.args, "environment");
  const argsOut: Raw = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === null) {
      const value = ctx.env[k];
      if (value !== undefined) argsOut[k] = value;
    } else argsOut[k] = String(v);
  }
  if (Object.keys(argsOut).length) out.args = argsOut;
  for (const k of Object.keys(b))
    if (!["context", "dockerfile", "target", "args"].includes(k))
      note(`build.${k}`, "the stack file's build has context, dockerfile, target and args only");
  return out;
}

function portsOf(svc: ComposeService, note: NoteFn): unknown[] {
  const out: unknown[] = [];
  const ports = Array.isArray(svc.data.ports) ? svc.data.ports : [];
  for (const [i, p] of ports.entries()) {
    if (isRecord(p)) {
      const target = Number(p.target);
      if (!Number.isInteger(target)) {
        note(`ports.${i}`, "a port without a target");
        continue;
      }
      const o: Raw = { container: target };
      if (p.published !== undefined && p.published !== "") {
        const published = Number(p.published);
        if (Number.isInteger(published)) o.host = published;
        else
          note(
            `ports.${i}`,
            `a published range (${p.published}) is not carried: publishing ${target} on the same port`,
          );
      } else o.host = target;
      if (typeof p.host_ip === "string") o.hostIp = p.host_ip;
      if (p.protocol === "udp") o.protocol = "udp";
      if (typeof p.name === "string" && /^[a-z0-9-]+$/.test(p.name)) o.name = p.name;
      out.push(Object.keys(o).length > 2 ? o : portShort(undefined, Number(o.host), target, undefined));
      continue;
    }
    const parsed = parsePort(String(p));
    if (!parsed) {
      note(`ports.${i}`, `"${p}" is not a port Compose accepts`);
      continue;
    }
    const s = String(p);
    const { hostIp, host, container, proto } = parsed;
    if (container!.includes("-") || host?.includes("-")) {
      const [from, to] = container!.split("-").map(Number) as [number, number | undefined];
      const [hfrom] = (host ?? container!).split("-").map(Number) as [number];
      const count = to === undefined ? 1 : to - from + 1;
      if (!(count > 0 && count <= 100)) {
        note(`ports.${i}`, `"${s}" is not a port range DELoc can carry`);
        continue;
      }
      for (let k = 0; k < count; k++) out.push(portShort(hostIp, hfrom + k, from + k, proto));
      continue;
    }
    if (host === undefined)
      note(
        `ports.${i}`,
        `"${s}" is published on a random host port by Compose; DELoc publishes it on ${container} (moved when taken)`,
      );
    out.push(portShort(hostIp, Number(host ?? container), Number(container), proto));
  }
  const expose = Array.isArray(svc.data.expose) ? svc.data.expose : [];
  for (const e of expose) {
    const n = Number(String(e).split("/")[0]);
    const published = out.map((p) =>
      isRecord(p) ? Number(p.container) : Number(String(p).split(":").pop()),
    );
    if (Number.isInteger(n) && !published.includes(n)) out.push({ container: n });
  }
  return out;
}

/** `[ip:][host:]container[/proto]`, the host part possibly empty or a range, the ip possibly `[v6]`. */
function parsePort(
  s: string,
): { hostIp?: string; host?: string; container: string; proto?: string } | undefined {
  const [body, proto, extra] = s.split("/");
  if (extra !== undefined || body === undefined) return undefined;
  let rest = body;
  let hostIp: string | undefined;
  const v6 = /^\[([0-9a-fA-F:]+)\]:(.*)$/.exec(rest);
  if (v6) [, hostIp, rest] = v6 as unknown as [string, string, string];
  const parts = rest.split(":");
  if (parts.length > (hostIp ? 2 : 3)) return undefined;
  const container = parts.pop()!;
  const host = parts.pop() || undefined;
  if (parts.length) hostIp = parts.pop();
  if (!/^\d+(?:-\d+)?$/.test(container) || (host !== undefined && !/^\d+(?:-\d+)?$/.test(host)))
    return undefined;
  return {
    container,
    ...(host !== undefined ? { host } : {}),
    ...(hostIp ? { hostIp } : {}),
    ...(proto ? { proto } : {}),
  };
}

function portShort(
  hostIp: string | undefined,
  host: number,
  container: number,
  proto: string | undefined,
): unknown {
  if (!hostIp && !proto) return host === container ? String(container) : `${host}:${container}`;
  const o: Raw = { container, host };
  if (hostIp) o.hostIp = hostIp.replace(/^\[|\]$/g, "");
  if (proto === "udp") o.protocol = "udp";
  return o;
}

function volumesOf(svc: ComposeService, ctx: Ctx, note: NoteFn): unknown[] {
  const out: unknown[] = [];
  const vols = Array.isArray(svc.data.volumes) ? svc.data.volumes : [];
  const declared = isRecord(ctx.project.volumes) ? ctx.project.volumes : {};
  const named = (name: string, i: number): string => {
    const top = declared[name];
    if (isRecord(top)) {
      if (top.external)
        note(
          `volumes.${i}`,
          `volume ${name} is external in Compose; DELoc makes the stack's own volume ${name}`,
        );
      if (top.driver || top.driver_opts)
        note(`volumes.${i}`, `volume ${name}'s driver options are not carried: a local volume`);
    } else if (!(name in declared))
      note(
        `volumes.${i}`,
        `volume ${name} is not declared under the top-level volumes: (Compose would refuse it); DELoc makes it`,
      );
    return name;
  };
  for (const [i, v] of vols.entries()) {
    let type: string;
    let source: string | undefined;
    let target: string;
    let readOnly = false;
    if (typeof v === "string") {
      const parts = v.split(":");
      if (parts.length === 1) {
        [target] = parts as [string];
        type = "anonymous";
      } else {
        [source, target] = parts as [string, string];
        const mode = parts.slice(2).join(":");
        const flags = mode ? mode.split(",") : [];
        readOnly = flags.includes("ro");
        const others = flags.filter((f) => f !== "ro" && f !== "rw");
        if (others.length) note(`volumes.${i}`, `mount options ${others.join(",")} are not carried`);
        type = /^[./~]/.test(source) ? "bind" : "volume";
      }
    } else if (isRecord(v) && typeof v.target === "string") {
      target = v.target;
      source = typeof v.source === "string" ? v.source : undefined;
      type = typeof v.type === "string" ? v.type : "volume";
      readOnly = v.read_only === true;
      if (type === "volume" && !source) type = "anonymous";
      for (const k of ["bind", "volume", "tmpfs", "consistency"])
        if (v[k] !== undefined) note(`volumes.${i}.${k}`, `${k} options of a mount are not carried`);
    } else {
      note(`volumes.${i}`, "a volume without a target");
      continue;
    }
    if (type === "anonymous") {
      const name = `${svc.name}${target.replace(/[^a-zA-Z0-9]+/g, "-")}`.replace(/-+$/, "");
      note(
        `volumes.${i}`,
        `an anonymous volume at ${target}: DELoc needs a name, so it is the named volume ${name}`,
      );
      out.push(mount(name, target, readOnly));
    } else if (type === "bind") {
      out.push(mount(hostPath(source!, svc.dir, ctx.outDir), target, readOnly));
    } else if (type === "volume") {
      out.push(mount(named(source!, i), target, readOnly));
    } else
      note(
        `volumes.${i}`,
        `a ${type} mount is not carried (the stack file has bind mounts and named volumes)`,
      );
  }
  return out;
}

function mount(source: string, target: string, readOnly: boolean): string {
  return `${source}:${target}${readOnly ? ":ro" : ""}`;
}

function hostPath(source: string, dir: string, outDir: string): string {
  if (source === "~" || source.startsWith("~/")) return source;
  return relativeTo(outDir, path.resolve(dir, source));
}

/** A path as the stack file writes it: `./x` when under the stack file's folder, else absolute. */
function relativeTo(outDir: string, abs: string): string {
  const rel = path.relative(outDir, abs);
  if (rel === "") return ".";
  if (rel.startsWith("..") || path.isAbsolute(rel)) return rel.startsWith("../") ? rel : abs;
  return `./${rel}`;
}

function dependsOn(svc: ComposeService, ctx: Ctx, note: NoteFn): Raw {
  const out: Raw = {};
  for (const [dep, v] of Object.entries(asMapping(svc.data.depends_on, "depends_on"))) {
    const key = `depends_on.${dep}`;
    if (!ctx.names.has(dep)) {
      const profiles = ctx.inactive.get(dep);
      note(
        key,
        profiles
          ? `${dep} is left out (profile ${profiles.join(", ")}; pass --profile ${profiles[0]} to import it), so it is not waited for`
          : `there is no service ${dep}`,
      );
      continue;
    }
    const o = isRecord(v) ? v : {};
    const cond = typeof o.condition === "string" ? o.condition : "service_started";
    const mapped = CONDITIONS[cond];
    if (!mapped) {
      note(key, `unknown condition ${cond}; waiting until it has started`);
      out[dep] = "started";
    } else out[dep] = mapped;
    if (o.required === false)
      note(`${key}.required`, "optional dependencies are not carried: DELoc waits for it");
    if (o.restart === true) note(`${key}.restart`, `DELoc does not restart ${svc.name} when ${dep} restarts`);
  }
  return out;
}

function healthCheckOf(v: unknown, note: NoteFn): Raw | null | undefined {
  if (!isRecord(v)) return undefined;
  if (v.disable === true) return null;
  const test = v.test;
  const out: Raw = {};
  if (Array.isArray(test)) {
    const [kind, ...rest] = test.map(String);
    if (kind === "NONE") return null;
    if (kind === "CMD") out.command = rest;
    else if (kind === "CMD-SHELL") out.command = rest.join(" ");
    else {
      note("healthcheck.test", `a test must start with CMD, CMD-SHELL or NONE (got ${kind})`);
      return undefined;
    }
  } else if (typeof test === "string") out.command = test;
  else {
    note("healthcheck", "a health check without a test: the image's own is not carried");
    return undefined;
  }
  for (const [from, to] of [
    ["interval", "interval"],
    ["timeout", "timeout"],
    ["start_period", "startPeriod"],
    ["start_interval", "startInterval"],
  ] as const) {
    const d = v[from];
    if (d === undefined) continue;
    if (Duration.parse(d as string) === undefined) note(`healthcheck.${from}`, `"${d}" is not a duration`);
    else out[to] = d;
  }
  if (v.retries !== undefined) out.retries = Number(v.retries);
  return out;
}

function resourcesOf(svc: ComposeService, note: NoteFn): Raw | undefined {
  const d = svc.data;
  const deploy = isRecord(d.deploy) ? d.deploy : {};
  const res = isRecord(deploy.resources) ? deploy.resources : {};
  const limits = isRecord(res.limits) ? res.limits : {};
  const out: Raw = {};
  const memory = limits.memory ?? d.mem_limit;
  if (memory !== undefined) {
    const size = Size.parse(String(memory).toLowerCase().replace(/b$/, ""));
    if (size) out.memory = `${size.floorMib().bytes / 1024 ** 2}Mi`;
    else
      note(
        limits.memory !== undefined ? "deploy.resources.limits.memory" : "mem_limit",
        `"${memory}" is not a size`,
      );
  }
  const cpus = limits.cpus ?? d.cpus;
  if (cpus !== undefined) {
    const cpu = Cpu.parse(String(cpus));
    if (cpu) out.cpu = `${cpu.millis}m`;
    else
      note(
        limits.cpus !== undefined ? "deploy.resources.limits.cpus" : "cpus",
        `"${cpus}" is not a CPU amount`,
      );
  }
  if (res.reservations !== undefined)
    note(
      "deploy.resources.reservations",
      "DELoc reserves from its plan (the template's or the service's minimum)",
    );
  for (const k of Object.keys(limits))
    if (k !== "memory" && k !== "cpus")
      note(`deploy.resources.limits.${k}`, "only memory and cpus limits are carried");
  for (const k of Object.keys(deploy))
    if (!["resources", "replicas", "restart_policy"].includes(k))
      note(`deploy.${k}`, "a Swarm deployment setting: DELoc runs on one engine");
  return Object.keys(out).length ? out : undefined;
}

function replicasOf(d: Raw, note: NoteFn): number | undefined {
  const deploy = isRecord(d.deploy) ? d.deploy : {};
  const n = deploy.replicas ?? d.scale;
  if (n === undefined) return undefined;
  const v = Number(n);
  if (Number.isInteger(v) && v >= 1 && v <= 100) return v === 1 ? undefined : v;
  note(
    deploy.replicas !== undefined ? "deploy.replicas" : "scale",
    `${n} replicas: DELoc runs 1 to 100 (left at 1)`,
  );
  return undefined;
}

function restartOf(d: Raw, note: NoteFn): string | undefined {
  const deploy = isRecord(d.deploy) ? d.deploy : {};
  const policy = isRecord(deploy.restart_policy) ? deploy.restart_policy : undefined;
  const r = d.restart ?? (policy ? policy.condition : undefined);
  if (r === undefined) return undefined;
  const s = String(r);
  if (s === "no" || s === "none" || s === "false") return "no";
  if (s === "always" || s === "unless-stopped" || s === "any") return s === "any" ? "always" : s;
  if (s.startsWith("on-failure")) {
    if (s.includes(":") || policy?.max_attempts !== undefined)
      note(
        d.restart !== undefined ? "restart" : "deploy.restart_policy",
        "a maximum number of restarts is not carried: DELoc's circuit breaker stops restart loops",
      );
    return "on-failure";
  }
  note("restart", `"${s}" is not a restart policy`);
  return undefined;
}

function networksNote(v: unknown, note: NoteFn): void {
  const names = Array.isArray(v) ? v.map(String) : isRecord(v) ? Object.keys(v) : [];
  const custom = names.filter((n) => n !== "default");
  if (custom.length)
    note(
      "networks",
      `networks ${custom.join(", ")}: a stack has one network, on which every service reaches every other by name`,
    );
  if (isRecord(v))
    for (const [n, cfg] of Object.entries(v)) {
      if (!isRecord(cfg)) continue;
      if (Array.isArray(cfg.aliases) && cfg.aliases.length)
        note(
          `networks.${n}.aliases`,
          `aliases ${cfg.aliases.join(", ")} are not carried: other services must use the service name`,
        );
      for (const k of Object.keys(cfg))
        if (k !== "aliases") note(`networks.${n}.${k}`, `${k} is not carried: addresses are the engine's`);
    }
}

/**
 * The catalog's Kafka has listeners of its own (`kafka:19092` in the stack): what other services
 * wrote for the compose file's in-stack listener (`broker:29092`) becomes the catalog's address.
 */
function rewriteListeners(
  name: string,
  compose: ComposeService,
  services: ImportedService[],
  composeServices: readonly ComposeService[],
  notes: Note[],
): void {
  const env = asMapping(compose.data.environment, "environment");
  const hosts = new Set([
    name,
    String(compose.data.hostname ?? name),
    String(compose.data.container_name ?? name),
  ]);
  const nets = compose.data.networks;
  if (isRecord(nets))
    for (const cfg of Object.values(nets))
      if (isRecord(cfg) && Array.isArray(cfg.aliases)) for (const a of cfg.aliases) hosts.add(String(a));
  const addresses = String(env.KAFKA_ADVERTISED_LISTENERS ?? "")
    .split(",")
    .map((l) => /^[A-Za-z0-9_]+:\/\/([^:/]+):(\d+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null && hosts.has(m[1]!))
    .map((m) => `${m[1]}:${m[2]}`)
    .filter((a) => a !== `${name}:19092`);
  if (!addresses.length) return;
  const to = `{{endpoint.${name}.bootstrap-in-stack}}`;
  const pattern = new RegExp(`(?<![\\w.-])(?:${addresses.map(escapeRe).join("|")})(?![\\w.-]|:\\d)`, "g");
  for (const svc of services) {
    if (svc.name === name) continue;
    const env = svc.entry.env;
    if (!isRecord(env)) continue;
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== "string" || !pattern.test(v)) continue;
      pattern.lastIndex = 0;
      env[k] = v.replace(pattern, to);
      const origin = composeServices.find((s) => s.name === svc.name)!;
      notes.push({
        where: origin.where(["environment", k]),
        service: svc.name,
        key: `environment.${k}`,
        why: `${v} names ${name}'s compose listener; the catalog's Kafka listens in the stack on ${name}:19092, written ${to}`,
      });
    }
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A dotted key as a path: list indexes are numbers. */
function keyPath(key: string): (string | number)[] {
  return key.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
}
