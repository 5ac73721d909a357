/**
 * `deloc import compose`: compose files → a commented deloc.yaml. The steps are pure; files are
 * read through the function the caller hands in.
 */
import path from "node:path";
import type { Catalog } from "../catalog/index.js";
import { dnsSafe } from "../config/index.js";
import { type ImportedService, mapServices, type Note } from "./compose/map.js";
import { loadProject } from "./compose/project.js";
import { stackFileText } from "./compose/write.js";

export type { ImportedService, Note } from "./compose/map.js";
export { ComposeLoadError } from "./compose/project.js";
export { at } from "./compose/write.js";

export interface ImportInput {
  /** Absolute paths of the compose files, in the order given. */
  files: readonly string[];
  /** Where the stack file will be written (absolute). */
  out: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  profiles: readonly string[];
  /** Stack name; default the compose project's `name:`, else its folder's. */
  name?: string;
  catalog: Catalog;
  read: (file: string) => string | undefined;
  /** Services to import as custom services even though their image is a catalog one. */
  custom?: ReadonlySet<string>;
  /** Notes of the caller's, listed and written with the importer's. */
  notes?: readonly Note[];
}

export interface ImportResult {
  name: string;
  text: string;
  services: ImportedService[];
  notes: Note[];
  leftOut: Note[];
}

const TOP_LEVEL: Record<string, string> = {
  version: "obsolete in the compose spec (Compose ignores it too)",
  secrets: "compose secrets are files; give values through env",
  configs: "compose configs are files; mount them with a bind volume",
  models: "AI models are not carried",
};

export function importCompose(input: ImportInput): ImportResult {
  const show = (f: string) => path.relative(input.cwd, f) || f;
  const project = loadProject({
    files: input.files.map((f) => ({ path: f, shown: show(f) })),
    env: input.env,
    profiles: input.profiles,
    read: input.read,
    show,
  });
  const name = input.name ?? dnsSafe(project.name ?? path.basename(project.dir));
  const mapped = mapServices({
    project,
    outDir: path.dirname(input.out),
    env: project.env,
    read: input.read,
    offered: new Set([...input.catalog.templates.keys(), ...input.catalog.groups.keys()]),
    templateEnv: (t, v) => templateEnv(input.catalog, t, v),
    custom: input.custom ?? new Set(),
  });
  const notes = [
    ...project.warnings.map(
      (w): Note => ({
        where: { file: w.position?.file ?? "", line: w.position?.line ?? 0 },
        key: w.path,
        why: w.message,
      }),
    ),
    ...project.topLevel
      .filter((t) => !t.key.startsWith("x-"))
      .map(
        (t): Note => ({
          where: t.where,
          key: t.key,
          why: TOP_LEVEL[t.key] ?? "not a key of the compose spec",
        }),
      ),
    ...mapped.notes,
    ...(input.notes ?? []),
  ];
  const { names: dotenv, file: dotenvFile } = project.fromDotEnv;
  if (dotenv.length)
    notes.unshift({
      where: { file: dotenvFile, line: 1 },
      key: dotenv.join(", "),
      why: "their values from .env are written into the stack file (DELoc reads no .env): keep it private, or put the variables back as references and export them before `deloc up`",
    });
  const leftOut = project.inactive.map(
    (s): Note => ({
      where: s.where,
      service: s.name,
      key: "profiles",
      why: `in profile ${s.profiles.join(", ")}; pass --profile ${s.profiles[0]} to import it`,
    }),
  );
  const text = stackFileText({
    name,
    from: input.files.map(show),
    services: mapped.services,
    notes,
    leftOut,
  });
  return { name, text, services: mapped.services, notes, leftOut };
}

function templateEnv(
  catalog: Catalog,
  template: string,
  variant?: string,
): Record<string, string> | undefined {
  const t = catalog.templates.get(template);
  if (!t) return undefined;
  const env = { ...t.env };
  const v = variant ? t.variants[variant] : undefined;
  if (v) {
    for (const k of v.unsetEnv) delete env[k];
    Object.assign(env, v.env);
  }
  return env;
}
