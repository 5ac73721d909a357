/**
 * Loads what most commands need — the stack file, the catalog it uses and the capacity overrides —
 * and turns every problem into one ConfigError listing all of them.
 */
import fs from "node:fs";
import path from "node:path";
import { type Catalog, catalogIndex, loadCatalog } from "../catalog/index.js";
import {
  type CapacityOverride,
  catalogPathsFromEnv,
  checkAgainstCatalog,
  type LayerFlags,
  type LoadResult,
  loadStack,
} from "../config/index.js";
import { ConfigError, FileExistsError, formatDiagnostic, type Stack } from "../core/index.js";
import { checkAddresses } from "../planner/index.js";
import type { CommandContext } from "./context.js";

export interface Project {
  stack: Stack;
  catalog: Catalog;
  capacity: CapacityOverride;
}

interface Loaded {
  env: CommandContext["env"];
  plugins: CommandContext["plugins"];
  warnings: string[];
  project?: Project;
  error?: ConfigError;
}

/**
 * The loads this process made, by folder, file and flags: `onKubernetes` and then the command both
 * load the project, and the file is read and checked against the catalog only once. A load is
 * reused only under the same environment; its warnings are printed at every call.
 */
const loads = new Map<string, Loaded>();

export function loadProject(ctx: CommandContext, opts: Record<string, unknown>): Project {
  const { key, file, flags } = loadKey(ctx, opts);
  let done = loads.get(key);
  if (done?.env !== ctx.env || done.plugins !== ctx.plugins) {
    done = readProject(ctx, file, flags, key);
    loads.set(key, done);
  }
  for (const w of done.warnings) ctx.err(w);
  if (done.error) throw done.error;
  return done.project!;
}

function loadKey(ctx: CommandContext, opts: Record<string, unknown>) {
  const flags: LayerFlags = {};
  for (const key of ["profile", "target", "strategy", "memory", "cpus"] as const)
    if (typeof opts[key] === "string") flags[key] = opts[key] as string;
  const file = typeof opts.file === "string" ? opts.file : undefined;
  return { key: JSON.stringify([ctx.cwd, ctx.home, file ?? null, flags]), file, flags };
}

/** Stack files read by this process: the plugins' names are read before the project, from the same read. */
const stackReads = new Map<string, { env: CommandContext["env"]; result: LoadResult }>();

function readStack(
  ctx: CommandContext,
  file: string | undefined,
  flags: LayerFlags,
  key: string,
): LoadResult {
  const read = stackReads.get(key);
  if (read?.env === ctx.env) return read.result;
  const result = loadStack({ ...(file ? { file } : {}), cwd: ctx.cwd, env: ctx.env, flags, home: ctx.home });
  stackReads.set(key, { env: ctx.env, result });
  return result;
}

/**
 * The plugins the stack file names (`spec.plugins`) and its folder, where they are installed;
 * null when there is no stack file or it does not load (the command reports that itself).
 */
export function stackPlugins(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): { names: string[]; dir: string; file: string } | null {
  const { key, file, flags } = loadKey(ctx, opts);
  try {
    const loaded = readStack(ctx, file, flags, key);
    return loaded.ok ? { names: loaded.stack.plugins ?? [], dir: loaded.stack.dir, file: loaded.file } : null;
  } catch {
    return null;
  }
}

function readProject(ctx: CommandContext, file: string | undefined, flags: LayerFlags, key: string): Loaded {
  const loaded = readStack(ctx, file, flags, key);
  const warnings = loaded.warnings.map((w) => `warning: ${formatDiagnostic(w)}`);
  const base = { env: ctx.env, plugins: ctx.plugins, warnings };
  if (!loaded.ok) return { ...base, error: new ConfigError(loaded.file, loaded.errors) };
  const catalog = loadCatalog({ paths: [...pluginTemplateDirs(ctx), ...loaded.stack.catalogPaths] });
  const errors = checkAgainstCatalog(loaded.stack, catalogIndex(catalog), loaded.locate);
  // Addresses between services need the services the plan will hold, which the catalog rules vouch for.
  if (!errors.length) errors.push(...checkAddresses(loaded.stack, catalog, loaded.locate));
  if (errors.length) return { ...base, error: new ConfigError(loaded.file, errors) };
  return { ...base, project: { stack: loaded.stack, catalog, capacity: loaded.capacity } };
}

/** Template folders of the loaded plugins: they join the catalog before the stack's own folders. */
function pluginTemplateDirs(ctx: CommandContext): readonly string[] {
  return ctx.plugins?.templateDirs ?? [];
}

/** The catalog alone (no stack file needed), with the plugins' and `DELOC_CATALOG_PATH` folders. */
export function loadCatalogFor(ctx: CommandContext): Catalog {
  return loadCatalog({ paths: [...pluginTemplateDirs(ctx), ...catalogPathsFromEnv(ctx.env, ctx.cwd)] });
}

/**
 * The absolute path of a file a command writes (`value`, or `fallback`, against the working folder)
 * and how to show it; refuses a file that is there unless `--force` (nothing is written then).
 */
export function newFileFor(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  value: unknown,
  fallback: string,
  hint: string,
): { file: string; shown: string } {
  const file = path.resolve(ctx.cwd, typeof value === "string" ? value : fallback);
  const shown = path.relative(ctx.cwd, file) || file;
  if (fs.existsSync(file) && !opts.force)
    throw new FileExistsError(`${shown} already exists; nothing was written.`, hint);
  return { file, shown };
}
