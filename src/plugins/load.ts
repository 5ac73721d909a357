/**
 * Finds the plugins a stack file and the user config name, by npm package name, imports each and
 * checks it (`checkPlugin`). A package is looked for as Node looks for one imported from the stack
 * file's folder (its node_modules, then its parents'), then from the user config's folder.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve as resolveImport } from "import-meta-resolve";
import { PluginError } from "../core/index.js";
import type { LoadedPlugin, PluginOrigin, PluginSet } from "./api.js";
import { checkPlugin } from "./check.js";
import { pluginSet } from "./set.js";

/** A plugin as named: by the stack file or the user config. */
export interface PluginRequest {
  name: string;
  origin: Exclude<PluginOrigin, "builtin">;
  /** Where it was named, for messages: `deloc.yaml (spec.plugins)`. */
  namedIn: string;
}

export interface LoadPluginsOptions {
  /** Folders a package is looked for from, in order (the stack file's, the user config's). */
  searchDirs: readonly string[];
  delocVersion: string;
}

/** npm's rule for a package name (scoped or not), checked before anything is looked up. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Every plugin requested, loaded and checked, each once (the first request of a name wins). */
export async function loadPlugins(
  requests: readonly PluginRequest[],
  opts: LoadPluginsOptions,
): Promise<PluginSet> {
  const seen = new Set<string>();
  const loaded: LoadedPlugin[] = [];
  for (const r of requests) {
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    loaded.push(await loadPlugin(r, opts));
  }
  return pluginSet(loaded);
}

async function loadPlugin(r: PluginRequest, opts: LoadPluginsOptions): Promise<LoadedPlugin> {
  if (!PACKAGE_NAME.test(r.name))
    throw new PluginError(
      r.name,
      `"${r.name}" in ${r.namedIn} is not an npm package name.`,
      'Name the plugin by its package, e.g. "deloc-plugin-nats" or "@acme/deloc-plugin-x".',
    );
  const entry = resolveEntry(r, opts.searchDirs);
  const pkg = packageOf(entry, r.name);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (e) {
    throw new PluginError(
      r.name,
      `Plugin ${r.name} (${pkg.dir}, named in ${r.namedIn}) could not be loaded: ${e instanceof Error ? e.message : String(e)}`,
      `Reinstall it (\`npm install ${r.name}\`), or remove it from ${r.namedIn}.`,
    );
  }
  const who = { name: r.name, version: pkg.version, dir: pkg.dir, namedIn: r.namedIn };
  const { plugin, templateDirs } = checkPlugin(exports, who, opts.delocVersion);
  return {
    name: r.name,
    version: pkg.version,
    origin: r.origin,
    from: pkg.dir,
    apiVersion: plugin.apiVersion,
    deloc: plugin.deloc,
    plugin,
    templateDirs,
  };
}

/** The file a plugin's name imports as from the first folder where it is found. */
function resolveEntry(r: PluginRequest, searchDirs: readonly string[]): string {
  const tried: string[] = [];
  for (const dir of searchDirs) {
    try {
      const url = resolveImport(r.name, pathToFileURL(path.join(dir, "/")).href);
      if (url.startsWith("file:")) return fileURLToPath(url);
      tried.push(`${dir}: resolves to ${url}, not a file`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      tried.push(
        `${path.join(dir, "node_modules")}: ${code === "ERR_MODULE_NOT_FOUND" ? "not there, nor in the node_modules of the folders above" : e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  throw new PluginError(
    r.name,
    `Plugin ${r.name} (named in ${r.namedIn}) is not installed where DELoc looks:\n${tried.map((t) => `  ${t}`).join("\n")}`,
    r.origin === "user"
      ? `Install it in the user config's folder (\`npm install --prefix ${searchDirs.at(-1)} ${r.name}\`), or remove it from ${r.namedIn}.`
      : `Install it next to the stack file (\`npm install --save-dev ${r.name}\` in ${searchDirs[0]}), or remove it from ${r.namedIn}.`,
  );
}

/** The package folder and version of a plugin's entry file: the nearest package.json with its name. */
function packageOf(entry: string, name: string): { dir: string; version: string } {
  let dir = path.dirname(entry);
  for (;;) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === name) return { dir, version: pkg.version ?? "" };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { dir: path.dirname(entry), version: "" };
    dir = parent;
  }
}
