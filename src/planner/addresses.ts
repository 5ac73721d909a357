/**
 * Addresses between services. In a service's env, command and entrypoint, `{{host.S}}`,
 * `{{address.S.PORT}}` and `{{endpoint.S.NAME}}` name another service S of the stack as the
 * stack's own containers reach it. Every target names a service's in-stack host after the service —
 * the network alias on Docker and Podman, the service key in Compose, the Service in the Kubernetes
 * manifests and the Helm chart, all in one namespace, where the short name resolves — and reaches
 * it on its container port, so the Plan carries one value for every target.
 *
 * Referring to a service does not make it a dependency: start order stays what `dependsOn` says
 * (Compose does not infer `depends_on` from an environment either).
 */

import type { Catalog } from "../catalog/index.js";
import {
  closest,
  type Diagnostic,
  formatDiagnostic,
  type PortSpec,
  type SourcePosition,
  type Stack,
} from "../core/index.js";
import { entriesUsing, stackEntry } from "./entries.js";
import { type ResolvedService, resolveServices } from "./resolve.js";

/** What one service offers the others: its container ports and its endpoints. */
export interface AddressEntry {
  ports: readonly Pick<PortSpec, "name" | "container">[];
  /** Endpoint name → URL (a template's text before the plan, the planned URL after it). */
  endpoints: ReadonlyMap<string, string>;
}

/** Service name → what it offers, for the services of one plan. */
export type AddressBook = ReadonlyMap<string, AddressEntry>;

/** A problem with one address placeholder, before anyone says where the text came from. */
export interface AddressProblem {
  /** The placeholder as written. */
  placeholder: string;
  /** The service it names, when it names one that is not in the stack. */
  absent?: string;
  message: string;
  suggestion?: string;
}

/** Where a stack file's value is, for messages; the config loader hands one in. */
export type Locate = (
  path: readonly (string | number)[],
  opts?: { key?: boolean },
) => SourcePosition | undefined;

const ADDRESS = /\{\{\s*(host|address|endpoint)(?:\.([A-Za-z0-9_.-]+))?\s*\}\}/g;
/** An endpoint meant for the host, e.g. `localhost:{{port.broker}}` or `http://127.0.0.1:9000`. */
const HOST_ONLY = /(^|[/@])(localhost|127\.0\.0\.1)([:/]|$)/;

/**
 * Replaces the address placeholders of a text; each one that names nothing is reported and left
 * as written. Other `{{…}}` placeholders (secret tokens among them) are left alone.
 */
export function resolveAddresses(
  text: string,
  book: AddressBook,
  report: (p: AddressProblem) => void,
): string {
  return text.replace(ADDRESS, (whole, kind: "host" | "address" | "endpoint", arg: string | undefined) => {
    const dot = (arg ?? "").indexOf(".");
    const service = dot < 0 ? (arg ?? "") : arg!.slice(0, dot);
    const name = dot < 0 ? "" : arg!.slice(dot + 1);
    const fail = (p: Omit<AddressProblem, "placeholder">) => {
      report({ placeholder: whole, ...p });
      return whole;
    };
    const usage =
      kind === "host"
        ? "{{host.SERVICE}}"
        : `{{${kind}.SERVICE.${kind === "address" ? "PORT" : "ENDPOINT"}}}`;
    if (!service) return fail({ message: `${whole} names no service`, suggestion: `write ${usage}` });
    const entry = book.get(service);
    if (!entry) {
      const guess = closest(service, book.keys());
      return fail({
        absent: service,
        message: `${whole} names "${service}", which is not a service of this stack`,
        suggestion: guess
          ? `did you mean "${guess}"?`
          : `its services are ${[...book.keys()].sort().join(", ")}`,
      });
    }
    if (kind === "host") {
      if (name)
        return fail({
          message: `${whole}: a host has no port or endpoint`,
          suggestion: `write {{host.${service}}} or {{address.${service}.${name}}}`,
        });
      return service;
    }
    if (kind === "address") {
      const names = entry.ports.flatMap((p) =>
        p.name ? [p.name, String(p.container)] : [String(p.container)],
      );
      const port = entry.ports.find((p) => p.name === name || String(p.container) === name);
      if (port) return `${service}:${port.container}`;
      const guess = name ? closest(name, names) : undefined;
      return fail({
        message: name ? `${service} has no port "${name}"` : `${whole} names no port of ${service}`,
        suggestion: guess
          ? `did you mean "${guess}"?`
          : entry.ports.length
            ? `its ports are ${entry.ports.map(portText).join(", ")}`
            : `${service} declares no ports: add the one it listens on under its ports: (without a host port it is not published)`,
      });
    }
    const url = entry.endpoints.get(name);
    const inStack = [...entry.endpoints].filter(([, u]) => !HOST_ONLY.test(u)).map(([n]) => n);
    if (url === undefined) {
      const guess = name ? (closest(name, inStack) ?? closest(name, entry.endpoints.keys())) : undefined;
      return fail({
        message: name ? `${service} has no endpoint "${name}"` : `${whole} names no endpoint of ${service}`,
        suggestion: guess
          ? `did you mean "${guess}"?`
          : inStack.length
            ? `its endpoints for other services are ${inStack.join(", ")}`
            : `${service} has no endpoint for other services; use {{address.${service}.PORT}}`,
      });
    }
    if (HOST_ONLY.test(url)) {
      const guess = closest(`${name}-in-stack`, inStack);
      return fail({
        message: `endpoint "${name}" of ${service} is its address from the host (localhost), not from other services`,
        suggestion: guess ? `did you mean "${guess}"?` : `use {{address.${service}.PORT}}`,
      });
    }
    return url;
  });
}

/** The services a text names in address placeholders (`{{address.S.PORT}}` and the like). */
export function addressedServices(text: string): string[] {
  return [...text.matchAll(ADDRESS)].map((m) => (m[2] ?? "").split(".")[0]!).filter(Boolean);
}

function portText(p: Pick<PortSpec, "name" | "container">): string {
  return p.name ? `${p.name} (${p.container})` : String(p.container);
}

/** The book of the services of a plan, their endpoints as the template wrote them. */
export function addressBook(
  services: readonly Pick<ResolvedService, "name" | "ports" | "endpoints">[],
): AddressBook {
  return new Map(
    services.map((s) => [
      s.name,
      { ports: s.ports, endpoints: new Map(s.endpoints.map((e) => [e.name, e.url])) },
    ]),
  );
}

/** One text of a service that may hold address placeholders, and where it came from. */
interface AddressText {
  text: string;
  /** The stack file's path of the value when the file wrote it; otherwise the template's. */
  from: { file: "stack"; entry: string; path: (string | number)[] } | { file: "template"; field: string };
}

/** The env values, command and entrypoint of a service: where address placeholders may be. */
function textsOf(s: ResolvedService, stack: Stack): AddressText[] {
  const entries = stackEntries(stack, s);
  const own = entries[0]?.name === s.name ? entries[0] : undefined;
  const out: AddressText[] = [];
  for (const [key, text] of Object.entries(s.env)) {
    const entry = entries.find((e) => e.env[key] !== undefined);
    out.push({
      text,
      from:
        s.userEnv.has(key) && entry
          ? { file: "stack", entry: entry.name, path: ["env", key] }
          : { file: "template", field: `env.${key}` },
    });
  }
  for (const field of ["command", "entrypoint"] as const)
    (s[field] ?? []).forEach((text, i) => {
      out.push({
        text,
        from: own?.[field]
          ? { file: "stack", entry: own.name, path: [field, i] }
          : { file: "template", field: `${field}[${i}]` },
      });
    });
  return out;
}

/** The stack file's entries that shape a service: its own first, then its group's. */
function stackEntries(stack: Stack, s: Pick<ResolvedService, "name" | "template">) {
  const group = s.template?.group;
  const own = stackEntry(stack, s.name);
  return [
    ...(own ? [own] : []),
    ...(group ? entriesUsing(stack, group).filter((e) => e.name !== s.name) : []),
  ];
}

/**
 * Every address placeholder of the services that names nothing, as positioned diagnostics: a value
 * the stack file wrote is located in it (`locate`, from the config loader); one a template wrote
 * names the template file, and points at the stack-file entry of the service that uses it.
 */
export function addressDiagnostics(
  resolved: readonly ResolvedService[],
  stack: Stack,
  offered: Iterable<string>,
  locate?: Locate,
): Diagnostic[] {
  const book = addressBook(resolved);
  const catalogNames = new Set(offered);
  // A group entry's value reaches each of its components: one error for it, not one per component.
  const out = new Map<string, Diagnostic>();
  for (const s of resolved)
    for (const t of textsOf(s, stack))
      resolveAddresses(t.text, book, (p) => {
        const d = diagnostic(s, t, p, stack, catalogNames, locate);
        out.set(formatDiagnostic(d), d);
      });
  return [...out.values()];
}

/**
 * The address placeholders of a stack that name nothing, located in its file: what `deloc` reports
 * with the file's other errors, before any plan is made. The stack must have passed the catalog rules.
 */
export function checkAddresses(stack: Stack, catalog: Catalog, locate: Locate): Diagnostic[] {
  return addressDiagnostics(
    resolveServices(stack, catalog).services,
    stack,
    catalog.templates.keys(),
    locate,
  );
}

function diagnostic(
  s: ResolvedService,
  t: AddressText,
  p: AddressProblem,
  stack: Stack,
  offered: ReadonlySet<string>,
  locate: Locate | undefined,
): Diagnostic {
  const field = t.from.file === "stack" ? t.from.path.join(".") : t.from.field;
  const setYourself =
    t.from.file === "template" && field.startsWith("env.")
      ? `, or set ${s.name}'s env ${field.slice(4)} yourself`
      : "";
  const suggestion =
    p.absent && offered.has(p.absent)
      ? `add \`${p.absent}: {}\` to spec.services (or drop its \`enabled: false\`)${setYourself}`
      : p.absent
        ? `${p.suggestion}${setYourself}`
        : p.suggestion;
  if (t.from.file === "stack") {
    const path = ["spec", "services", t.from.entry, ...t.from.path];
    const position = locate?.(path) ?? locate?.(path.slice(0, -1));
    return {
      path: path.join("."),
      message: p.message,
      ...(position ? { position } : {}),
      ...(suggestion ? { suggestion } : {}),
    };
  }
  // A template's text: the entry of the stack file that brings the service in, when there is one.
  const entry = stackEntries(stack, s)[0]?.name;
  const position = entry ? locate?.(["spec", "services", entry], { key: true }) : undefined;
  const source = s.template?.source ?? "its template";
  return {
    path: `spec.services.${s.name}`,
    message: `${field} of ${source}: ${p.message}`,
    ...(position ? { position } : {}),
    ...(suggestion ? { suggestion } : {}),
  };
}
