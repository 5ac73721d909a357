/**
 * Loads what most commands need — the stack file, the catalog it uses and the capacity overrides —
 * and turns every problem into one ConfigError listing all of them.
 */
import { type Catalog, catalogIndex, loadCatalog } from "../catalog/index.js";
import {
  type CapacityOverride,
  catalogPathsFromEnv,
  checkAgainstCatalog,
  type LayerFlags,
  loadStack,
} from "../config/index.js";
import { ConfigError, formatDiagnostic, type Stack } from "../core/index.js";
import type { CommandContext } from "./context.js";

export interface Project {
  stack: Stack;
  catalog: Catalog;
  capacity: CapacityOverride;
}

export function loadProject(ctx: CommandContext, opts: Record<string, unknown>): Project {
  const flags: LayerFlags = {};
  for (const key of ["profile", "target", "strategy", "memory", "cpus"] as const)
    if (typeof opts[key] === "string") flags[key] = opts[key] as string;
  const loaded = loadStack({
    ...(typeof opts.file === "string" ? { file: opts.file } : {}),
    cwd: ctx.cwd,
    env: ctx.env,
    flags,
    home: ctx.home,
  });
  for (const w of loaded.warnings) ctx.err(`warning: ${formatDiagnostic(w)}`);
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  const catalog = loadCatalog({ paths: loaded.stack.catalogPaths });
  const errors = checkAgainstCatalog(loaded.stack, catalogIndex(catalog), loaded.locate);
  if (errors.length) throw new ConfigError(loaded.file, errors);
  return { stack: loaded.stack, catalog, capacity: loaded.capacity };
}

/** The catalog alone (no stack file needed), with `DELOC_CATALOG_PATH` folders. */
export function loadCatalogFor(ctx: CommandContext): Catalog {
  return loadCatalog({ paths: catalogPathsFromEnv(ctx.env, ctx.cwd) });
}
