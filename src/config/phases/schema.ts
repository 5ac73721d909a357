/**
 * Phase 3: the stack file's schema. Each key carries its description and default where it is
 * declared, so `deloc init` comments and the README reference come from one place. Short forms
 * (`"3000:3000"`, `"cache:/data"`, `2g`, `30s`) are checked here with messages that name what was
 * expected; phase 4 (normalize) turns them into the canonical form.
 */
import { z } from "zod";
import {
  CONDITIONS,
  Cpu,
  closest,
  type Diagnostic,
  Duration,
  PROFILES,
  RESTART_POLICIES,
  Size,
  STRATEGIES,
  TARGETS,
} from "../../core/index.js";
import type { Locate, PathSegment } from "./parse.js";

/** A value checked by a function returning an error message (or undefined when it is fine). */
export function checked(check: (value: unknown) => string | undefined) {
  return z.unknown().superRefine((value, ctx) => {
    const message = check(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });
}

const show = (v: unknown): string =>
  typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));

export const checkSize = (v: unknown) =>
  (typeof v === "string" || typeof v === "number") && Size.parse(v) !== undefined
    ? undefined
    : `must be a size like "512m" or "2g" (got ${show(v)})`;
export const checkCpu = (v: unknown) =>
  (typeof v === "string" || typeof v === "number") && Cpu.parse(v) !== undefined
    ? undefined
    : `must be a CPU amount like "500m" or 2 (got ${show(v)})`;
export const checkDuration = (v: unknown) =>
  (typeof v === "string" || typeof v === "number") && Duration.parse(v) !== undefined
    ? undefined
    : `must be a duration like "2s", "500ms" or "1m30s" (got ${show(v)})`;

const checkArgv = (v: unknown) =>
  typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string"))
    ? undefined
    : `must be a list of arguments like ["./serve", "--port", "3000"] or a shell string (got ${show(v)})`;

export const PORT_RE =
  /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/;

const checkPortNumber = (n: unknown, what: string) =>
  Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535
    ? undefined
    : `${what} must be a port number between 1 and 65535 (got ${show(n)})`;

const checkPort = (v: unknown): string | undefined => {
  if (typeof v === "number") return checkPortNumber(v, "port");
  if (typeof v === "string") {
    const m = PORT_RE.exec(v);
    if (!m) return `must be a port like "3000", "8080:80" or "0.0.0.0:8080:80/tcp" (got ${show(v)})`;
    return (
      (m[2] ? checkPortNumber(Number(m[2]), "host port") : undefined) ?? checkPortNumber(Number(m[3]), "port")
    );
  }
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !PORT_KEYS.includes(k));
    if (unknown.length) return `unknown key "${unknown[0]}" in port (known keys: ${PORT_KEYS.join(", ")})`;
    return (
      checkPortNumber(o.container, "container") ??
      (o.host === undefined ? undefined : checkPortNumber(o.host, "host")) ??
      (o.protocol === undefined || o.protocol === "tcp" || o.protocol === "udp"
        ? undefined
        : `protocol must be tcp or udp (got ${show(o.protocol)})`)
    );
  }
  return `must be a port like "8080:80" or { container: 80, host: 8080 } (got ${show(v)})`;
};
const PORT_KEYS = ["name", "container", "host", "hostIp", "protocol"];

const checkVolume = (v: unknown): string | undefined => {
  if (typeof v === "string") {
    const parts = v.split(":");
    if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]?.startsWith("/"))
      return `must be "source:/container/path[:ro]", e.g. "./src:/app/src" or "cache:/root/.cache" (got ${show(v)})`;
    if (parts.length === 3 && parts[2] !== "ro" && parts[2] !== "rw")
      return `mode must be ro or rw (got ${show(parts[2])})`;
    return undefined;
  }
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !VOLUME_KEYS.includes(k));
    if (unknown.length)
      return `unknown key "${unknown[0]}" in volume (known keys: ${VOLUME_KEYS.join(", ")})`;
    if (typeof o.target !== "string" || !o.target.startsWith("/"))
      return `target must be an absolute path in the container (got ${show(o.target)})`;
    if (o.type !== undefined && !["volume", "bind", "tmpfs"].includes(o.type as string))
      return `type must be volume, bind or tmpfs (got ${show(o.type)})`;
    if (o.type !== "tmpfs" && (typeof o.source !== "string" || o.source === ""))
      return `source must be a volume name or a host path (got ${show(o.source)})`;
    return undefined;
  }
  return `must be "source:/container/path" or { source, target } (got ${show(v)})`;
};
const VOLUME_KEYS = ["type", "source", "target", "readOnly"];

const checkEnvValue = (v: unknown) =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? undefined
    : `must be a string, number or boolean (got ${show(v)})`;

const checkDependsOn = (v: unknown): string | undefined => {
  if (Array.isArray(v)) return v.every((x) => typeof x === "string") ? undefined : "must list service names";
  if (v && typeof v === "object") {
    for (const [name, cond] of Object.entries(v)) {
      // The long form, as Compose's: { condition, restart } (restart: `deloc watch` restarts this one too).
      if (cond && typeof cond === "object" && !Array.isArray(cond)) {
        const o = cond as Record<string, unknown>;
        const unknown = Object.keys(o).find((k) => k !== "condition" && k !== "restart");
        if (unknown) return `${name}: unknown key "${unknown}" (keys: condition, restart)`;
        if (o.condition !== undefined && !(CONDITIONS as readonly unknown[]).includes(o.condition))
          return `${name}.condition must be one of ${CONDITIONS.join(" | ")} (got ${show(o.condition)})`;
        if (o.restart !== undefined && typeof o.restart !== "boolean")
          return `${name}.restart must be true or false (got ${show(o.restart)})`;
        continue;
      }
      if (!(CONDITIONS as readonly unknown[]).includes(cond))
        return `${name} must be one of ${CONDITIONS.join(" | ")} (got ${show(cond)})`;
    }
    return undefined;
  }
  return `must be { service: healthy | started | completed } or a list of names (got ${show(v)})`;
};

/** What `deloc watch` does when files under `path` change, as Compose's `develop.watch`. */
export const WATCH_ACTIONS = ["sync", "rebuild", "restart", "sync+restart"] as const;

export const watchRuleSchema = z
  .strictObject({
    /** A file or folder, relative to the stack file. */
    path: z.string().min(1),
    action: z.enum(WATCH_ACTIONS),
    /** Where `sync` copies `path` to in the container (absolute). */
    target: z.string().startsWith("/", "must be an absolute path in the container").optional(),
    /** Patterns (`.dockerignore` syntax, relative to `path`) whose changes are ignored. */
    ignore: z.array(z.string()).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.action.startsWith("sync") && !v.target)
      ctx.addIssue({ code: "custom", message: `${v.action} needs a target: the path in the container` });
  });

const checkBuild = (v: unknown): string | undefined => {
  if (typeof v === "string") return v ? undefined : "must not be empty";
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !BUILD_KEYS.includes(k));
    if (unknown.length) {
      const guess = closest(unknown[0]!, BUILD_KEYS);
      return `unknown key "${unknown[0]}" in build${guess ? `; did you mean "${guess}"?` : ""}`;
    }
    if (typeof o.context !== "string" || !o.context)
      return `context must be a folder path (got ${show(o.context)})`;
    for (const k of ["dockerfile", "target"])
      if (o[k] !== undefined && typeof o[k] !== "string") return `${k} must be a string (got ${show(o[k])})`;
    return undefined;
  }
  return `must be a folder path or { context, dockerfile, target, args } (got ${show(v)})`;
};
const BUILD_KEYS = ["context", "dockerfile", "target", "args"];

export const healthCheckSchema = z.strictObject({
  /** argv, or a string run with `sh -c`. */
  command: checked(checkArgv).optional(),
  /** @default "5s" */
  interval: checked(checkDuration).optional(),
  /** @default "3s" */
  timeout: checked(checkDuration).optional(),
  /** @default 30 */
  retries: z.int().min(0).optional(),
  /** @default "0s" */
  startPeriod: checked(checkDuration).optional(),
  /** Probe interval during the start period. @default "250ms" */
  startInterval: checked(checkDuration).optional(),
  /** `true` turns off the template's health check. @default false */
  disable: z.boolean().optional(),
});

/** The kinds of probe a service may declare under `verify:`. */
export const VERIFY_KINDS = ["http", "tcp", "command"] as const;

/** A port a probe names: a port's `name`, or its container port. */
const probePort = z.union([z.string().min(1), z.int().min(1).max(65535)]);

export const verifySchema = z
  .strictObject({
    /** An HTTP GET from the host to a published port; passes when the answer has `status`. */
    http: z
      .strictObject({
        /** A port's name or container port. @default the first published port */
        port: probePort.optional(),
        /** @default "/" */
        path: z.string().startsWith("/", 'must start with "/"').optional(),
        /** @default 200 */
        status: z.int().min(100).max(599).optional(),
      })
      .optional(),
    /** A TCP connection from the host to a published port. */
    tcp: z.strictObject({ port: probePort.optional() }).optional(),
    /** argv (or a string run with `sh -c`) run inside the service's container; exit 0 passes. */
    command: checked(checkArgv).optional(),
  })
  .superRefine((v, ctx) => {
    const kinds = VERIFY_KINDS.filter((k) => v[k] !== undefined);
    if (kinds.length !== 1)
      ctx.addIssue({
        code: "custom",
        message: kinds.length
          ? `declares ${kinds.join(" and ")}; a service has one probe (keep one of them)`
          : `needs one of ${VERIFY_KINDS.join(", ")}, e.g. { http: { port: http, path: /healthz } }`,
      });
  });

export const resourcesSchema = z.strictObject({
  /** Memory per replica; fixes it (the planner will not shrink it). */
  memory: checked(checkSize).optional(),
  /** CPU limit per replica. */
  cpu: checked(checkCpu).optional(),
});

export const serviceSchema = z.strictObject({
  /**
   * The catalog template; defaults to the service's own name when the catalog has it. `none`: a
   * custom service, even under a catalog service's name.
   */
  template: z.string().optional(),
  /** A variant of the template, e.g. `zookeeper` for kafka. */
  variant: z.string().optional(),
  image: z.string().min(1).optional(),
  build: checked(checkBuild).optional(),
  command: checked(checkArgv).optional(),
  entrypoint: checked(checkArgv).optional(),
  env: z.record(z.string(), checked(checkEnvValue)).optional(),
  ports: z.array(checked(checkPort)).optional(),
  volumes: z.array(checked(checkVolume)).optional(),
  dependsOn: checked(checkDependsOn).optional(),
  healthCheck: healthCheckSchema.nullable().optional(),
  resources: resourcesSchema.optional(),
  /** @default 1 */
  replicas: z.int().min(1).max(100).optional(),
  /** @default "unless-stopped" (one-shot services: "no") */
  restart: z.enum(RESTART_POLICIES).optional(),
  /** The service runs once and must exit 0. @default false */
  oneShot: z.boolean().optional(),
  /** `false` keeps the entry in the file but leaves the service out. @default true */
  enabled: z.boolean().optional(),
  /** How `deloc verify` checks the service: `http`, `tcp` or `command`. Replaces the template's probe. */
  verify: verifySchema.optional(),
  /** What `deloc watch` does on a change: sync, rebuild or restart (default: rebuild on the build context). */
  watch: z.array(watchRuleSchema).optional(),
});

export const specSchema = z.strictObject({
  /** Sizing profile. @default "development" */
  profile: z.enum(PROFILES).optional(),
  /** Where `deloc up` deploys. @default "docker" */
  target: z.enum(TARGETS).optional(),
  /** Start order strategy. @default "parallel" */
  strategy: z.enum(STRATEGIES).optional(),
  /** How many services start at once with the hybrid strategy. @default 3 */
  maxParallel: z.int().min(1).optional(),
  /** Host address ports bind to. @default "127.0.0.1" */
  bindAddress: z.string().optional(),
  /** Folders of your own service templates. */
  catalogPaths: z.array(z.string()).optional(),
  /**
   * Plugins by npm package name, found in the stack file's folder's node_modules (then the user
   * config's): targets, service templates and verify probes. @default []
   */
  plugins: z.array(z.string().min(1)).optional(),
  services: z.record(z.string(), serviceSchema.nullable()),
});

export const stackFileSchema = z.strictObject({
  apiVersion: z.literal("deloc.dev/v1"),
  kind: z.literal("Stack"),
  metadata: z.strictObject({
    name: z.string(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: specSchema,
});

export type StackFile = z.infer<typeof stackFileSchema>;
export type ServiceEntry = z.infer<typeof serviceSchema>;

/** The keys allowed at each depth, for "did you mean" suggestions. */
function knownKeys(path: readonly PathSegment[]): string[] {
  const [a, b, , d, e] = path;
  if (path.length === 0) return Object.keys(stackFileSchema.shape);
  if (a === "metadata") return ["name", "labels"];
  if (a === "spec" && path.length === 1) return Object.keys(specSchema.shape);
  if (a === "spec" && b === "services" && path.length === 3) return Object.keys(serviceSchema.shape);
  if (d === "resources" && e === undefined) return Object.keys(resourcesSchema.shape);
  if (d === "healthCheck" && e === undefined) return Object.keys(healthCheckSchema.shape);
  if (d === "verify" && e === undefined) return [...VERIFY_KINDS];
  if (d === "verify" && e === "http" && path.length === 5) return ["port", "path", "status"];
  if (d === "verify" && e === "tcp" && path.length === 5) return ["port"];
  return [];
}

export function validateSchema(
  data: unknown,
  locate: Locate,
): { ok: true; file: StackFile } | { ok: false; errors: Diagnostic[] } {
  const result = stackFileSchema.safeParse(data);
  if (result.success) return { ok: true, file: result.data };
  const errors: Diagnostic[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const dotted = path.join(".");
    const valueAt = get(data, path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const guess = closest(key, knownKeys(path));
        errors.push({
          path: [...path, key].join("."),
          message: "unknown key",
          position: locate([...path, key], { key: true }),
          ...(guess ? { suggestion: `did you mean "${guess}"?` } : {}),
        });
      }
      continue;
    }
    let message = issue.message;
    let suggestion: string | undefined;
    if (issue.code === "invalid_type") {
      message =
        valueAt === undefined
          ? `is required (${issue.expected === "object" ? "a mapping" : `a ${issue.expected}`})`
          : `must be ${article(issue.expected)} (got ${show(valueAt)})`;
    } else if (issue.code === "invalid_value") {
      const allowed = issue.values.map(String);
      message = `must be ${allowed.length === 1 ? show(allowed[0]) : `one of ${allowed.join(" | ")}`} (got ${show(valueAt)})`;
      if (typeof valueAt === "string") {
        const guess = closest(valueAt, allowed);
        if (guess && allowed.length > 1) suggestion = `did you mean "${guess}"?`;
      }
    } else if (issue.code === "too_small" || issue.code === "too_big") {
      message = `${issue.message.replace(/^Too (small|big): expected \w+ to (be|have) /, "must be ")} (got ${show(valueAt)})`;
    }
    errors.push({ path: dotted, message, position: locate(path), ...(suggestion ? { suggestion } : {}) });
  }
  return { ok: false, errors };
}

function article(type: string): string {
  const word = type === "object" ? "mapping" : type === "array" ? "list" : type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function get(data: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = data;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
