/**
 * Loads the plugins a command's stack file (`spec.plugins`) and the user config name, once, before
 * the command runs, so that the catalog, `verify` and the engine find what they provide. A stack
 * and a user config that name none cost a stat: the plugin loader is not even imported.
 */
import fs from "node:fs";
import path from "node:path";
import type { PluginRequest } from "../plugins/index.js";
import type { CommandContext } from "./context.js";

/** Commands that use no catalog, probe or target, and so load no plugin. */
const WITHOUT_PLUGINS = new Set(["init", "import", "resources", "completion", "events"]);

/** Sets `ctx.plugins` for the command; throws PluginError (exit 9) when a plugin cannot be used. */
export async function preparePlugins(
  ctx: CommandContext,
  command: string,
  opts: Record<string, unknown>,
): Promise<void> {
  if (WITHOUT_PLUGINS.has(command) || ctx.plugins) return;
  const requests = await pluginRequests(ctx, opts);
  if (requests.list.length === 0) return;
  const { loadPlugins } = await import("../plugins/index.js");
  ctx.plugins = await loadPlugins(requests.list, {
    searchDirs: requests.searchDirs,
    delocVersion: ctx.version,
  });
}

/** What the stack file and then the user config name, and the folders they are looked for from. */
export async function pluginRequests(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): Promise<{ list: PluginRequest[]; searchDirs: string[]; userConfig: string }> {
  const list: PluginRequest[] = [];
  const searchDirs: string[] = [];
  const stack = opts.stack === undefined ? (await import("./project.js")).stackPlugins(ctx, opts) : null;
  if (stack) {
    searchDirs.push(stack.dir);
    for (const name of stack.names)
      list.push({ name, origin: "stack", namedIn: `${stack.file} (spec.plugins)` });
  }
  const { readUserConfig, userConfigDir } = await import("../plugins/user-config.js");
  const dir = userConfigDir(ctx.env, ctx.home);
  const userConfig = path.join(dir, "config.yaml");
  searchDirs.push(dir);
  if (fs.existsSync(userConfig)) {
    for (const name of readUserConfig(ctx.env, ctx.home).plugins)
      list.push({ name, origin: "user", namedIn: `${userConfig} (plugins)` });
  }
  return { list, searchDirs, userConfig };
}
