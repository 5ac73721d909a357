/**
 * Reads the built-in catalog (`catalog/` at the package root) and user template folders, validates
 * every file and flattens groups into their component services. A user template with the name of
 * a built-in one replaces it.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { HEALTH_CHECK_DEFAULTS, normalizeHealthCheck, normalizeVerify, parseYaml } from "../config/index.js";
import {
  ConfigError,
  Cpu,
  closest,
  type Diagnostic,
  findProbePort,
  type HealthCheckSpec,
  PROFILES,
  type Profile,
  Size,
  sortKeys,
} from "../core/index.js";
import {
  type ComponentFile,
  type GroupFile,
  groupFileSchema,
  recipesFileSchema,
  serviceFileSchema,
} from "./schema.js";
import { readSnapshot } from "./snapshot.js";
import type { Catalog, ProfileResources, Recipe, ServiceTemplate, TemplateVariant } from "./template.js";
import { parseTemplateVolume } from "./volumes.js";

/** The package's own catalog folder, found by walking up from this module (works from src and dist). */
export function builtinCatalogDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "catalog", "recipes.yaml");
    if (fs.existsSync(candidate)) return path.dirname(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("DELoc's catalog folder is missing from the installation");
    dir = parent;
  }
}

export interface LoadCatalogOptions {
  /** Extra template folders (spec.catalogPaths, DELOC_CATALOG_PATH), searched after the built-ins. */
  paths?: readonly string[];
  builtinDir?: string;
}

export function loadCatalog(opts: LoadCatalogOptions = {}): Catalog {
  const builtin = opts.builtinDir ?? builtinCatalogDir();
  const problems: { file: string; diagnostics: Diagnostic[] }[] = [];
  // The built-in templates from the build's snapshot when it matches the files, else from YAML.
  const snapshot = readSnapshot(builtin);
  const templates = new Map<string, ServiceTemplate>(snapshot?.templates);
  const groups = new Map<string, readonly string[]>(snapshot?.groups);
  const recipes = snapshot
    ? new Map(snapshot.recipes)
    : readRecipes(path.join(builtin, "recipes.yaml"), problems);

  const folders = [...(snapshot ? [] : [path.join(builtin, "services")]), ...(opts.paths ?? [])];
  for (const folder of folders) {
    let entries: string[];
    try {
      entries = fs.readdirSync(folder).filter((f) => /\.ya?ml$/.test(f));
    } catch {
      problems.push({
        file: folder,
        diagnostics: [{ path: "", message: "catalog folder does not exist or cannot be read" }],
      });
      continue;
    }
    for (const entry of entries.sort()) {
      const file = path.join(folder, entry);
      const result = readTemplateFile(file, fs.readFileSync(file, "utf8"));
      if (!result.ok) {
        problems.push({ file, diagnostics: result.errors });
        continue;
      }
      for (const t of result.templates) templates.set(t.name, t);
      if (result.group) groups.set(result.group.name, result.group.components);
    }
  }

  for (const t of templates.values()) {
    for (const r of [...t.requires, ...Object.keys(t.dependsOn)])
      if (!templates.has(r))
        problems.push({
          file: t.source,
          diagnostics: [{ path: `${t.name}.requires`, message: `"${r}" is not in the catalog` }],
        });
  }
  for (const r of recipes.values())
    for (const s of r.services)
      if (!templates.has(s) && !groups.has(s))
        problems.push({
          file: path.join(builtin, "recipes.yaml"),
          diagnostics: [{ path: `recipes.${r.name}.services`, message: `"${s}" is not in the catalog` }],
        });

  if (problems.length) {
    const first = problems[0]!;
    throw new ConfigError(
      first.file,
      problems.flatMap((p) =>
        p.diagnostics.map((d) => (d.position ? d : { ...d, path: `${p.file}: ${d.path}` })),
      ),
      "catalog",
    );
  }
  const sorted = new Map([...templates.entries()].sort(([a], [b]) => a.localeCompare(b)));
  const sortedGroups = new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return { templates: sorted, groups: sortedGroups, recipes };
}

type ReadResult =
  | { ok: true; templates: ServiceTemplate[]; group?: { name: string; components: string[] } }
  | { ok: false; errors: Diagnostic[] };

/** Validates one template file's text; exported for tests of user templates. */
export function readTemplateFile(file: string, text: string): ReadResult {
  const parsed = parseYaml(text, file);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  const data = parsed.doc.toJS() as unknown;
  const isGroup = !!data && typeof data === "object" && "components" in data;
  const result = (isGroup ? groupFileSchema : serviceFileSchema).safeParse(data);
  if (!result.success) return { ok: false, errors: issuesToDiagnostics(result.error, parsed.locate) };
  if (!isGroup) {
    const t = toTemplate(result.data as z.infer<typeof serviceFileSchema>, file);
    const errors = probePortProblems(t, ["verify"], parsed.locate);
    return errors.length ? { ok: false, errors } : { ok: true, templates: [t] };
  }
  const group = result.data as GroupFile;
  const templates = Object.keys(group.components)
    .sort()
    .map((component) =>
      toTemplate(mergeComponent(group, component, group.components[component]!), file, group.name),
    );
  const errors = templates.flatMap((t) =>
    probePortProblems(t, ["components", t.name, "verify"], parsed.locate),
  );
  if (errors.length) return { ok: false, errors };
  return { ok: true, templates, group: { name: group.name, components: templates.map((t) => t.name) } };
}

/** A template's HTTP or TCP probe must name one of its published ports: it runs from the host. */
function probePortProblems(
  t: ServiceTemplate,
  at: (string | number)[],
  locate: ReturnType<typeof parseYaml>["locate"],
): Diagnostic[] {
  const probe = t.verify;
  if (!probe || probe.kind === "command") return [];
  const where = probe.port === undefined ? [...at, probe.kind] : [...at, probe.kind, "port"];
  const diagnostic = (message: string, suggestion: string): Diagnostic => ({
    path: where.join("."),
    message,
    position: locate(where),
    suggestion,
  });
  const published = t.ports.filter((p) => p.host !== undefined && p.protocol === "tcp");
  if (probe.port === undefined)
    return published.length
      ? []
      : [
          diagnostic(
            `${t.name} publishes no TCP port to probe from the host`,
            "name a port with a host port, or use command:",
          ),
        ];
  const port = findProbePort(t.ports, probe.port);
  if (!port) {
    const guess = closest(
      String(probe.port),
      t.ports.map((p) => p.name),
    );
    return [
      diagnostic(
        `${t.name} has no TCP port ${typeof probe.port === "number" ? probe.port : `named "${probe.port}"`}`,
        guess
          ? `did you mean "${guess}"?`
          : `its ports are ${t.ports.map((p) => p.name).join(", ") || "none"}`,
      ),
    ];
  }
  return port.host === undefined
    ? [diagnostic(`port ${port.name} of ${t.name} has no host port`, "give it host:, or use command:")]
    : [];
}

function mergeComponent(group: GroupFile, name: string, c: ComponentFile) {
  return {
    ...c,
    name,
    image: c.image ?? group.image,
    user: c.user ?? group.user,
    capabilities: c.capabilities ?? group.capabilities,
    category: c.category ?? group.category,
    env: { ...group.env, ...c.env },
    volumes: [...(group.volumes ?? []), ...(c.volumes ?? [])],
    requires: [...new Set([...(group.requires ?? []), ...(c.requires ?? [])])],
    secrets: { ...group.secrets, ...c.secrets },
    docs: c.docs ?? group.docs,
  };
}

type ServiceData = z.infer<typeof serviceFileSchema>;

function toTemplate(d: ServiceData, source: string, group?: string): ServiceTemplate {
  const resources = Object.fromEntries(
    PROFILES.map((p): [Profile, ProfileResources] => {
      const r = d.resources[p];
      return [
        p,
        {
          memoryMinBytes: Size.parse(r.memory.min as string)!.floorMib().bytes,
          memoryPreferredBytes: Size.parse(r.memory.preferred as string)!.floorMib().bytes,
          cpuMillis: Cpu.parse(r.cpu as string)!.millis,
        },
      ];
    }),
  ) as Record<Profile, ProfileResources>;
  const oneShot = d.oneShot ?? false;
  const t: ServiceTemplate = {
    name: d.name,
    description: d.description,
    category: d.category ?? "other",
    image: d.image,
    env: sortKeys(d.env ?? {}),
    ports: (d.ports ?? []).map((p) => ({ ...p })),
    volumes: (d.volumes ?? []).map(parseTemplateVolume),
    dependsOn: d.dependsOn ?? {},
    requires: [...(d.requires ?? [])].sort(),
    endpoints: d.endpoints ?? [],
    resources,
    scalable: d.scalable ?? false,
    stateful: d.stateful ?? false,
    oneShot,
    restart: d.restart ?? (oneShot ? "no" : "unless-stopped"),
    secrets: d.secrets ?? {},
    connections: d.connections ?? {},
    shortcuts: d.shortcuts ?? {},
    variants: Object.fromEntries(
      Object.entries(d.variants ?? {}).map(([k, { healthCheck, ...v }]): [string, TemplateVariant] => [
        k,
        healthCheck ? { ...v, healthCheck: fullHealthCheck(healthCheck) } : v,
      ]),
    ),
    source,
  };
  if (d.command) t.command = d.command;
  if (d.entrypoint) t.entrypoint = d.entrypoint;
  if (d.jvm) t.jvm = d.jvm;
  if (d.backup) t.backup = d.backup;
  if (d.docs) t.docs = d.docs;
  if (d.user) {
    const [uid, gid] = d.user.split(":").map(Number) as [number, number];
    t.user = { uid, gid };
  }
  if (d.capabilities?.length) t.capabilities = [...d.capabilities];
  if (d.python) t.python = { version: d.python.version, matches: [...d.python.matches] };
  if (group) t.group = group;
  if (d.healthCheck) t.healthCheck = fullHealthCheck(d.healthCheck);
  if (d.verify) t.verify = normalizeVerify(d.verify);
  for (const [p, r] of Object.entries(resources))
    if (r.memoryMinBytes > r.memoryPreferredBytes)
      throw new ConfigError(
        source,
        [{ path: `resources.${p}.memory`, message: "min is larger than preferred" }],
        "catalog",
      );
  return t;
}

/** A catalog health check with DELoc's defaults for what it leaves out. */
function fullHealthCheck(h: Parameters<typeof normalizeHealthCheck>[0]): HealthCheckSpec {
  return { ...HEALTH_CHECK_DEFAULTS, ...normalizeHealthCheck(h) } as HealthCheckSpec;
}

function readRecipes(
  file: string,
  problems: { file: string; diagnostics: Diagnostic[] }[],
): Map<string, Recipe> {
  const recipes = new Map<string, Recipe>();
  const parsed = parseYaml(fs.readFileSync(file, "utf8"), file);
  const result = recipesFileSchema.safeParse(parsed.doc.toJS());
  if (!result.success) {
    problems.push({ file, diagnostics: issuesToDiagnostics(result.error, parsed.locate) });
    return recipes;
  }
  for (const [name, r] of Object.entries(result.data.recipes)) recipes.set(name, { name, ...r });
  return recipes;
}

function issuesToDiagnostics(
  error: z.ZodError,
  locate: ReturnType<typeof parseYaml>["locate"],
): Diagnostic[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.message;
    return { path: path.join("."), message, position: locate(path) };
  });
}
