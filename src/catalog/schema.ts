/**
 * The schema of a catalog template file (`catalog/services/*.yaml` and user template folders).
 * A file is either one service, or a group (`components:`) whose members share its image, env,
 * secrets and requirements. Reuses the stack file's checks for sizes, durations and ports.
 */
import { z } from "zod";
import { checkCpu, checkDuration, checked, checkSize, DNS_LABEL, verifySchema } from "../config/index.js";
import { CONDITIONS, PROFILES, RESTART_POLICIES } from "../core/index.js";

const name = z.string().regex(DNS_LABEL, "must be lower-case letters, digits and dashes");
const argv = z.array(z.string()).min(1);
const env = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const port = z.strictObject({
  name,
  container: z.int().min(1).max(65535),
  /** Host port to publish; omit to keep the port inside the stack network. */
  host: z.int().min(1).max(65535).optional(),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
});

/** Timings left out take `HEALTH_CHECK_DEFAULTS`, as in the stack file. */
const healthCheck = z.strictObject({
  command: argv,
  interval: checked(checkDuration).optional(),
  timeout: checked(checkDuration).optional(),
  retries: z.int().min(0).optional(),
  startPeriod: checked(checkDuration).optional(),
  startInterval: checked(checkDuration).optional(),
});

const profileResources = z.strictObject({
  memory: z.strictObject({ min: checked(checkSize), preferred: checked(checkSize) }),
  cpu: checked(checkCpu),
});

const dependsOn = z.record(z.string(), z.enum(CONDITIONS));

/**
 * Commands of the service's image a user runs often, as `deloc NAME [args…]` (e.g. `deloc psql`):
 * argv run in the service's container, the user's arguments appended; `{{env.KEY}}` is the
 * container's environment variable.
 */
const shortcuts = z.record(name, z.strictObject({ description: z.string(), command: argv }));

const variant = z.strictObject({
  description: z.string(),
  image: z.string().optional(),
  command: argv.optional(),
  env: env.default({}),
  unsetEnv: z.array(z.string()).default([]),
  dependsOn: dependsOn.default({}),
  requires: z.array(name).default([]),
  /** Replaces the service's health check (another image has other tools). */
  healthCheck: healthCheck.optional(),
  /** Replace the service's shortcuts of the same names (another image has its tools elsewhere). */
  shortcuts: shortcuts.optional(),
});

/** `uid:gid` the image's process runs as: Kubernetes exports run it so (non-root unless `0:0`). */
const imageUser = z.string().regex(/^\d+:\d+$/, 'must be "uid:gid", e.g. "999:999"');

/**
 * Capabilities the image's root entrypoint needs beyond the step-down set (e.g. SETPCAP for
 * `setpriv --bounding-set`), in Docker's spelling without `CAP_`.
 */
const capabilities = z.array(z.string().regex(/^[A-Z_]+$/, "must be a capability name such as SETPCAP"));

/** Fields a service (or a group component) declares. */
const serviceFields = {
  description: z.string(),
  category: z.string().optional(),
  image: z.string().optional(),
  command: argv.optional(),
  entrypoint: argv.optional(),
  env: env.optional(),
  ports: z.array(port).optional(),
  /** Short form `"name:/path"` or `"./host/path:/path"`, as in the stack file. */
  volumes: z.array(z.string()).optional(),
  healthCheck: healthCheck.optional(),
  dependsOn: dependsOn.optional(),
  requires: z.array(name).optional(),
  endpoints: z
    .array(z.strictObject({ name, url: z.string(), description: z.string().optional() }))
    .optional(),
  resources: z.strictObject(
    Object.fromEntries(PROFILES.map((p) => [p, profileResources])) as Record<
      (typeof PROFILES)[number],
      typeof profileResources
    >,
  ),
  jvm: z
    .strictObject({
      heapRatio: z.number().gt(0).lt(1),
      env: z.string(),
      format: z
        .string()
        .refine((f) => f.includes("{{heap}}") || f.includes("{{heapMib}}"), "must contain {{heap}}"),
    })
    .optional(),
  scalable: z.boolean().optional(),
  stateful: z.boolean().optional(),
  // A consistent logical backup: `dump` writes to stdout, `restore` reads that from stdin.
  backup: z
    .strictObject({ dump: z.array(z.string()).min(1), restore: z.array(z.string()).min(1) })
    .optional(),
  oneShot: z.boolean().optional(),
  restart: z.enum(RESTART_POLICIES).optional(),
  user: imageUser.optional(),
  capabilities: capabilities.optional(),
  /** The image's Python minor version, and the templates whose Python must be the same. */
  python: z
    .strictObject({
      version: z.string().regex(/^\d+\.\d+$/, 'must be a minor version such as "3.10"'),
      matches: z.array(name).default([]),
    })
    .optional(),
  /** Env added when the stack has a service named as the key. */
  connections: z.record(name, z.strictObject({ env })).optional(),
  secrets: z.record(z.string(), z.enum(["password", "fernet", "token"])).optional(),
  variants: z.record(name, variant).optional(),
  docs: z.string().optional(),
  /**
   * How `deloc verify` checks the service when DELoc has no probe of its own for it, as in the
   * stack file: `http: { port, path, status }`, `tcp: { port }` or `command: [argv]`.
   */
  verify: verifySchema.optional(),
  shortcuts: shortcuts.optional(),
};

export const serviceFileSchema = z.strictObject({ name, ...serviceFields, image: z.string() });

const componentSchema = z.strictObject({
  ...serviceFields,
  resources: serviceFields.resources,
});

export const groupFileSchema = z.strictObject({
  name,
  description: z.string(),
  category: z.string().optional(),
  image: z.string(),
  user: imageUser.optional(),
  capabilities: capabilities.optional(),
  env: env.optional(),
  volumes: z.array(z.string()).optional(),
  requires: z.array(name).optional(),
  secrets: z.record(z.string(), z.enum(["password", "fernet", "token"])).optional(),
  docs: z.string().optional(),
  components: z.record(name, componentSchema),
});

export const recipesFileSchema = z.strictObject({
  recipes: z.record(name, z.strictObject({ description: z.string(), services: z.array(name).min(1) })),
});

export type ServiceFile = z.infer<typeof serviceFileSchema>;
export type GroupFile = z.infer<typeof groupFileSchema>;
export type ComponentFile = z.infer<typeof componentSchema>;
