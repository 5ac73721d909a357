/**
 * Phase 6: cross-field rules, collected as diagnostics. `checkStackRules` needs only the stack;
 * `checkAgainstCatalog` also needs the names the catalog offers (handed in as data, so config does
 * not depend on how the catalog is loaded).
 */
import {
  closest,
  type Diagnostic,
  findProbePort,
  type PortSpec,
  type ServiceSpec,
  type Stack,
  templateKey,
} from "../../core/index.js";
import type { Locate } from "./parse.js";

/** Lower-case letters, digits and inner dashes: what Docker and Kubernetes accept as a name. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const STACK_NAME_MAX = 40;

/** Whether a stack name can name containers, volumes and a Kubernetes release. */
export function isStackName(name: string): boolean {
  return DNS_LABEL.test(name) && name.length <= STACK_NAME_MAX;
}

/** What a stack name must look like, for messages. */
export const STACK_NAME_RULE = `lower-case letters, digits and dashes, at most ${STACK_NAME_MAX} characters`;

const svcPath = (name: string, ...rest: (string | number)[]) => ["spec", "services", name, ...rest];

/** Pushes a positioned diagnostic; `key` points at the key rather than its value. */
function reporter(errors: Diagnostic[], locate: Locate) {
  return (path: (string | number)[], message: string, suggestion?: string, key = false) => {
    errors.push({
      path: path.join("."),
      message,
      position: locate(path, { key }),
      ...(suggestion ? { suggestion } : {}),
    });
  };
}

export function checkStackRules(stack: Stack, locate: Locate): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const err = reporter(errors, locate);

  if (!isStackName(stack.name))
    err(
      ["metadata", "name"],
      `must be ${STACK_NAME_RULE} (got "${stack.name}")`,
      `try "${dnsSafe(stack.name)}"`,
    );
  if (stack.services.length === 0)
    err(
      ["spec", "services"],
      "lists no services",
      "add one, e.g. `postgres: {}`, or run `deloc init --recipe streaming`",
    );

  for (const s of stack.services) {
    if (!DNS_LABEL.test(s.name) || s.name.length > 63)
      err(
        svcPath(s.name),
        "a service name must be lower-case letters, digits and dashes",
        `try "${dnsSafe(s.name)}"`,
        true,
      );
    const replicas = s.replicas ?? 1;
    if (replicas > 1) {
      s.ports.forEach((p, i) => {
        if (p.host !== undefined)
          err(
            svcPath(s.name, "ports", i),
            `${replicas} replicas cannot share host port ${p.host}`,
            "publish no host port (use { container: N }) or set replicas: 1",
          );
      });
    }
    if (s.oneShot && replicas > 1)
      err(svcPath(s.name, "replicas"), "a one-shot service runs once; replicas must be 1");
    for (const dep of Object.keys(s.dependsOn)) {
      if (dep === s.name) err(svcPath(s.name, "dependsOn"), "a service cannot depend on itself");
    }
    s.volumes.forEach((v, i) => {
      if (v.type === "volume" && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v.source))
        err(
          svcPath(s.name, "volumes", i),
          `"${v.source}" is not a valid volume name (letters, digits, _ . -)`,
        );
    });
  }
  return errors;
}

/** What the catalog offers, as plain data. */
export interface CatalogIndex {
  /** Service template names. */
  templates: readonly string[];
  /** Group name → its component services (e.g. airflow → airflow-scheduler, …). */
  groups: Readonly<Record<string, readonly string[]>>;
  /** Template name → its variant names. */
  variants: Readonly<Record<string, readonly string[]>>;
  /** Template name → its ports, so a probe's port can be checked against them. */
  ports: Readonly<Record<string, readonly PortSpec[]>>;
}

export function checkAgainstCatalog(stack: Stack, catalog: CatalogIndex, locate: Locate): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const err = reporter(errors, locate);
  const offered = [...catalog.templates, ...Object.keys(catalog.groups)];
  const isOffered = (n: string) => catalog.templates.includes(n) || n in catalog.groups;

  // Names a dependsOn may use: the stack's services and the components of groups it lists.
  const reachable = new Set<string>();
  for (const s of stack.services) {
    reachable.add(s.name);
    for (const c of catalog.groups[templateKey(s) ?? ""] ?? []) reachable.add(c);
  }

  for (const s of stack.services) {
    const key = templateKey(s);
    const template = s.template === undefined ? (isOffered(s.name) ? s.name : undefined) : key;
    if (s.template !== undefined && key !== undefined && !isOffered(key)) {
      const guess = closest(s.template, offered);
      err(
        svcPath(s.name, "template"),
        `"${s.template}" is not in the catalog`,
        guess ? `did you mean "${guess}"?` : undefined,
      );
    } else if (template === undefined && !s.image && !s.build) {
      const guess = closest(s.name, offered);
      err(
        svcPath(s.name),
        "is not a catalog service and has no image or build",
        guess ? `did you mean "${guess}"?` : "give it an image: or build:, or pick one from `deloc catalog`",
        true,
      );
    }
    if (s.variant !== undefined) {
      const variants = template ? (catalog.variants[template] ?? []) : [];
      if (!variants.includes(s.variant)) {
        const guess = closest(s.variant, variants);
        err(
          svcPath(s.name, "variant"),
          variants.length
            ? `must be one of ${variants.join(" | ")} (got "${s.variant}")`
            : `${template ?? s.name} has no variants`,
          guess ? `did you mean "${guess}"?` : undefined,
        );
      }
    }
    if (template === undefined && s.healthCheck && !s.healthCheck.command)
      err(
        svcPath(s.name, "healthCheck"),
        "needs a command for a custom service",
        'e.g. command: ["pg_isready"]',
      );
    if (s.verify) checkProbe(s, template, catalog, err);
    for (const dep of Object.keys(s.dependsOn)) {
      if (dep === s.name || reachable.has(dep)) continue;
      const guess = closest(dep, reachable);
      const hint = isOffered(dep)
        ? `add \`${dep}: {}\` to spec.services`
        : guess
          ? `did you mean "${guess}"?`
          : "dependsOn names services of this stack";
      err(
        svcPath(s.name, "dependsOn", dep),
        `depends on "${dep}", which is not in spec.services`,
        hint,
        true,
      );
    }
  }
  return errors;
}

/**
 * A declared probe must name a port the service publishes: HTTP and TCP probes run from the host.
 * A group entry has no container of its own, so its components declare their probes.
 */
function checkProbe(
  s: ServiceSpec,
  template: string | undefined,
  catalog: CatalogIndex,
  err: ReturnType<typeof reporter>,
): void {
  const probe = s.verify!;
  const components = catalog.groups[template ?? ""];
  if (components) {
    err(
      svcPath(s.name, "verify"),
      `${s.name} is a group; its components run the containers a probe checks`,
      `declare verify: on a component instead, e.g. \`${components[0]}: { verify: … }\``,
      true,
    );
    return;
  }
  if (probe.kind === "command") return;
  const ports = servicePorts(template ? (catalog.ports[template] ?? []) : [], s.ports);
  const at =
    probe.port === undefined
      ? svcPath(s.name, "verify", probe.kind)
      : svcPath(s.name, "verify", probe.kind, "port");
  const published = ports.filter((p) => p.host !== undefined);
  if (probe.port === undefined) {
    if (published.length === 0)
      err(
        at,
        `a ${probe.kind} probe runs from the host, and ${s.name} publishes no TCP port`,
        'publish one under ports: (e.g. "8080:8080"), or use verify: { command: [...] }',
      );
    return;
  }
  const port = findProbePort(ports, probe.port);
  if (!port) {
    const names = ports.flatMap((p) => (p.name ? [p.name, String(p.container)] : [String(p.container)]));
    const guess = closest(String(probe.port), names);
    err(
      at,
      `${s.name} has no TCP port ${typeof probe.port === "number" ? probe.port : `named "${probe.port}"`}`,
      guess
        ? `did you mean "${guess}"?`
        : ports.length
          ? `its ports are ${ports.map((p) => (p.name ? `${p.name} (${p.container})` : String(p.container))).join(", ")}`
          : 'publish one under ports: (e.g. "8080:8080" or { name: http, container: 8080, host: 8080 })',
    );
  } else if (port.host === undefined)
    err(
      at,
      `port ${port.name ?? port.container} of ${s.name} is not published, and a ${probe.kind} probe runs from the host`,
      "give the port a host port, or use verify: { command: [...] }",
    );
}

/** The TCP ports a service ends up with: the template's, with the file's merged over them by container port. */
export function servicePorts(template: readonly PortSpec[], own: readonly PortSpec[]): PortSpec[] {
  const out = template.filter((p) => p.protocol === "tcp").map((p) => ({ ...p }));
  for (const u of own.filter((p) => p.protocol === "tcp")) {
    const i = out.findIndex((p) => p.container === u.container);
    if (i < 0) {
      out.push({ ...u });
      continue;
    }
    const name = u.name ?? out[i]!.name;
    out[i] = { ...out[i]!, ...u, ...(name ? { name } : {}) };
  }
  return out;
}

/** A name made safe as a DNS label (stack and service names). */
export function dnsSafe(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, STACK_NAME_MAX)
      .replace(/-+$/, "") || "stack"
  );
}
